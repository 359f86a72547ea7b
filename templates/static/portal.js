/* The portal's only script, loaded with `defer` from /static/. Every page works
 * without it: it only enhances. It must stay CSP-safe: no inline code, no eval,
 * no new Function, no innerHTML with data (use textContent), no event handler
 * attributes. */
"use strict";

(function () {
	/* On a phone the menu scrolls sideways: bring the current entry into view.
	 * Only the menu scrolls (scrollIntoView would move the page as well). */
	var nav = document.querySelector(".site-nav");
	var current = nav && nav.querySelector('[aria-current="page"]');
	if (current && nav.scrollWidth > nav.clientWidth) {
		var navBox = nav.getBoundingClientRect();
		var box = current.getBoundingClientRect();
		nav.scrollLeft += box.left - navBox.left - (navBox.width - box.width) / 2;
	}

	/* <form data-confirm="Really delete?"> asks before sending. */
	document.addEventListener("submit", function (event) {
		var form = event.target;
		var question = form && form.getAttribute && form.getAttribute("data-confirm");
		if (question && !window.confirm(question)) {
			event.preventDefault();
		}
	});
})();
