/* The store: what the server told us. Counts always come from the server;
 * the page never derives them. */

import { LANES, EVENT_LANE, idCompare } from "./util.js";

export function Store(queues) {
  this.queues = queues.slice();
  this.last = null;          // id of the last event applied
  this.limit = 25;
  this.counts = {};
  this.summary = null;       // the header row's totals (demo.live.state.summary)
  this.lanes = {};
  this.cards = new Map();    // job id -> card
  this.workers = [];
  this.paused = new Set();
  this.listeners = [];
  this.resetLanes();
}

Store.prototype.resetLanes = function () {
  var self = this;
  this.queues.forEach(function (q) {
    self.lanes[q] = {};
    LANES.forEach(function (lane) { self.lanes[q][lane] = []; });
  });
};

Store.prototype.on = function (fn) { this.listeners.push(fn); };

Store.prototype.notify = function (change) {
  this.listeners.forEach(function (fn) { fn(change); });
};

/* A full snapshot replaces everything. */
Store.prototype.loadSnapshot = function (snap) {
  var self = this;
  this.queues = (snap.queues || this.queues).slice();
  this.limit = snap.limit || this.limit;
  this.counts = snap.counts || {};
  this.summary = snap.summary || null;
  this.workers = snap.workers || [];
  this.paused = new Set(snap.paused || []);
  this.cards = new Map();
  this.lanes = {};
  this.queues.forEach(function (q) {
    self.lanes[q] = {};
    LANES.forEach(function (lane) {
      var ids = ((snap.lanes || {})[q] || {})[lane] || [];
      self.lanes[q][lane] = ids.filter(function (id) { return snap.cards && snap.cards[id]; });
      self.lanes[q][lane].forEach(function (id) {
        var card = Object.assign({}, snap.cards[id]);
        card.lane = lane;
        card.queue = q;
        self.cards.set(id, card);
      });
    });
  });
  this.last = snap.last;
  this.notify({ kind: "snapshot" });
};

/* Apply a delta. Returns "applied", "old" (nothing new) or "gap". */
Store.prototype.applyDelta = function (delta) {
  if (this.last === null) return "gap";
  if (idCompare(delta.last, this.last) <= 0) return "old";
  if (idCompare(delta.prev, this.last) > 0) return "gap";
  var self = this, moved = [], applied = [];
  (delta.events || []).forEach(function (event) {
    if (idCompare(event.id, self.last) <= 0) return; // already had it (overlap)
    var move = self.applyEvent(event);
    if (move) moved.push(move);
    applied.push(event);
  });
  this.last = delta.last;
  if (delta.counts) this.counts = delta.counts;
  if (delta.summary) this.summary = delta.summary;
  if (delta.workers) this.workers = delta.workers;
  this.notify({ kind: "delta", moved: moved, events: applied, workers: !!delta.workers });
  return "applied";
};

Store.prototype.setCounts = function (message) {
  if (message.counts) this.counts = message.counts;
  if (message.summary) this.summary = message.summary;
  if (message.workers) this.workers = message.workers;
  this.notify({ kind: "counts", workers: !!message.workers });
};

Store.prototype.laneAfter = function (event) {
  if (event.type === "seen") return event.status || null;
  if (event.type === "retry") return event.at ? "scheduled" : "queued";
  if (event.type === "abandoned") return event.outcome === "retried" || event.outcome === "requeued" ? "queued" : "failed";
  return Object.prototype.hasOwnProperty.call(EVENT_LANE, event.type) ? EVENT_LANE[event.type] : undefined;
};

Store.prototype.removeFromLane = function (card) {
  var list = ((this.lanes[card.queue] || {})[card.lane]);
  if (!list) return;
  var at = list.indexOf(card.id);
  if (at >= 0) list.splice(at, 1);
};

/* Apply one event; returns {id, from, to} when a card changed lanes. */
Store.prototype.applyEvent = function (event) {
  var self = this;
  if (event.type === "paused") { this.paused.add(event.queue); return null; }
  if (event.type === "resumed") { this.paused.delete(event.queue); return null; }
  if (event.type === "emptied") {
    var queued = (this.lanes[event.queue] || {}).queued || [];
    queued.forEach(function (id) { self.cards.delete(id); });
    if (this.lanes[event.queue]) this.lanes[event.queue].queued = [];
    return null;
  }
  if (!event.job) return null;
  var lane = this.laneAfter(event);
  if (lane === undefined) return null;
  var card = this.cards.get(event.job);
  if (lane === null) { // deleted
    if (card) { this.removeFromLane(card); this.cards.delete(card.id); }
    return card ? { id: card.id, from: card.lane, to: null } : null;
  }
  var queue = event.queue || (card && card.queue);
  if (!this.lanes[queue]) return null; // a queue this dashboard does not show
  if (!card) card = { id: event.job, progress: null, info: "" };
  if (event.func) card.func = event.func;
  if (event.nick !== undefined) card.nick = event.nick;
  if (event.recurring !== undefined) card.recurring = event.recurring;
  if (event.worker) card.worker = event.worker;
  card.queue = queue;
  var iso = event.ts ? new Date(event.ts * 1000).toISOString() : null;
  switch (event.type) {
    case "enqueued": case "requeued": case "scheduled":
      card.enqueued_at = iso; card.started_at = null; card.ended_at = null;
      card.progress = null; card.info = event.info || ""; break;
    case "started":
      card.started_at = iso; card.ended_at = null; card.progress = null; card.info = ""; break;
    case "progress":
      card.progress = typeof event.progress === "number" ? event.progress : card.progress;
      card.info = event.info || card.info; break;
    case "finished": case "failed": case "canceled": case "abandoned": case "retry":
      card.ended_at = iso; card.info = event.info || ""; break;
    case "seen":
      if (typeof event.progress === "number") card.progress = event.progress;
      if (event.info) card.info = event.info;
      break;
  }
  card.version = (card.version || 0) + 1;
  var from = card.lane;
  if (from === lane && this.cards.has(card.id)) return null; // same lane: updated in place
  if (from) this.removeFromLane(card);
  card.lane = lane;
  card.status = lane;
  var list = this.lanes[queue][lane];
  list.unshift(card.id);
  this.cards.set(card.id, card);
  while (list.length > this.limit) this.cards.delete(list.pop());
  return { id: card.id, from: from || null, to: lane };
};

Store.prototype.count = function (queue, lane) {
  var row = this.counts[queue];
  return row && typeof row[lane] === "number" ? row[lane] : null;
};
