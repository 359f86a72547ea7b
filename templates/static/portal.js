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

	/* <form data-busy="Building …"> with a [data-busy-status] inside says, once
	 * sent, that the answer takes a while (a download starts by itself and
	 * leaves the page as it is). */
	document.addEventListener("submit", function (event) {
		var form = event.target;
		var text = form && form.getAttribute && form.getAttribute("data-busy");
		var status = text && form.querySelector("[data-busy-status]");
		if (status && !event.defaultPrevented) {
			status.textContent = text;
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
 * (role="status") says what a search found and what was added or removed,
 * in the texts the picker carries (data-text-*: {n} a count, {name} a
 * name). */
(function () {
	var RESULTS = 20; /* as many as the page shows without script */
	var PAUSE_MS = 200; /* after the last key, before asking */

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

	function enhance(box) {
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

		function text(name, values) {
			var s = box.getAttribute("data-text-" + name) || "";
			for (var key in values) {
				s = s.split("{" + key + "}").join(values[key]);
			}
			return s;
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

/* documents: the upload of a property's documents page
 * (plugins/documents/templates/documents.html). Without this script the form
 * sends a multiple file input with one set of fields for every file. With
 * it, files chosen (again and again, from any folder) or dropped onto the
 * box each get a row of their own: the page's row of fields is the pattern,
 * the title comes from the file name, "Auf alle anwenden" copies a row's
 * settings to every other, "Entfernen" takes a file out. The batch goes to
 * the API in one request (all stored or none) with a bar per file, read from
 * how much of the request went up; a refused batch keeps every file and
 * setting and marks the refused field. Each row says how many people its
 * audience reaches, asked of the API as it changes; so does "Wer sieht es?". */
(function () {
	var form = document.querySelector("form[data-docs-upload]");
	var texts = document.querySelector("[data-docs-texts]");
	var FIELDS = ["title", "category", "audience", "unit_id", "requires_ack"];
	function t(name) {
		return (texts && texts.getAttribute("data-" + name)) || "";
	}
	function reachText(audience, count) {
		if (audience === "internal") {
			return t("internal");
		}
		if (count === 0) {
			return t("reach-none");
		}
		return count === 1 ? t("reach-one") : t("reach").replace("%", String(count));
	}
	/* Asks the API how many people an audience (and unit) reaches; calls
	 * done(count) with the answer, or with null when there is none. */
	function askReach(url, audience, unit, done) {
		if (!url || !audience || !window.fetch) {
			done(null);
			return;
		}
		var query = "?audience=" + encodeURIComponent(audience);
		if (unit) {
			query += "&unit_id=" + encodeURIComponent(unit);
		}
		window
			.fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
			.then(function (res) {
				return res.ok ? res.json() : null;
			})
			.then(function (body) {
				done(body && typeof body.count === "number" ? body.count : null);
			})
			.catch(function () {
				done(null);
			});
	}

	/* "Wer sieht es?" answers as its choices change; its button still works. */
	var check = document.querySelector("form[data-docs-check]");
	var result = document.querySelector("[data-docs-check-result]");
	var checkUrl = form && form.getAttribute("data-docs-audience");
	if (check && result && checkUrl) {
		var asked = 0;
		check.addEventListener("change", function () {
			var audience = check.querySelector("[name=check_audience]").value;
			var unit = check.querySelector("[name=check_unit_id]").value;
			var people = document.querySelector(".docs-people");
			var mine = ++asked;
			if (people) {
				people.hidden = true; /* names of the question before */
			}
			askReach(checkUrl, audience, unit, function (count) {
				if (mine === asked && count !== null) {
					result.textContent = reachText(audience, count);
				}
			});
		});
	}

	if (!form || !texts || !window.FormData || !window.XMLHttpRequest) {
		return;
	}
	var input = form.querySelector("input[type=file][name=files]");
	var drop = form.querySelector("[data-docs-drop]");
	var pattern = form.querySelector("[data-docs-row]");
	var list = form.querySelector("[data-docs-batch]");
	var status = form.querySelector("[data-docs-status]");
	var button = form.querySelector("[data-docs-submit]");
	var maxBytes = Number(form.getAttribute("data-docs-max") || "0") * 1048576;
	/* One request's limit, less room for the parts' headers and fields. */
	var requestMax = Number(form.getAttribute("data-docs-request-max") || "0") - 65536;
	if (!input || !drop || !pattern || !list || !status || !button) {
		return;
	}
	var batch = []; /* {file, item, row, bar} in the order sent */
	var serial = 0;

	/* The pattern row sends nothing and asks nothing: the files' rows do. */
	pattern.hidden = true;
	pattern.disabled = true;
	input.required = false;
	input.removeAttribute("aria-invalid");
	var dropText = drop.querySelector("[data-docs-drop-text]");
	if (dropText) {
		dropText.hidden = false;
	}
	drop.classList.add("docs-drop--active");
	var old = form.querySelectorAll(".field__error");
	for (var o = 0; o < old.length; o++) {
		old[o].parentNode.removeChild(old[o]);
	}

	function announce(text) {
		status.textContent = "";
		window.setTimeout(function () {
			status.textContent = text;
		}, 50);
	}
	function sizeText(n) {
		if (n < 1024) {
			return n + " B";
		}
		if (n < 1048576) {
			return Math.round(n / 1024) + " KB";
		}
		var mb = (n / 1048576).toFixed(1);
		return (document.documentElement.lang === "en" ? mb : mb.replace(".", ",")) + " MB";
	}
	function field(row, name) {
		return row.querySelector("[name=" + name + "]");
	}
	function valueOf(row, name) {
		var el = field(row, name);
		if (!el) {
			return "";
		}
		return el.type === "checkbox" ? (el.checked ? "true" : "false") : el.value;
	}
	/* The settings of row from another (or the pattern), the title apart. */
	function copySettings(from, to) {
		for (var i = 1; i < FIELDS.length; i++) {
			var a = field(from, FIELDS[i]);
			var b = field(to, FIELDS[i]);
			if (a && b) {
				if (a.type === "checkbox") {
					b.checked = a.checked;
				} else {
					b.value = a.value;
				}
			}
		}
	}
	function reach(entry) {
		var line = entry.row.querySelector("[data-docs-reach]");
		var audience = valueOf(entry.row, "audience");
		entry.asked = (entry.asked || 0) + 1;
		var mine = entry.asked;
		if (!line) {
			return;
		}
		askReach(form.getAttribute("data-docs-audience"), audience, valueOf(entry.row, "unit_id"), function (count) {
			if (mine !== entry.asked) {
				return;
			}
			line.hidden = count === null;
			line.textContent = count === null ? "" : reachText(audience, count);
		});
	}
	function smallButton(text, name, secondary) {
		var b = document.createElement("button");
		b.type = "button";
		b.className = "button--small" + (secondary ? " button--secondary" : " button--danger");
		b.appendChild(document.createTextNode(text));
		var hidden = document.createElement("span");
		hidden.className = "visually-hidden";
		hidden.textContent = " " + name;
		b.appendChild(hidden);
		return b;
	}

	function add(file) {
		serial += 1;
		var item = document.createElement("li");
		item.className = "docs-file";
		var row = pattern.cloneNode(true);
		row.hidden = false;
		row.disabled = false;
		row.removeAttribute("data-docs-row");
		var gone = row.querySelectorAll("[data-docs-nojs], .field__error");
		for (var g = 0; g < gone.length; g++) {
			gone[g].parentNode.removeChild(gone[g]);
		}
		var named = row.querySelectorAll("[id]");
		for (var n = 0; n < named.length; n++) {
			var id = named[n].id;
			var label = row.querySelector("label[for='" + id + "']");
			named[n].id = id + "-" + serial;
			named[n].removeAttribute("aria-describedby");
			named[n].removeAttribute("aria-invalid");
			if (label) {
				label.htmlFor = named[n].id;
			}
		}
		var box = field(row, "requires_ack");
		if (box) {
			box.id = "docs-ack-" + serial;
		}
		row.querySelector("[data-docs-legend]").textContent = file.name + " (" + sizeText(file.size) + ")";
		copySettings(pattern, row);
		field(row, "title").value = file.name.replace(/\.[^.]+$/, "") || file.name;

		var bar = document.createElement("progress");
		bar.max = file.size || 1;
		bar.value = 0;
		bar.hidden = true;
		bar.setAttribute("aria-label", t("progress") + ": " + file.name);
		bar.className = "docs-file__progress";
		var actions = document.createElement("div");
		actions.className = "actions docs-file__actions";
		var apply = smallButton(t("apply"), file.name, true);
		var remove = smallButton(t("remove"), file.name, false);
		actions.appendChild(apply);
		actions.appendChild(remove);
		row.appendChild(bar);
		row.appendChild(actions);
		item.appendChild(row);
		list.appendChild(item);
		var entry = { file: file, item: item, row: row, bar: bar };
		batch.push(entry);

		row.addEventListener("change", function (event) {
			var name = event.target && event.target.name;
			if (name === "audience" || name === "unit_id") {
				reach(entry);
			}
		});
		apply.addEventListener("click", function () {
			for (var i = 0; i < batch.length; i++) {
				if (batch[i] !== entry) {
					copySettings(row, batch[i].row);
					reach(batch[i]);
				}
			}
			announce(t("applied"));
		});
		remove.addEventListener("click", function () {
			var at = batch.indexOf(entry);
			batch.splice(at, 1);
			list.removeChild(item);
			list.hidden = batch.length === 0;
			var next = batch[at] || batch[at - 1];
			(next ? next.row.querySelector("input[name=title]") : input).focus();
			announce(t("removed") + " " + t("added") + " " + batch.length);
		});
		reach(entry);
	}
	function addAll(files) {
		for (var i = 0; i < files.length; i++) {
			add(files[i]);
		}
		list.hidden = batch.length === 0;
		clearErrors();
		announce(t("added") + " " + batch.length);
	}

	input.addEventListener("change", function () {
		addAll(input.files);
		input.value = ""; /* the next choice, from another folder, adds */
	});
	[drop, list].forEach(function (zone) {
		zone.addEventListener("dragover", function (event) {
			event.preventDefault();
			drop.classList.add("is-dragging");
		});
		zone.addEventListener("dragleave", function () {
			drop.classList.remove("is-dragging");
		});
		zone.addEventListener("drop", function (event) {
			event.preventDefault();
			drop.classList.remove("is-dragging");
			if (event.dataTransfer && event.dataTransfer.files.length) {
				addAll(event.dataTransfer.files);
			}
		});
	});

	function clearErrors() {
		var marks = form.querySelectorAll("[data-docs-error]");
		for (var i = 0; i < marks.length; i++) {
			marks[i].parentNode.removeChild(marks[i]);
		}
		var invalid = form.querySelectorAll("[aria-invalid]");
		for (var j = 0; j < invalid.length; j++) {
			invalid[j].removeAttribute("aria-invalid");
		}
	}
	/* Which rows a refused field is about: those whose value could be it,
	 * or every row when none can be told apart. */
	function suspect(entry, name) {
		var v = valueOf(entry.row, name);
		if (name === "files") {
			return entry.file.size === 0 || (maxBytes > 0 && entry.file.size > maxBytes);
		}
		if (name === "title") {
			return v.length > 200;
		}
		if (name === "unit_id") {
			return v !== "";
		}
		return v === "";
	}
	function showError(message, name) {
		clearErrors();
		var top = document.createElement("p");
		top.className = "notice notice--error";
		top.setAttribute("role", "alert");
		top.setAttribute("data-docs-error", "");
		top.textContent = message;
		form.insertBefore(top, form.firstChild);
		var rows = batch.filter(function (e) {
			return name && suspect(e, name);
		});
		if (!rows.length && name) {
			rows = batch;
		}
		var first = null;
		rows.forEach(function (entry) {
			var el = name === "files" ? null : field(entry.row, name);
			var note = document.createElement("p");
			note.className = "field__error";
			note.setAttribute("data-docs-error", "");
			note.id = "docs-error-" + Math.random().toString(36).slice(2);
			note.textContent = message;
			var place = el && el.closest(".field, .check");
			if (el) {
				el.setAttribute("aria-invalid", "true");
				el.setAttribute("aria-describedby", note.id);
			}
			if (place) {
				place.appendChild(note);
			} else {
				entry.row.insertBefore(note, entry.row.querySelector(".docs-row__fields"));
			}
			first = first || el || entry.row.querySelector("input[name=title]");
		});
		(first || input).focus();
	}

	form.addEventListener("submit", function (event) {
		event.preventDefault();
		if (!batch.length) {
			showError(t("empty"), "files");
			return;
		}
		clearErrors();
		var data = new FormData();
		var total = 0;
		batch.forEach(function (entry) {
			data.append("files", entry.file, entry.file.name);
			total += entry.file.size;
		});
		/* nginx would cut such an upload short, and the browser learn
		 * nothing but a broken connection: said here, in the page's words. */
		if (requestMax > 0 && total > requestMax) {
			var mb = String(Math.floor((requestMax + 65536) / 1048576));
			showError(t("request-too-large").replace("%", mb), null);
			return;
		}
		FIELDS.forEach(function (name) {
			batch.forEach(function (entry) {
				data.append(name, valueOf(entry.row, name));
			});
		});
		var xhr = new XMLHttpRequest();
		xhr.open("POST", form.getAttribute("data-docs-upload"));
		xhr.setRequestHeader("Accept", "application/json");
		xhr.setRequestHeader("X-CSRF-Token", form.querySelector("input[name=csrf_token]").value);
		/* The files go up in their order: the bytes sent so far fill the
		 * bars one after the other (the fields are the small rest). */
		xhr.upload.addEventListener("progress", function (e) {
			if (!e.lengthComputable) {
				return;
			}
			var sent = (e.loaded / e.total) * total;
			batch.forEach(function (entry) {
				var part = Math.max(0, Math.min(entry.file.size, sent));
				entry.bar.value = entry.file.size ? part : 1;
				sent -= entry.file.size;
			});
		});
		function done(failed) {
			button.disabled = false;
			batch.forEach(function (entry) {
				entry.bar.hidden = true;
			});
			var body = null;
			try {
				body = JSON.parse(xhr.responseText);
			} catch (e) {
				body = null;
			}
			var error = body && body.error;
			showError(error && error.message && !failed ? error.message : t("failed"), error && error.field);
		}
		xhr.addEventListener("load", function () {
			if (xhr.status === 201) {
				window.location.assign(form.getAttribute("data-docs-done"));
				return;
			}
			done(false);
		});
		xhr.addEventListener("error", function () {
			done(true);
		});
		batch.forEach(function (entry) {
			entry.bar.value = 0;
			entry.bar.hidden = false;
		});
		button.disabled = true;
		xhr.send(data);
	});
})();

/* The tickets' report form: "Ist das schon gemeldet?" follows the category
 * as the resident chooses it, in the check or in the report itself. The page
 * for that category is asked for and its list shown in place (announced
 * politely), so nothing typed is lost; another property reloads the page,
 * since the report depends on it. Without script the check's button shows
 * the list. */
(function () {
	var check = document.querySelector("form[data-tickets-check]");
	var result = document.querySelector("[data-tickets-check-result]");
	var report = document.querySelector("form[data-tickets-report]");
	if (!check || !result || !window.fetch || !window.DOMParser || !window.URLSearchParams) {
		return;
	}
	var checkCategory = check.querySelector("[name=category]");
	var reportCategory = report && report.querySelector("[name=category]");
	var asked = 0;
	function show() {
		var query = new URLSearchParams(new FormData(check)).toString();
		var mine = ++asked;
		window
			.fetch(check.getAttribute("action") + "?" + query, { credentials: "same-origin" })
			.then(function (res) {
				return res.ok ? res.text() : null;
			})
			.then(function (html) {
				var fresh = html && new DOMParser().parseFromString(html, "text/html");
				var list = fresh && fresh.querySelector("[data-tickets-check-result]");
				if (mine === asked && list) {
					result.innerHTML = list.innerHTML;
				}
			})
			.catch(function () {
				/* the check's button still shows it */
			});
	}
	check.addEventListener("change", function (event) {
		if (event.target.name === "property_id") {
			check.submit();
			return;
		}
		if (reportCategory && checkCategory.value) {
			reportCategory.value = checkCategory.value;
		}
		show();
	});
	if (reportCategory) {
		reportCategory.addEventListener("change", function () {
			checkCategory.value = reportCategory.value;
			show();
		});
	}
})();
