/* Chart: processed and failed per second, queue depth. */

import { CHART_SECONDS } from "./util.js";

export function ChartView(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.box = document.getElementById("chart");
  this.buckets = new Map();   // second -> [processed, failed]
  this.depth = new Map();     // second -> queued jobs
  this.plot = null;
}

/* uPlot loads async (it is not needed for the first paint): build when it is there. */
ChartView.prototype.render = function () {
  var self = this;
  if (!this.box || this.plot) return;
  if (!window.uPlot) {
    var script = document.getElementById("uplot-script");
    if (script) script.addEventListener("load", function () { self.render(); });
    return;
  }
  var style = getComputedStyle(document.body);
  var color = function (name, fallback) { return (style.getPropertyValue(name) || fallback).trim(); };
  var axis = { stroke: color("--muted", "#8e99b3"), grid: { stroke: color("--line", "#2a3350"), width: 1 },
               ticks: { stroke: color("--line", "#2a3350") } };
  this.plot = new window.uPlot({
    width: Math.max(200, this.box.clientWidth), height: this.height(),
    legend: { live: false },
    cursor: { show: false },
    scales: { x: { time: true }, rate: { auto: true, range: function (u, min, max) { return [0, Math.max(1, max)]; } },
              depth: { auto: true, range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
    series: [
      {},
      { label: "processed/s", scale: "rate", stroke: color("--ok", "#2fb36d"), width: 2 },
      { label: "failed/s", scale: "rate", stroke: color("--accent", "#e0493a"), width: 2 },
      { label: "queued", scale: "depth", stroke: color("--link", "#7fb0ff"), width: 2, dash: [6, 4] }
    ],
    axes: [
      Object.assign({}, axis),
      Object.assign({ scale: "rate", label: "jobs/s" }, axis),
      Object.assign({ scale: "depth", side: 1, label: "queued", grid: { show: false } }, axis)
    ]
  }, this.data(), this.box);
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (self.plot) self.plot.setSize({ width: Math.max(200, self.box.clientWidth), height: self.height() });
    }).observe(this.box);
  }
};

ChartView.prototype.start = function () {
  var self = this;
  window.setInterval(function () { self.tick(); }, 1000);
  this.render();
};

ChartView.prototype.height = function () {
  return document.body.classList.contains("big") ? 260 : (window.innerWidth < 700 ? 150 : 190);
};

/* Events are charted at the second the worker wrote them (their `ts`). */
ChartView.prototype.record = function (events) {
  var self = this, horizon = Date.now() / 1000 - CHART_SECONDS;
  events.forEach(function (e) {
    var done = e.type === "finished" || (e.type === "seen" && e.status === "finished");
    var failed = e.type === "failed" || (e.type === "seen" && e.status === "failed") ||
      (e.type === "abandoned" && e.outcome !== "retried");
    if ((!done && !failed) || !e.ts || e.ts < horizon) return;
    var second = Math.floor(e.ts);
    var bucket = self.buckets.get(second) || [0, 0];
    bucket[done ? 0 : 1] += 1;
    self.buckets.set(second, bucket);
  });
};

ChartView.prototype.sampleDepth = function () {
  var total = 0, store = this.store;
  store.queues.forEach(function (q) { total += store.count(q, "queued") || 0; });
  this.depth.set(Math.floor(Date.now() / 1000), total);
};

ChartView.prototype.data = function () {
  var now = Math.floor(Date.now() / 1000), xs = [], done = [], failed = [], depth = [];
  var lastDepth = null;
  for (var t = now - CHART_SECONDS + 1; t <= now; t++) {
    var bucket = this.buckets.get(t) || [0, 0];
    if (this.depth.has(t)) lastDepth = this.depth.get(t);
    xs.push(t); done.push(bucket[0]); failed.push(bucket[1]); depth.push(lastDepth);
  }
  return [xs, done, failed, depth];
};

ChartView.prototype.tick = function () {
  var horizon = Math.floor(Date.now() / 1000) - CHART_SECONDS - 1;
  var self = this;
  this.sampleDepth();
  [this.buckets, this.depth].forEach(function (map) {
    map.forEach(function (_, t) { if (t < horizon) map.delete(t); });
  });
  if (this.plot && !document.hidden) this.plot.setData(self.data());
};
