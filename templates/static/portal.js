/* The portal's only script, loaded with `defer` from /static/. Every page works
 * without it: it only enhances. It must stay CSP-safe: no inline code, no eval,
 * no new Function, no innerHTML with data (use textContent), no event handler
 * attributes. */
"use strict";

(function () {
	/* <form data-confirm="Really delete?"> asks before sending. */
	document.addEventListener("submit", function (event) {
		var form = event.target;
		var question = form && form.getAttribute && form.getAttribute("data-confirm");
		if (question && !window.confirm(question)) {
			event.preventDefault();
		}
	});

	/* The colour picker of the settings shows the chosen value as text while
	 * choosing; the swatch beside it keeps the saved colour until saved. */
	var picker = document.querySelector(".color-field input[type=color]");
	var shown = picker && picker.parentNode.querySelector(".color-field__value");
	if (picker && shown) {
		picker.addEventListener("input", function () {
			shown.textContent = picker.value;
		});
	}
})();

/* invites: <button data-print hidden> prints the page (the poster). It is
 * shown only here, since without this script it could do nothing. */
(function () {
	var buttons = document.querySelectorAll("[data-print]");
	for (var i = 0; i < buttons.length; i++) {
		buttons[i].hidden = false;
		buttons[i].addEventListener("click", function () {
			window.print();
		});
	}
})();

/* content: announcements: "Senden an" narrows the property checkboxes as one
 * types (the field stays hidden without this script, and the whole list shows;
 * ticked properties never disappear), and the attachment field takes files
 * dropped onto its box. */
(function () {
	var boxes = document.querySelectorAll("[data-target-filter]");
	for (var i = 0; i < boxes.length; i++) {
		(function (box) {
			var input = box.querySelector("[data-target-filter-input]");
			var field = box.querySelector(".announcement-targets__filter");
			var items = box.querySelectorAll("[data-target-name]");
			if (!input || !field) {
				return;
			}
			field.hidden = false;
			input.addEventListener("input", function () {
				var q = input.value.toLowerCase();
				for (var k = 0; k < items.length; k++) {
					var name = items[k].getAttribute("data-target-name").toLowerCase();
					var ticked = items[k].querySelector("input:checked");
					items[k].hidden = q !== "" && name.indexOf(q) < 0 && !ticked;
				}
			});
		})(boxes[i]);
	}
	var drops = document.querySelectorAll("[data-drop]");
	for (var j = 0; j < drops.length; j++) {
		(function (drop) {
			var file = drop.querySelector("input[type=file]");
			if (!file) {
				return;
			}
			drop.addEventListener("dragover", function (event) {
				event.preventDefault();
				drop.classList.add("is-dragging");
			});
			drop.addEventListener("dragleave", function () {
				drop.classList.remove("is-dragging");
			});
			drop.addEventListener("drop", function (event) {
				event.preventDefault();
				drop.classList.remove("is-dragging");
				if (event.dataTransfer && event.dataTransfer.files.length) {
					file.files = event.dataTransfer.files;
				}
			});
		})(drops[j]);
	}
})();

/* core: the manager's preview of the residents' home ([data-preview]) is read
 * like the home, but its links lead nowhere a manager may go: without their
 * targets they are plain text to keyboards, pointers and screen readers
 * alike. (The CSS keeps pointers off them when this script does not run.) */
(function () {
	var links = document.querySelectorAll("[data-preview] a[href]");
	for (var i = 0; i < links.length; i++) {
		links[i].removeAttribute("href");
	}
})();

/* core: a table wider than the screen scrolls inside its .table-wrap. Such a
 * wrapper is made a named region that the keyboard can focus (and scroll
 * with the arrow keys), named after the table's caption; one that fits is
 * left alone, so that it is no stop for the Tab key. Checked again when the
 * window's width changes. */
(function () {
	var wraps = document.querySelectorAll(".table-wrap");
	if (!wraps.length) {
		return;
	}
	function mark() {
		for (var i = 0; i < wraps.length; i++) {
			var wrap = wraps[i];
			var caption = wrap.querySelector("caption");
			if (wrap.scrollWidth > wrap.clientWidth + 1 && caption) {
				wrap.setAttribute("tabindex", "0");
				wrap.setAttribute("role", "region");
				wrap.setAttribute("aria-label", caption.textContent.replace(/\s+/g, " ").trim());
			} else if (wrap.hasAttribute("tabindex")) {
				wrap.removeAttribute("tabindex");
				wrap.removeAttribute("role");
				wrap.removeAttribute("aria-label");
			}
		}
	}
	var pending = false;
	window.addEventListener("resize", function () {
		if (!pending) {
			pending = true;
			window.requestAnimationFrame(function () {
				pending = false;
				mark();
			});
		}
	});
	mark();
})();
