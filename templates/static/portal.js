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

/* The property picker of plugins' forms (templates/picker.html,
 * portal/picker.h). Without this script it is checkboxes: the chosen
 * properties ticked, the matches of a search that its button posts the form
 * for. Here the search asks GET /api/v1/properties as one types (the same
 * search integrators use), the chosen properties become chips with a
 * "remove" button that names the property, and the boxes of the matches add
 * and remove chips. The chips hold what the form sends (the picker's
 * data-picker-field); the boxes send nothing themselves. The status line
 * (role="status") says what a search found and what was added or removed.
 * The texts stand on the pickers that are not closed, [data-picker-texts]
 * ({n} a count, {name} a name). */
(function () {
	var RESULTS = 20; /* as many as the page shows without script */
	var PAUSE_MS = 200; /* after the last key, before asking */

	var texts = document.querySelector("[data-picker-texts]");

	function text(name, values) {
		var s = (texts && texts.getAttribute("data-text-" + name)) || "";
		for (var key in values) {
			s = s.split("{" + key + "}").join(values[key]);
		}
		return s;
	}

	/* A box's property: the text after it in its label (a city follows in
	 * a <span> of its own). */
	function nameOf(input) {
		var after = input.nextSibling;
		return after && after.nodeType === 3 ? after.nodeValue.trim() : "";
	}

	function element(tag, className, content) {
		var e = document.createElement(tag);
		if (className) {
			e.className = className;
		}
		if (content) {
			e.textContent = content;
		}
		return e;
	}

	/* A closed picker (an entry's on a list page: its button would post the
	 * form to open it) gets the search the open ones bring. */
	function openSearch(box, opener) {
		var id = box.id;
		var search = element("div", "field picker__search");
		var label = element("label", "", text("search"));
		var row = element("div", "picker__row");
		var field = element("input");
		var hint = element("p", "field__hint", text("hint"));
		var status = element("p", "picker__status");
		var results = element("ul", "picker__results");
		label.htmlFor = field.id = id + "-q";
		field.type = "search";
		field.maxLength = 100;
		field.autocomplete = "off";
		field.setAttribute("aria-describedby", (hint.id = id + "-hint"));
		field.setAttribute("aria-controls", (results.id = id + "-results"));
		status.id = id + "-status";
		status.setAttribute("role", "status");
		results.setAttribute("aria-label", text("results"));
		row.appendChild(field);
		search.appendChild(label);
		search.appendChild(row);
		search.appendChild(hint);
		opener.parentNode.insertBefore(search, opener);
		opener.parentNode.insertBefore(status, opener);
		opener.parentNode.replaceChild(results, opener);
	}

	function enhance(box) {
		var opener = box.querySelector(".picker__open");
		if (opener) {
			openSearch(box, opener);
		}
		var field = box.querySelector(".picker__search input");
		var chips = box.querySelector(".picker__chips");
		var results = box.querySelector(".picker__results");
		var status = box.querySelector(".picker__status");
		var none = box.querySelector(".picker__none");
		var hint = box.querySelector(".picker__search .field__hint");
		var button = box.querySelector(".picker__search button");
		var fieldName = box.getAttribute("data-picker-field");
		var chosen = {}; /* id: its chip */
		var asked = 0; /* the latest search's number: older answers are dropped */
		var timer = null;
		if (!fieldName || !field || !chips || !results || !status || !none) {
			return;
		}

		function say(message) {
			status.textContent = message;
		}

		function chip(id, name) {
			var li = element("li", "chip");
			var remove = element("button", "chip__remove");
			var cross = element("span", "", "\u00d7");
			var input = element("input");
			remove.type = "button";
			cross.setAttribute("aria-hidden", "true");
			remove.appendChild(cross);
			remove.appendChild(element("span", "visually-hidden", text("remove", { name: name })));
			remove.addEventListener("click", function () {
				drop(id, true);
			});
			input.type = "hidden";
			input.name = fieldName;
			input.value = id;
			li.appendChild(element("span", "chip__name", name));
			li.appendChild(remove);
			li.appendChild(input);
			return li;
		}

		function shown(id) {
			var boxes = results.querySelectorAll("input[type=checkbox]");
			for (var i = 0; i < boxes.length; i++) {
				if (boxes[i].value === id) {
					return boxes[i];
				}
			}
			return null;
		}

		function add(id, name) {
			if (!chosen[id]) {
				chosen[id] = chip(id, name);
				chips.appendChild(chosen[id]);
				none.hidden = true;
				say(text("added", { name: name }));
			}
		}

		/* fromChip: its button was pressed and goes; the focus moves to the
		 * next chip's button, or back to the search. */
		function drop(id, fromChip) {
			var li = chosen[id];
			if (!li) {
				return;
			}
			var name = li.querySelector(".chip__name").textContent;
			var next = li.nextElementSibling || li.previousElementSibling;
			var result = shown(id);
			chips.removeChild(li);
			delete chosen[id];
			if (result) {
				result.checked = false;
			}
			none.hidden = chips.children.length > 0;
			say(text("removed", { name: name }));
			if (fromChip) {
				(next ? next.querySelector("button") : field).focus();
			}
		}

		function result(item) {
			var li = element("li");
			var label = element("label", "check");
			var input = element("input");
			input.type = "checkbox";
			input.value = String(item.id);
			input.checked = !!chosen[input.value];
			label.appendChild(input);
			label.appendChild(document.createTextNode(" " + item.name));
			if (item.city) {
				label.appendChild(element("span", "muted", " (" + item.city + ")"));
			}
			li.appendChild(label);
			return li;
		}

		function show(items, more, term) {
			results.textContent = "";
			for (var i = 0; i < items.length; i++) {
				results.appendChild(result(items[i]));
			}
			var n = items.length;
			var found = text(n === 0 ? "none" : n === 1 ? "one" : "many", { n: n });
			if (term) {
				say(more ? found + " " + text("more") : found);
			} else {
				say(more ? text("first") : "");
			}
		}

		function search() {
			var term = field.value.trim();
			var number = ++asked;
			var url = "/api/v1/properties?limit=" + RESULTS;
			if (term) {
				url += "&q=" + encodeURIComponent(term);
			}
			window.clearTimeout(timer);
			window
				.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
				.then(function (response) {
					if (!response.ok) {
						throw new Error(String(response.status));
					}
					return response.json();
				})
				.then(function (list) {
					if (number === asked) {
						show(list.items || [], !!list.next, term);
					}
				})
				.catch(function () {
					if (number === asked) {
						say(text("failed"));
					}
				});
		}

		/* The chips the page brought (ticked boxes) become chips with a button. */
		var ticked = chips.querySelectorAll("input[type=checkbox]");
		for (var i = 0; i < ticked.length; i++) {
			var old = ticked[i].closest("li");
			if (ticked[i].checked) {
				chosen[ticked[i].value] = chip(ticked[i].value, nameOf(ticked[i]));
				chips.replaceChild(chosen[ticked[i].value], old);
			} else {
				chips.removeChild(old);
			}
		}
		/* The matches the page brought send nothing: their chips do. */
		var offered = results.querySelectorAll("input[type=checkbox]");
		for (var j = 0; j < offered.length; j++) {
			offered[j].removeAttribute("name");
			offered[j].checked = !!chosen[offered[j].value];
		}
		/* Searching as one types makes the button moot, and Enter in the
		 * field must not send the form. */
		if (button) {
			button.parentNode.removeChild(button);
		}
		if (hint) {
			hint.textContent = text("hint");
		}
		none.hidden = chips.children.length > 0;

		field.addEventListener("input", function () {
			window.clearTimeout(timer);
			timer = window.setTimeout(search, PAUSE_MS);
		});
		field.addEventListener("keydown", function (event) {
			var first = results.querySelector("input");
			if (event.key === "Enter") {
				event.preventDefault();
				search();
			} else if (event.key === "ArrowDown" && first) {
				event.preventDefault();
				first.focus();
			}
		});
		results.addEventListener("change", function (event) {
			var input = event.target;
			if (input.checked) {
				add(input.value, nameOf(input));
			} else {
				drop(input.value, false);
			}
		});
		/* Up and down walk the matches; up from the first returns to the search. */
		results.addEventListener("keydown", function (event) {
			var boxes = Array.prototype.slice.call(results.querySelectorAll("input"));
			var at = boxes.indexOf(event.target);
			if (at < 0 || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) {
				return;
			}
			event.preventDefault();
			var to = event.key === "ArrowDown" ? boxes[at + 1] : boxes[at - 1] || field;
			if (to) {
				to.focus();
			}
		});
	}

	var pickers = document.querySelectorAll("[data-picker]");
	for (var i = 0; i < pickers.length; i++) {
		enhance(pickers[i]);
	}
})();

/* content: the attachment field of announcements takes files dropped onto
 * its box. */
(function () {
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

/* The property import. Its upload shows how much of the file went up: the
 * form is sent with XMLHttpRequest, whose upload reports progress, and the
 * answer (the preview, or the form with its error) replaces the page as the
 * form's own navigation would, at the address it would show. It is the
 * server's page, escaped there, never data put together here. Without this
 * script the form posts as usual and the browser shows its own progress.
 * <form data-once> can be sent once: the import's button goes grey while the
 * page shows how far the import got. */
(function () {
	var form = document.querySelector("form[data-upload-progress]");
	var box = form && form.querySelector(".upload-progress");
	var bar = box && box.querySelector("progress");
	if (bar && window.XMLHttpRequest && window.FormData && window.history.replaceState) {
		form.addEventListener("submit", function (event) {
			if (event.defaultPrevented) {
				return;
			}
			event.preventDefault();
			var button = form.querySelector("button[type=submit]");
			var xhr = new XMLHttpRequest();
			xhr.open("POST", form.action);
			xhr.upload.addEventListener("progress", function (e) {
				if (e.lengthComputable) {
					bar.max = e.total;
					bar.value = e.loaded;
				}
			});
			xhr.addEventListener("load", function () {
				var type = xhr.getResponseHeader("Content-Type") || "";
				if (type.indexOf("text/html") !== 0) {
					form.submit();
					return;
				}
				window.history.replaceState(null, "", xhr.responseURL);
				document.open();
				document.write(xhr.responseText);
				document.close();
			});
			xhr.addEventListener("error", function () {
				form.submit();
			});
			box.hidden = false;
			if (button) {
				button.disabled = true;
			}
			xhr.send(new FormData(form));
		});
	}
	document.addEventListener("submit", function (event) {
		var once = event.target;
		if (event.defaultPrevented || !once.hasAttribute || !once.hasAttribute("data-once")) {
			return;
		}
		if (once.getAttribute("data-sent")) {
			event.preventDefault();
			return;
		}
		once.setAttribute("data-sent", "1");
		var buttons = once.querySelectorAll("button[type=submit]");
		for (var i = 0; i < buttons.length; i++) {
			buttons[i].setAttribute("aria-disabled", "true");
		}
	});
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
