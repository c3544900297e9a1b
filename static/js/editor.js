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

  var timer = null;
  textarea.addEventListener("input", function () {
    if (storage) {
      if (textarea.value) { storage.setItem(key, textarea.value); } else { storage.removeItem(key); }
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(updatePreview, 600);
  });

  var live = document.querySelector("[data-live-preview-for='" + textarea.id + "']");
  var token = form.querySelector("input[name='csrf_token']");
  function updatePreview() {
    if (!live || !window.fetch) { return; }
    if (!textarea.value.trim()) { live.hidden = true; live.innerHTML = ""; return; }
    var body = new URLSearchParams();
    body.set("body", textarea.value);
    if (token) { body.set("csrf_token", token.value); }
    window.fetch(textarea.getAttribute("data-preview-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : ""}
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        // The HTML comes from the server's sanitiser (portal/sanitize.py), the same as published text.
        live.innerHTML = data.html;
        live.hidden = false;
      })
      .catch(function () { /* the preview button still works */ });
  }
})();
