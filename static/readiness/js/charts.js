// Draws every plotly figure on the page from the JSON that the server put in a
// json_script element, so no inline script is needed (Content-Security-Policy).
"use strict";
document.querySelectorAll("[data-figure]").forEach(function (element) {
  var source = document.getElementById(element.dataset.figure);
  if (!source || typeof Plotly === "undefined") {
    return;
  }
  var figure = JSON.parse(source.textContent);
  Plotly.newPlot(element, figure.data, figure.layout, {
    displayModeBar: false,
    responsive: true,
  });
});
