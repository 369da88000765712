// "Copy link" buttons: copy the text of the input they name, and say so to screen readers.
"use strict";
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  button.addEventListener("click", function () {
    var id = button.dataset.copyTarget;
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    input.select();
    var done = function () {
      if (status) {
        status.textContent = button.dataset.copiedText || "Link copied.";
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else {
      done();
    }
  });
});
