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
