/* Shared names and small helpers of the dashboard's modules. */

export const LANES = ["scheduled", "deferred", "queued", "started", "finished", "failed", "canceled"];
export const LANE_TITLES = {
  scheduled: "Scheduled", deferred: "Deferred", queued: "Queued", started: "Started",
  finished: "Finished", failed: "Failed", canceled: "Canceled"
};
/* Which lane an event leaves its job in; null: the job is gone. */
export const EVENT_LANE = {
  enqueued: "queued", requeued: "queued", scheduled: "scheduled", started: "started",
  progress: "started", finished: "finished", failed: "failed", canceled: "canceled", deleted: null,
  vanished: null
};
export const CHART_SECONDS = 300;
export const MAX_ANIMATED = 40;        // more moves than this in one frame: no animation
export const MAX_BUFFERED = 200;       // deltas kept while a hello is on its way

// -- small helpers ---------------------------------------------------------

export function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/* Timeline marks (bench/render.py reads them; harmless elsewhere). */
export function mark(name) {
  if (window.performance && performance.mark && !performance.getEntriesByName(name).length) performance.mark(name);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/* Stream ids ("<ms>-<seq>") compare as integer pairs. */
export function idKey(id) {
  var parts = String(id).split("-");
  return [Number(parts[0]) || 0, Number(parts[1]) || 0];
}

export function idCompare(a, b) {
  var x = idKey(a), y = idKey(b);
  return x[0] !== y[0] ? x[0] - y[0] : x[1] - y[1];
}

export function shortFunc(name) {
  var text = String(name || "?");
  var dot = text.lastIndexOf(".");
  return dot >= 0 && dot < text.length - 1 ? text.slice(dot + 1) : text;
}

export function formatNumber(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : "–";
}

export function formatTime(value) {
  if (!value) return "–";
  var date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (isNaN(date.getTime())) return String(value);
  var pad = function (n, w) { return String(n).padStart(w || 2, "0"); };
  return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
    "." + pad(date.getMilliseconds(), 3);
}

export function seconds(from, to) {
  var a = new Date(from).getTime(), b = new Date(to).getTime();
  if (isNaN(a) || isNaN(b)) return null;
  return (b - a) / 1000;
}
