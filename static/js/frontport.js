/* Behaviour that would otherwise be inline (onclick=, style=): the Content-Security-Policy allows
   neither (config/csp.py). Elements opt in with data-fp-* attributes; content swapped in by htmx is
   wired too. */
(function () {
  "use strict";

  function widths(root) {
    root.querySelectorAll("[data-fp-width]").forEach(function (el) {
      var value = parseFloat(el.getAttribute("data-fp-width"));
      if (!isNaN(value)) el.style.width = Math.max(0, Math.min(100, value)) + "%";
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-fp-autosubmit]") && el.form) el.form.submit();
  });

  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("[data-fp-copy], [data-fp-print]") : null;
    if (!el) return;
    if (el.hasAttribute("data-fp-print")) { window.print(); return; }
    var source = document.querySelector(el.getAttribute("data-fp-copy"));
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.value || source.textContent);
  });

  // Fallback controls for browsers without JavaScript (e.g. "Show its fields" on the connect step).
  function hideNoJs(root) {
    root.querySelectorAll("[data-fp-nojs]").forEach(function (el) { el.hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", function () { widths(document); hideNoJs(document); });
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.querySelectorAll) { widths(elt.parentNode || elt); hideNoJs(elt.parentNode || elt); }
  });
})();
