// Copy buttons that start hidden, because without scripts they would do nothing: shown
// here, and copy-link.js copies. Without scripts, the text can still be selected.
"use strict";
document.querySelectorAll("[data-copy-target][hidden]").forEach(function (button) {
  button.hidden = false;
});
