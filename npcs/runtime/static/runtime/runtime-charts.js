// The runtime page's charts (Plotly): queue depth per priority, decisions per minute (LLM vs
// rules) and the average decision latency over the last hour. The first paint draws the hour the
// server read from Redis (#runtime-history); every snapshot of the WebSocket (runtime-live.js,
// event "runtime:snapshot") appends a queue-depth point and redraws the per-minute series.
// Times are UTC, like the tables. Colours follow the admin's light/dark theme.
// plotly.js (4.8 MB) loads async, so the live numbers never wait for it; the charts start when it is in.
(function () {
"use strict";
(function () {
  var tag = document.getElementById("plotly-js");
  if (!window.Plotly && tag) { tag.addEventListener("load", charts); } else { charts(); }
})();

function charts() {
  var root = document.getElementById("runtime");
  var source = document.getElementById("runtime-history");
  if (!root || !source || !window.Plotly) { return; }
  var history = JSON.parse(source.textContent);
  var HOUR_MS = 3600 * 1000;
  var PRIORITIES = (root.getAttribute("data-priorities") || "").split(",").filter(Boolean);
  // Urgent (1) warm to relaxed (10) cool.
  var PALETTE = ["#d62728", "#ff7f0e", "#f2b701", "#bcbd22", "#2ca02c", "#17becf", "#1f77b4", "#6a51a3",
                 "#9467bd", "#8c8c8c"];
  var LLM = "#7b61ff", RULES = "#2ca02c", LATENCY = "#ff7f0e";
  var depthDiv = document.getElementById("chart-queue-depth");
  var decisionsDiv = document.getElementById("chart-decisions");
  var latencyDiv = document.getElementById("chart-latency");
  var lastDepthAt = null;

  function colours() {
    var css = getComputedStyle(document.documentElement);
    return {fg: css.getPropertyValue("--body-fg").trim() || "#1f2430",
            grid: css.getPropertyValue("--hairline-color").trim() || "#e7e8ee"};
  }

  // The window: the last hour, but starting where the data starts (at least 3 minutes wide),
  // so a fresh install does not draw an hour of nothing with a sliver at the right edge.
  // Each chart has its own start: depth samples are seconds, minutes are minute buckets.
  var first = {depth: null, minutes: null};
  function noteFirst(kind, ms) {
    if (ms !== null && ms !== undefined && (first[kind] === null || ms < first[kind])) { first[kind] = ms; }
  }
  function window_(kind, now) {
    var start = now - HOUR_MS;
    var narrowest = kind === "depth" ? 3 * 60 * 1000 : 10 * 60 * 1000;
    if (first[kind] !== null) { start = Math.max(start, Math.min(first[kind] - 30 * 1000, now - narrowest)); }
    return [start, now];
  }

  function layout(kind, yTitle, extra) {
    var c = colours();
    var now = kind === "minutes" ? Date.now() + 60 * 1000 : Date.now();  // room for the current minute's bar
    return Object.assign({
      margin: {l: 52, r: 12, t: 8, b: 36}, height: 260, showlegend: true,
      legend: {orientation: "h", y: -0.22, font: {color: c.fg}},
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: {color: c.fg, size: 12},
      xaxis: {type: "date", range: window_(kind, now), gridcolor: c.grid, zerolinecolor: c.grid, title: {text: ""}},
      yaxis: {title: {text: yTitle}, rangemode: "tozero", gridcolor: c.grid, zerolinecolor: c.grid, tickformat: ",d"},
      hovermode: "x unified"
    }, extra || {});
  }

  var config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]};

  function mark(div, points, last) {
    div.setAttribute("data-points", String(points));
    div.setAttribute("data-last", last === undefined || last === null ? "" : String(last));
  }

  // --- queue depth: one stacked series per priority, a point per second ----------------------
  function drawDepth() {
    var traces = PRIORITIES.map(function (p, i) {
      return {x: history.queue.t.slice(), y: (history.queue.depths[p] || []).slice(), name: "P" + p,
              type: "scatter", mode: "lines", stackgroup: "depth", line: {width: 0.5, color: PALETTE[i % PALETTE.length]},
              hovertemplate: "%{y}"};
    });
    var t = history.queue.t;
    lastDepthAt = t.length ? t[t.length - 1] : null;
    noteFirst("depth", t.length ? t[0] : null);
    Plotly.newPlot(depthDiv, traces, layout("depth", "decisions queued", {legend: {orientation: "v", x: 1.01, y: 1,
      font: {color: colours().fg}}, margin: {l: 52, r: 60, t: 8, b: 36}}), config);
    mark(depthDiv, t.length, t.length ? totalAt(t.length - 1) : null);
  }

  function totalAt(index) {
    return PRIORITIES.reduce(function (sum, p) { return sum + ((history.queue.depths[p] || [])[index] || 0); }, 0);
  }

  function appendDepth(snapshot) {
    var at = Math.floor(Number(snapshot.at)) * 1000;
    if (lastDepthAt !== null && at <= lastDepthAt) { return; }  // a resend of the same second
    lastDepthAt = at;
    var ys = PRIORITIES.map(function (p) {
      var q = snapshot.queues_by_priority[p];
      return [q ? q.depth : 0];
    });
    Plotly.extendTraces(depthDiv, {x: PRIORITIES.map(function () { return [at]; }), y: ys},
                        PRIORITIES.map(function (_, i) { return i; }), 3600);
    noteFirst("depth", at);
    Plotly.relayout(depthDiv, {"xaxis.range": window_("depth", at)});
    mark(depthDiv, depthDiv.data[0].x.length, snapshot.queued_total);
  }

  // --- per minute: decisions (LLM vs rules) and latency --------------------------------------
  var drawnMinutes = null;
  function drawMinutes(minutes) {
    var signature = JSON.stringify(minutes);
    if (signature === drawnMinutes) { return; }  // most seconds change nothing per minute
    drawnMinutes = signature;
    var t = minutes.map(function (m) { return m.t; });
    minutes.forEach(function (m) { if (m.llm_used + m.rule_used > 0) { noteFirst("minutes", m.t); } });
    Plotly.react(decisionsDiv, [
      {x: t, y: minutes.map(function (m) { return m.llm_used; }), name: "LLM", type: "bar", marker: {color: LLM}},
      {x: t, y: minutes.map(function (m) { return m.rule_used; }), name: "rules", type: "bar", marker: {color: RULES}}
    ], layout("minutes", "decisions / min", {barmode: "stack", bargap: 0.15}), config);
    var last = minutes.length ? minutes[minutes.length - 1] : null;
    mark(decisionsDiv, t.length, last ? last.llm_used + last.rule_used : null);
    Plotly.react(latencyDiv, [
      {x: t, y: minutes.map(function (m) { return m.avg_latency; }), name: "average latency", type: "scatter",
       mode: "lines+markers", connectgaps: false, line: {color: LATENCY, width: 2}, marker: {size: 4},
       hovertemplate: "%{y:.1f} ms"}
    ], layout("minutes", "ms", {showlegend: false,
      yaxis: Object.assign(layout("minutes", "ms").yaxis, {tickformat: ",.0f"})}), config);
    mark(latencyDiv, t.filter(function (_, i) { return minutes[i].avg_latency !== null; }).length,
         last ? last.avg_latency : null);
  }

  drawDepth();
  drawMinutes(history.minutes);

  root.addEventListener("runtime:snapshot", function (event) {
    var snapshot = event.detail;
    if (!snapshot.available) { return; }
    appendDepth(snapshot);
    if (snapshot.metrics && snapshot.metrics.history) { drawMinutes(snapshot.metrics.history); }
  });

  // Redraw in the other palette when the admin's theme toggle is used, or the system's scheme
  // changes while the theme is "auto".
  function retheme() {
    var c = colours();
    [depthDiv, decisionsDiv, latencyDiv].forEach(function (div) {
      Plotly.relayout(div, {"font.color": c.fg, "legend.font.color": c.fg, "xaxis.gridcolor": c.grid,
                            "yaxis.gridcolor": c.grid, "xaxis.zerolinecolor": c.grid, "yaxis.zerolinecolor": c.grid});
    });
  }
  new MutationObserver(retheme).observe(document.documentElement, {attributes: true, attributeFilter: ["data-theme"]});
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) { scheme.addEventListener("change", retheme); }
  }
}
})();
