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

/* A classic script or a stylesheet (Socket.IO, uPlot), loaded once, beside the first paint: a promise of its load. */
var loading = {};
export function loadScript(src) {
  return load(src, function () {
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    return script;
  });
}

export function loadStyle(href) {
  return load(href, function () {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    return link;
  });
}

function load(url, make) {
  if (!loading[url]) {
    loading[url] = new Promise(function (resolve, reject) {
      var node = make();
      node.onload = resolve;
      node.onerror = function () {
        delete loading[url]; // the next call tries again
        node.remove();
        reject(new Error("cannot load " + url));
      };
      document.head.appendChild(node);
    });
  }
  return loading[url];
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

/* One formatter each, made once: toLocaleString() builds a new one per call (slow, on every card). */
var NUMBERS = new Intl.NumberFormat("en-US");
var STAMPS = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric"
});

export function formatNumber(n) {
  return typeof n === "number" ? NUMBERS.format(n) : "–";
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

// -- times as people read them: "12 s ago", the exact time on hover -----------

/* A Date from a Date, an ISO text or Unix seconds (events' ts). */
function toDate(value) {
  if (!value) return null;
  var date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return isNaN(date.getTime()) ? null : date;
}

export function ago(value, now) {
  var date = toDate(value);
  if (!date) return "";
  var s = Math.round(((now || Date.now()) - date.getTime()) / 1000);
  if (s < 0) return "in " + agoText(-s);
  if (s < 2) return "just now";
  return agoText(s) + " ago";
}

function agoText(s) {
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  return Math.floor(s / 3600) + " h";
}

/* A <time> that says "12 s ago" and keeps saying it right (see tickTimes). */
export function timeEl(value, className) {
  var node = el("time", className || "ago");
  setTime(node, value);
  return node;
}

export function setTime(node, value) {
  var date = toDate(value);
  node.hidden = !date;
  if (!date) return;
  node.dateTime = date.toISOString();
  node.title = STAMPS.format(date);
  node.dataset.t = String(date.getTime());
  node.textContent = ago(date);
}

/* Once a second, every relative time on the page (one timer for all of them). */
export function tickTimes(root) {
  window.setInterval(function () {
    if (document.hidden) return;
    var now = Date.now();
    root.querySelectorAll("time[data-t]").forEach(function (node) {
      var text = ago(new Date(Number(node.dataset.t)), now);
      if (node.textContent !== text) node.textContent = text;
    });
  }, 1000);
}
