/* Chart: jobs finished and failed per second, and queue depth, for a talk:
 * the last 60 s (5 min selectable), whole-number ticks labelled "30 s ago",
 * and the current figures as big numbers beside it. Colours and type come
 * from the theme (static/charts.js); a theme change redraws it. */

import { CHART_SECONDS, el, clear, formatNumber, loadScript, loadStyle } from "./util.js";

/* Seconds the big "per second" figures average over. */
const RATE_WINDOW = 10;

export function ChartView(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.box = document.getElementById("chart");
  this.figures = document.getElementById("chart-figures");
  this.buckets = new Map();   // second -> [processed, failed]
  this.depth = new Map();     // second -> queued jobs
  this.plot = null;
  this.seconds = 60;
  this.sparkline = document.documentElement.classList.contains("embed");
}

/* uPlot and our chart styles (static/charts.js) load here, beside the first paint, which does not need them. */
ChartView.prototype.libraries = function () {
  var self = this, data = this.dash.root.dataset;
  if (!this.loading) {
    this.loading = Promise.all([loadScript(data.uplotSrc), loadScript(data.chartsSrc), loadStyle(data.uplotCss)]);
    this.loading.then(function () {
      window.OMQCharts.onTheme(function () { self.rebuild(); });
    }, function () {
      self.loading = null; // no chart this time: the next render (a theme change, a resize) tries again
    });
  }
  return this.loading;
};

/* A promise of the chart on screen (or of giving up on it): what data-ready waits for beside the lanes. */
ChartView.prototype.drawn = function () {
  var self = this;
  if (!this.box) return Promise.resolve();
  return this.libraries().then(function () { self.render(); }, function () { /* shown without a chart */ });
};

ChartView.prototype.render = function () {
  var self = this;
  if (!this.box || this.plot) return;
  if (!window.uPlot || !window.OMQCharts) {
    this.libraries().then(function () { self.render(); }, function () { /* see libraries() */ });
    return;
  }
  var charts = window.OMQCharts, theme = charts.style(this.box);
  var now = function () { return Date.now() / 1000; };
  var line = function (label, scale, name, dash) {
    return { label: label, scale: scale, stroke: theme.color(name), width: Math.max(2, theme.px / 8), dash: dash, points: { show: false } };
  };
  this.plot = new window.uPlot({
    width: Math.max(200, this.box.clientWidth), height: this.height(),
    legend: { show: false }, cursor: { show: false },
    scales: { x: { time: true }, rate: { auto: true, range: function (u, min, max) { return [0, Math.max(2, Math.ceil(max))]; } },
              depth: { auto: true, range: function (u, min, max) { return [0, Math.max(2, Math.ceil(max))]; } } },
    series: [{}, line("finished/s", "rate", "--st-finished"), line("failed/s", "rate", "--st-failed"),
             line("queued", "depth", "--st-queued", [8, 6])],
    // In a slide the strip is too short for axes: a sparkline beside the big numbers.
    axes: this.sparkline ? [{ show: false }, { show: false, scale: "rate" }, { show: false, scale: "depth" }]
      : [charts.timeAxis(this.box, now),
         charts.axis(this.box, { scale: "rate", incrs: charts.integers }),
         charts.axis(this.box, { scale: "depth", side: 1, incrs: charts.integers, grid: { show: false } })]
  }, this.data(), this.box);
};

ChartView.prototype.rebuild = function () {
  if (this.plot) { this.plot.destroy(); this.plot = null; }
  clear(this.box);
  this.render();
};

ChartView.prototype.start = function () {
  var self = this;
  this.bindRange();
  window.setInterval(function () { self.tick(); }, 1000);
  this.render();
  if (window.ResizeObserver && this.box) {
    new ResizeObserver(function () {
      if (self.plot) self.plot.setSize({ width: Math.max(200, self.box.clientWidth), height: self.height() });
    }).observe(this.box);
  }
};

/* The 1 min / 5 min buttons. */
ChartView.prototype.bindRange = function () {
  var self = this;
  document.querySelectorAll("[data-chart-seconds]").forEach(function (button) {
    button.addEventListener("click", function () {
      self.seconds = Number(button.dataset.chartSeconds);
      document.querySelectorAll("[data-chart-seconds]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      if (self.plot) self.plot.setData(self.data());
    });
  });
};

ChartView.prototype.height = function () {
  var fill = this.box.clientHeight;  // a projector's strip or panel gives the chart its height
  return fill > 60 ? fill : (window.innerWidth < 700 ? 150 : 200);
};

/* Events are charted at the second the worker wrote them (their `ts`). */
ChartView.prototype.record = function (events) {
  var self = this, horizon = Date.now() / 1000 - CHART_SECONDS;
  events.forEach(function (e) {
    var done = e.type === "finished" || (e.type === "seen" && e.status === "finished");
    var failed = e.type === "failed" || e.type === "retry" || (e.type === "seen" && e.status === "failed") ||
      e.type === "abandoned";
    if ((!done && !failed) || !e.ts || e.ts < horizon) return;
    var second = Math.floor(e.ts);
    var bucket = self.buckets.get(second) || [0, 0];
    bucket[done ? 0 : 1] += 1;
    self.buckets.set(second, bucket);
  });
};

ChartView.prototype.queued = function () {
  var total = 0, store = this.store;
  store.queues.forEach(function (q) { total += store.count(q, "queued") || 0; });
  return total;
};

ChartView.prototype.data = function () {
  var now = Math.floor(Date.now() / 1000), xs = [], done = [], failed = [], depth = [];
  var lastDepth = null;
  for (var t = now - this.seconds + 1; t <= now; t++) {
    var bucket = this.buckets.get(t) || [0, 0];
    if (this.depth.has(t)) lastDepth = this.depth.get(t);
    xs.push(t); done.push(bucket[0]); failed.push(bucket[1]); depth.push(lastDepth);
  }
  return [xs, done, failed, depth];
};

/* The big numbers: finished and failed per second over the last RATE_WINDOW s, queued now. */
ChartView.prototype.showFigures = function () {
  if (!this.figures) return;
  var now = Math.floor(Date.now() / 1000), done = 0, failed = 0;
  for (var t = now - RATE_WINDOW; t < now; t++) {
    var bucket = this.buckets.get(t);
    if (bucket) { done += bucket[0]; failed += bucket[1]; }
  }
  var rate = function (n) { var r = n / RATE_WINDOW; return r === 0 ? "0" : r < 10 ? r.toFixed(1) : String(Math.round(r)); };
  var figures = [["finished", rate(done), "finished/s"], ["failed", rate(failed), "failed/s"],
                 ["queued", formatNumber(this.queued()), "queued"]];
  if (!this.figures.firstChild) {
    var box = this.figures;
    figures.forEach(function (f) {
      var figure = el("div", "figure figure-" + f[0]);
      figure.append(el("span", "figure-value"), el("span", "figure-name", f[2]));
      box.append(figure);
    });
  }
  figures.forEach(function (f, i) {
    var value = this.figures.children[i].firstChild;
    if (value.textContent !== f[1]) value.textContent = f[1];
  }, this);
};

ChartView.prototype.tick = function () {
  var horizon = Math.floor(Date.now() / 1000) - CHART_SECONDS - 1;
  this.depth.set(Math.floor(Date.now() / 1000), this.queued());
  [this.buckets, this.depth].forEach(function (map) {
    map.forEach(function (_, t) { if (t < horizon) map.delete(t); });
  });
  if (document.hidden) return;
  this.showFigures();
  if (this.plot) this.plot.setData(this.data());
};
