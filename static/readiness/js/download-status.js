// A download being prepared (templates/downloads/status.html): ask the server where it is
// every few seconds, update the progress and the status that screen readers announce,
// and show the link, or what went wrong, when it is done. Without this script the page
// still works: "Check again" reloads it.
"use strict";
(function () {
  var state = document.getElementById("download-state");
  if (!state) {
    return;
  }
  var status = document.getElementById("download-status");
  var progress = document.getElementById("download-progress");
  var every = 3000;

  function show(data) {
    if (data.status === "preparing" && data.total) {
      status.textContent = data.status_label + ": " + data.done + " / " + data.total;
    } else {
      status.textContent = data.status_label || status.textContent;
    }
    if (progress) {
      progress.value = data.percent;
      progress.textContent = data.percent + "%";
    }
    if (data.status === "ready") {
      document.getElementById("download-link").href = data.file_url;
      document.getElementById("download-ready").hidden = false;
      if (progress) {
        progress.hidden = true;
      }
      return true;
    }
    if (data.status === "failed" || data.status === "expired") {
      document.getElementById("download-failure-text").textContent = data.failure || "";
      document.getElementById("download-failure").hidden = false;
      if (progress) {
        progress.hidden = true;
      }
      return true;
    }
    return false;
  }

  function ask() {
    fetch(state.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (!show(data)) {
          window.setTimeout(ask, every);
        }
      })
      .catch(function () {
        window.setTimeout(ask, every * 3);
      });
  }

  if (state.dataset.status === "queued" || state.dataset.status === "preparing") {
    window.setTimeout(ask, every);
  }
})();
