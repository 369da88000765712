// Draws every plotly figure on the page from the JSON that the server put in a
// json_script element, so no inline script is needed (Content-Security-Policy).
//
// The chart library is most of a results page's weight, so it is fetched only when the
// first chart comes near the screen, and each chart is drawn when it does: the text
// and tables at the top are usable at once. A figure may carry a "narrow" variant
// (readiness/charts/), drawn when the chart is narrower than NARROW_BELOW; a variant
// with a "min_width" keeps that width and scrolls sideways in its labelled region.
"use strict";
(function () {
  var NARROW_BELOW = 576;
  // Printing: charts drawn at the paper's width (about 7 inches at 96 px per inch).
  var PRINT_WIDTH = 680;
  var printing = false;
  var script = document.querySelector("script[data-plotly-src]");
  var loading = null;

  function plotly() {
    if (window.Plotly) {
      return Promise.resolve(window.Plotly);
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = script.dataset.plotlySrc;
        tag.onload = function () { resolve(window.Plotly); };
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function variant(element, figure) {
    var narrow = figure.narrow && element.clientWidth < NARROW_BELOW;
    return narrow ? figure.narrow : figure;
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    plotly().then(function (Plotly) {
      var chosen = variant(element, figure);
      var layout = Object.assign({}, chosen.layout);
      element.classList.toggle("chart-wide", Boolean(chosen.min_width));
      if (printing) {
        layout.width = PRINT_WIDTH;
      } else if (chosen.min_width && element.clientWidth < chosen.min_width) {
        layout.width = chosen.min_width;
        element.tabIndex = 0; // a region that scrolls can be scrolled from the keyboard
      }
      Plotly.newPlot(element, chosen.data, layout, {
        displayModeBar: false,
        responsive: !layout.width,
      });
      element.dataset.drawn = chosen === figure ? "wide" : "narrow";
    });
  }

  var charts = document.querySelectorAll("[data-figure]");
  if (!script || !charts.length) {
    return;
  }
  // Each chart keeps its drawn height from the start, so that drawing it as it comes
  // into view moves nothing on the page (no layout shift under a reader or a click).
  charts.forEach(function (element) {
    var source = document.getElementById(element.dataset.figure);
    if (source) {
      var height = variant(element, JSON.parse(source.textContent)).layout.height;
      if (height) {
        element.style.minHeight = height + "px";
      }
    }
  });
  if (!("IntersectionObserver" in window)) {
    charts.forEach(draw);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        draw(entry.target);
      }
    });
  }, { rootMargin: "200px 0px" });
  charts.forEach(function (element) { observer.observe(element); });
  // Printing: every table opened and every chart drawn at the paper's width, then put
  // back as they were.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    printing = true;
    document.querySelectorAll("main details:not([open])").forEach(function (details) {
      details.open = true;
      opened.push(details);
    });
    charts.forEach(function (element) {
      if (!element.dataset.drawn) {
        observer.unobserve(element);
        draw(element);
      } else if (window.Plotly) {
        window.Plotly.relayout(element, { width: PRINT_WIDTH });
      }
    });
  });
  window.addEventListener("afterprint", function () {
    printing = false;
    opened.forEach(function (details) { details.open = false; });
    opened = [];
    charts.forEach(function (element) {
      if (element.dataset.drawn && window.Plotly) {
        window.Plotly.relayout(element, { width: null, autosize: true });
      }
    });
  });
})();
