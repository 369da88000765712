// A second click on a submit button while the first post is on its way is ignored.
// The server is idempotent anyway (see services/responses.py); this only spares a
// second round trip on slow clinic networks.
"use strict";
document.querySelectorAll("form").forEach(function (form) {
  if (!form.querySelector("[data-once]")) {
    return;
  }
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    form.setAttribute("aria-busy", "true");
  });
});
// After a failed submit, move focus to the list of questions still to answer.
var summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
}
