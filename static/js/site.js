// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to an error summary so screen-reader and keyboard users start at the problem.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
    // A form posted to "...#anchor" makes the browser jump there after this script ran.
    window.addEventListener("load", function () { summary.focus(); }, {once: true});
  }
})();
