/* The analytics dashboards: Plotly charts, one time range for every panel kept in the URL.
 *
 * - Drag-zoom on any time chart sets `from`/`to` (epoch ms) in the URL and reloads, so every panel
 *   shows the same range and the view can be shared; double-click resets to the preset.
 * - The refresh picker (off / 10 s / 1 min / 5 min) is the URL's `refresh`, for any range.
 * - Legend entries toggle series (event annotations too: one entry per kind); hidden series stay
 *   hidden across the reloads of a zoom, a preset or the refresh picker.
 * - The camera exports a PNG; each card has a CSV link.
 * - Charts follow the admin's light/dark theme and the width of their card.
 * No inline handlers: this file is loaded from our origin, as production's CSP wants.
 */
(function () {
  "use strict";
  var REFRESH_MS = {"10s": 10000, "1m": 60000, "5m": 300000};

  function dark() {
    var theme = document.documentElement.dataset.theme;
    if (theme === "dark") { return true; }
    if (theme === "light") { return false; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function themed(layout) {
    var css = getComputedStyle(document.documentElement);
    var fg = css.getPropertyValue("--body-fg").trim() || "#1f2430";
    var grid = css.getPropertyValue("--hairline-color").trim() || "#e7e8ee";
    layout.paper_bgcolor = "rgba(0,0,0,0)";
    layout.plot_bgcolor = "rgba(0,0,0,0)";
    layout.font = Object.assign({}, layout.font, {color: fg});
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        layout[key] = Object.assign({gridcolor: grid, zerolinecolor: grid}, layout[key]);
      }
    });
    if (dark()) { layout.legend = Object.assign({}, layout.legend, {font: {color: fg}}); }
    return layout;
  }

  function isTimeChart(layout) {
    var range = layout.xaxis && layout.xaxis.range;
    return Boolean(range && typeof range[0] === "string" && /^\d{4}-\d\d-\d\d/.test(range[0]));
  }

  function setRange(params) {
    var url = new URL(window.location.href);
    ["range", "start", "end", "csv"].forEach(function (k) { url.searchParams.delete(k); });
    Object.keys(params).forEach(function (k) { url.searchParams.set(k, params[k]); });
    window.location.assign(url.toString());
  }

  function toMillis(value) {
    // Plotly gives axis times as "2026-12-01 21:55:12.3456" in UTC (the figure's times are UTC).
    if (typeof value === "number") { return Math.round(value); }
    return Math.round(Date.parse(String(value).replace(" ", "T") + (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? "" : "Z")));
  }

  // Series hidden by a legend click stay hidden across the reloads of a zoom, a preset or the
  // refresh picker (per tab and chart: sessionStorage, keyed by the dashboard's path and chart id).
  function hiddenKey(div) { return "npcadmin.hidden:" + window.location.pathname + ":" + div.id; }
  function hiddenNames(div) {
    try { return JSON.parse(window.sessionStorage.getItem(hiddenKey(div)) || "[]"); } catch (e) { return []; }
  }
  function rememberHidden(div) {
    var names = [];
    (div.data || []).forEach(function (trace) {
      if (trace.visible === "legendonly" && trace.name && names.indexOf(trace.name) < 0) { names.push(trace.name); }
    });
    try { window.sessionStorage.setItem(hiddenKey(div), JSON.stringify(names)); } catch (e) { /* private mode */ }
  }

  function draw(div) {
    var figure = JSON.parse(document.getElementById(div.dataset.figure).textContent);
    var hidden = hiddenNames(div);
    figure.data.forEach(function (trace) {
      if (trace.name && hidden.indexOf(trace.name) >= 0) { trace.visible = "legendonly"; }
      // One point draws no line: show it.
      if (trace.type === "scatter" && trace.mode === "lines" && trace.x && trace.x.length < 3) {
        trace.mode = "lines+markers";
      }
    });
    var timeChart = isTimeChart(figure.layout);
    // Read before drawing: Plotly keeps (and updates) the layout object it is given.
    var initial = timeChart ? figure.layout.xaxis.range.map(toMillis) : null;
    var layout = themed(figure.layout);
    layout.autosize = true;
    Plotly.newPlot(div, figure.data, layout, {
      responsive: true, displaylogo: false,
      toImageButtonOptions: {format: "png", filename: div.dataset.filename, scale: 2}
    }).then(function () {
      div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
    });
    div.on("plotly_restyle", function () { rememberHidden(div); });
    if (timeChart) {
      div.classList.add("time-chart");
      div.on("plotly_relayout", function (event) {
        var from = event["xaxis.range[0]"], to = event["xaxis.range[1]"];
        if (event["xaxis.range"]) { from = event["xaxis.range"][0]; to = event["xaxis.range"][1]; }
        if (from !== undefined && to !== undefined &&
            Math.abs(toMillis(from) - initial[0]) < 1000 && Math.abs(toMillis(to) - initial[1]) < 1000) {
          return;  // a double-click back to the range the page already shows
        }
        if (from !== undefined && to !== undefined) {
          setRange({from: String(toMillis(from)), to: String(toMillis(to))});
        } else if (event["xaxis.autorange"]) {
          var url = new URL(window.location.href);
          url.searchParams.delete("from"); url.searchParams.delete("to");
          window.location.assign(url.toString());
        }
      });
    }
    if (window.ResizeObserver) {
      new ResizeObserver(function () { Plotly.Plots.resize(div); }).observe(div.parentElement);
    }
  }

  document.querySelectorAll("div.chart").forEach(draw);

  document.querySelectorAll("button.png").forEach(function (button) {
    button.addEventListener("click", function () {
      var div = document.getElementById(button.dataset.chart);
      // The page's charts are transparent (they sit on the card): the image gets the card's colour.
      var card = getComputedStyle(div.closest(".card") || document.body).backgroundColor;
      Plotly.relayout(div, {paper_bgcolor: card}).then(function () {
        return Plotly.downloadImage(div, {format: "png", filename: div.dataset.filename, scale: 2,
                                          width: div.offsetWidth, height: div.offsetHeight});
      }).then(function () { return Plotly.relayout(div, {paper_bgcolor: "rgba(0,0,0,0)"}); });
    });
  });

  // Redraw in the other palette when the admin's theme toggle is used.
  new MutationObserver(function () {
    document.querySelectorAll("div.chart.js-plotly-plot").forEach(function (div) {
      Plotly.relayout(div, themed({font: div.layout.font, legend: div.layout.legend, xaxis: div.layout.xaxis,
                                   yaxis: div.layout.yaxis}));
    });
  }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-theme"]});

  var range = document.getElementById("id_range");
  function customVisible() {
    var custom = range.value === "custom";
    ["id_start", "id_end"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) { input.closest("label").style.display = custom ? "" : "none"; }
    });
  }
  if (range) {
    range.addEventListener("change", function () {
      // A preset chosen by hand replaces a zoomed or typed from/to.
      document.querySelectorAll("input.time-bound").forEach(function (el) { el.remove(); });
      customVisible();
    });
    customVisible();
  }

  var refresh = document.getElementById("refresh");
  if (refresh) {
    refresh.addEventListener("change", function () {
      var url = new URL(window.location.href);
      if (refresh.value) { url.searchParams.set("refresh", refresh.value); } else { url.searchParams.delete("refresh"); }
      window.location.assign(url.toString());
    });
    var every = REFRESH_MS[refresh.value];
    if (every) {
      setInterval(function () { if (!document.hidden) { window.location.reload(); } }, every);
    }
  }
})();
