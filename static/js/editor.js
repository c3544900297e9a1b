// The comment editor, enhanced: a live preview through the server's sanitiser, and a draft kept
// in this browser (localStorage) until the comment is sent. Without JS the form works as is:
// the "Podgląd" button shows the preview and the server gives the text back on any refusal.
(function () {
  "use strict";
  var textarea = document.querySelector("textarea[data-draft-key]");
  if (!textarea) { return; }
  var form = textarea.form;
  var key = "wspolnie-szkic:" + textarea.getAttribute("data-draft-key");
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }

  // A comment sent from this browser and confirmed by the server (its success message): its
  // draft is no longer needed. A refused comment comes back with its text and keeps its draft.
  var session = null;
  try { session = window.sessionStorage; } catch (e) { session = null; }
  if (storage && session) {
    var sent = session.getItem("wspolnie-wysylany-szkic");
    if (sent && document.querySelector(".flash--success")) { storage.removeItem(sent); }
    session.removeItem("wspolnie-wysylany-szkic");
  }
  // Restore a draft only into an empty editor: text the server gave back always wins.
  if (storage && !textarea.value) {
    var saved = storage.getItem(key);
    if (saved) { textarea.value = saved; }
  }
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (session && button && button.value === "send") { session.setItem("wspolnie-wysylany-szkic", key); }
  });

  // The preview region (templates/forum/_editor.html) is always on the page, labelled "Podgląd".
  // Its content is replaced quietly; a short polite status tells a screen reader it changed.
  var live = document.querySelector("[data-live-preview-for='" + textarea.id + "']");
  var region = live && live.closest("section");
  var empty = region && region.querySelector("[data-preview-empty]");
  var status = region && region.querySelector("[data-live-preview-status]");
  var token = form.querySelector("input[name='csrf_token']");
  var timer = null;
  var asked = 0;

  textarea.addEventListener("input", function () {
    if (storage) {
      if (textarea.value) { storage.setItem(key, textarea.value); } else { storage.removeItem(key); }
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { updatePreview(true); }, 600);
  });
  // Text already in the editor (a restored draft, a comment being edited): preview it, unannounced.
  if (textarea.value.trim() && live && !live.innerHTML.trim()) { updatePreview(false); }

  function show(html, announce) {
    live.innerHTML = html;
    if (empty) { empty.hidden = html !== ""; }
    if (announce && status) {
      // The same words again are not always read out again: alternate a trailing no-break space.
      var message = status.getAttribute("data-message");
      status.textContent = status.textContent === message ? message + "\u00a0" : message;
    }
  }

  function updatePreview(announce) {
    if (!live || !window.fetch) { return; }
    var request = ++asked;
    if (!textarea.value.trim()) { show("", false); return; }
    var body = new URLSearchParams();
    body.set("body", textarea.value);
    if (token) { body.set("csrf_token", token.value); }
    window.fetch(textarea.getAttribute("data-preview-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : ""}
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || request !== asked) { return; }  // a later keystroke asked again meanwhile
        // The HTML comes from the server's sanitiser (portal/sanitize.py), the same as published text.
        show(data.html, announce);
      })
      .catch(function () { /* the preview button still works */ });
  }
})();
