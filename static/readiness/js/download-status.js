// A download being prepared (templates/downloads/status.html): ask the server where it is
// every few seconds and show it. The status, which screen readers announce, changes only
// when the state does; the count and the bar follow the progress silently. When it is
// done, the link (or what went wrong) appears. Without this script the page still
// works: "Check again" reloads it.
"use strict";
(function () {
  var state = document.getElementById("download-state");
  if (!state || (state.dataset.status !== "queued" && state.dataset.status !== "preparing")) {
    return;
  }
  var status = document.getElementById("download-status");
  var count = document.getElementById("download-count");
  var progress = document.getElementById("download-progress");
  var waiting = document.getElementById("download-waiting-part");
  var every = 3000;

  function announce(label) {
    if (label && status.textContent !== label) {
      status.textContent = label;
    }
  }

  function finished() {
    if (waiting) {
      waiting.hidden = true;
    }
  }

  function show(data) {
    announce(data.status_label);
    if (data.status === "preparing" && data.total && data.count_label) {
      count.textContent = data.count_label;
      progress.value = data.percent;
    }
    if (data.status === "ready") {
      document.getElementById("download-link").href = data.file_url;
      document.getElementById("download-size").textContent = data.size_label || "";
      document.getElementById("download-ready").hidden = false;
      finished();
      return true;
    }
    if (data.status === "failed" || data.status === "expired") {
      document.getElementById("download-failure-text").textContent = data.failure || "";
      document.getElementById("download-failure").hidden = false;
      finished();
      return true;
    }
    return false;
  }

  function ask() {
    fetch(state.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) {
          // signed out, or no longer allowed: the page itself says what to do
          window.location.reload();
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (data && !show(data)) {
          window.setTimeout(ask, every);
        }
      })
      .catch(function () {
        window.setTimeout(ask, every * 3);
      });
  }

  window.setTimeout(ask, every);
})();
