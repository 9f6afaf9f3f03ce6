/* Oh My Queue: the live queue dashboard.
 *
 * Push, never poll: one Socket.IO connection to /live. On every (re)connect
 * the page says `hello {since: lastId}` and gets either the events it missed
 * (a delta) or a fresh snapshot. After that the server pushes deltas whose
 * `prev`/`last` ids chain; a delta that starts after our last id means we
 * missed something, so we say hello again. Counts always come from the
 * server; the page never derives them.
 *
 * Shaped like reveal.js: `Dashboard(root)` builds one store and a
 * controller per aspect, one ES module each (connection, summary, lanes,
 * lanesheet, workers, chart, detail, controls, confirm); views have `render()` and `update()`;
 * the core only orchestrates. Served as they are, no bundler. All text goes in with textContent: data never becomes HTML.
 */

import { idCompare, mark, tickTimes } from "./util.js";
import { Store } from "./store.js";
import { Connection } from "./connection.js";
import { SummaryView } from "./summary.js";
import { LanesView } from "./lanes.js";
import { LaneSheet } from "./lanesheet.js";
import { WorkersView } from "./workers.js";
import { ChartView } from "./chart.js";
import { DetailView } from "./detail.js";
import { Controls } from "./controls.js";

function Dashboard(root) {
  var self = this;
  mark("omq-start");
  this.root = root;
  this.presenter = root.dataset.presenter === "true";
  var queues = (root.dataset.queues || "").split(",").filter(Boolean);
  // ?queues=low,default: only those, in that order (the server checked the names)
  this.wantedQueues = (root.dataset.show || "").split(",").filter(Boolean);
  this.audienceQueue = root.dataset.audienceQueue || "";
  this.store = new Store(queues);
  this.ready = false;
  this.shown = false;
  this.conn = root.querySelector(".conn");
  this.noticeBox = document.getElementById("notice");
  this.controls = new Controls(this);
  this.connection = new Connection(this);
  this.summary = new SummaryView(this);
  this.lanes = new LanesView(this);
  this.sheet = new LaneSheet(this);
  this.workers = new WorkersView(this);
  this.chart = new ChartView(this);
  this.detail = new DetailView(this);
  this.frame = null;
  this.dirty = { lanes: false, workers: false, relayout: false };

  this.store.on(function (change) { self.changed(change); });
  // The state the page came with: on screen without waiting for the socket,
  // whose hello then asks only for what happened since.
  var carried = document.getElementById("omq-snapshot");
  if (carried) {
    try {
      this.store.loadSnapshot(JSON.parse(carried.textContent));
      mark("omq-snapshot");
    } catch (err) { /* the hello's snapshot will do */ }
  }
  // Connect first: Socket.IO loads, then the handshake runs, while the page builds its lanes.
  this.connection.bind();
  this.summary.render();
  this.lanes.render();
  this.controls.renderWorkers();
  this.detail.bind();
  this.sheet.bind();
  this.chart.start();
  tickTimes(root);
  mark("omq-built");
  // The carried state goes on screen now, not a frame later (the frame then finds nothing to do).
  if (this.dirty.relayout) this.flush();
}

Dashboard.prototype.changed = function (change) {
  if (change.kind === "snapshot") {
    this.dirty.relayout = true;
    this.dirty.workers = true;
  } else {
    if (change.moved) this.lanes.noteMoves(change.moved);
    if (change.events) {
      this.chart.record(change.events);
      this.detail.touched(change.events);
      this.lanes.noteActivity(change.events);
    }
    if (change.workers) this.dirty.workers = true;
  }
  this.dirty.lanes = true;
  this.schedule();
};

Dashboard.prototype.schedule = function () {
  var self = this;
  if (this.frame !== null) return;
  var timer = null, raf = null;
  var run = function () {
    window.clearTimeout(timer);
    window.cancelAnimationFrame(raf);
    self.frame = null;
    self.flush();
  };
  // A hidden tab gets no animation frames: the store keeps up, the DOM waits.
  // A frame off screen (a widget on a printed page) gets none either: a timer stands in.
  timer = window.setTimeout(run, document.hidden ? 500 : 250);
  if (!document.hidden) raf = window.requestAnimationFrame(run);
  this.frame = timer;
};

Dashboard.prototype.flush = function () {
  var dirty = this.dirty;
  this.dirty = { lanes: false, workers: false, relayout: false };
  if (dirty.relayout) {
    var same = this.lanes.sections && Object.keys(this.lanes.sections).join(",") === this.store.queues.join(",");
    if (!same) this.lanes.render();
    else this.lanes.update({ kind: "snapshot" });
  } else if (dirty.lanes) {
    this.lanes.update({ kind: "delta" });
  }
  if (dirty.workers) this.workers.update();
  this.summary.update();
  this.controls.update();
  if (dirty.relayout && !this.shown) { // navigation -> first state on screen
    this.shown = true;
    mark("omq-first-render");
    this.chart.drawn().then(function () { // screenshots and --pdf stills wait for it: lanes and chart
      document.documentElement.dataset.ready = "true";
    });
  }
  this.ready = true;
  this.root.dataset.last = this.store.last || "";
};

Dashboard.prototype.indicator = function (state) {
  var texts = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", redis: "Redis unavailable" };
  this.conn.dataset.state = state;
  this.conn.textContent = texts[state] || state;
};

Dashboard.prototype.notice = function (text) {
  this.noticeBox.textContent = text || "";
  this.noticeBox.hidden = !text;
};

function start() {
  var root = document.getElementById("dashboard");
  if (!root) return;
  window.OhMyQueue.dashboard = new Dashboard(root);
}

/* For the browser tests and the curious: the store's and the connection's rules, callable alone. */
window.OhMyQueue = { Store: Store, Connection: Connection, idCompare: idCompare, dashboard: null };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
