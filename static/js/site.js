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

// Comment drafts (editor.js keeps them in localStorage) belong to the person who typed them: on a
// shared computer the next person must neither see nor inherit them. They are forgotten at
// logout, and on the first page shown to someone else than their owner (a session that ended on
// its own, a logout in another tab or on every device). A page for nobody signed in keeps them:
// the owner may be signing in again to send the comment.
(function () {
  "use strict";
  var DRAFT_PREFIX = "wspolnie-szkic:";
  var OWNER_KEY = "wspolnie-szkice-osoby";
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }
  if (!storage) { return; }

  function forgetDrafts() {
    for (var i = storage.length - 1; i >= 0; i--) {
      var name = storage.key(i);
      if (name && name.indexOf(DRAFT_PREFIX) === 0) { storage.removeItem(name); }
    }
    storage.removeItem(OWNER_KEY);
  }

  var owner = document.body.getAttribute("data-draft-owner");
  if (owner && storage.getItem(OWNER_KEY) !== owner) {
    forgetDrafts();
    storage.setItem(OWNER_KEY, owner);
  }
  document.querySelectorAll("form[data-forget-drafts]").forEach(function (form) {
    form.addEventListener("submit", forgetDrafts);
  });
})();
