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
 * controller per aspect (connection, lanes, workers, chart, detail,
 * controls); every controller has `render()` and `update()`; the core only
 * orchestrates. All text goes in with textContent: data never becomes HTML.
 */
(function () {
  "use strict";

  var LANES = ["scheduled", "deferred", "queued", "started", "finished", "failed", "canceled"];
  var LANE_TITLES = {
    scheduled: "Scheduled", deferred: "Deferred", queued: "Queued", started: "Started",
    finished: "Finished", failed: "Failed", canceled: "Canceled"
  };
  /* Which lane an event leaves its job in; null: the job is gone. */
  var EVENT_LANE = {
    enqueued: "queued", requeued: "queued", scheduled: "scheduled", started: "started",
    progress: "started", finished: "finished", failed: "failed", canceled: "canceled", deleted: null
  };
  var CHART_SECONDS = 300;
  var MAX_ANIMATED = 40;        // more moves than this in one frame: no animation
  var MAX_BUFFERED = 200;       // deltas kept while a hello is on its way

  // -- small helpers ---------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* Timeline marks (bench/render.py reads them; harmless elsewhere). */
  function mark(name) {
    if (window.performance && performance.mark && !performance.getEntriesByName(name).length) performance.mark(name);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* Stream ids ("<ms>-<seq>") compare as integer pairs. */
  function idKey(id) {
    var parts = String(id).split("-");
    return [Number(parts[0]) || 0, Number(parts[1]) || 0];
  }

  function idCompare(a, b) {
    var x = idKey(a), y = idKey(b);
    return x[0] !== y[0] ? x[0] - y[0] : x[1] - y[1];
  }

  function shortFunc(name) {
    var text = String(name || "?");
    var dot = text.lastIndexOf(".");
    return dot >= 0 && dot < text.length - 1 ? text.slice(dot + 1) : text;
  }

  function formatNumber(n) {
    return typeof n === "number" ? n.toLocaleString("en-US") : "–";
  }

  function formatTime(value) {
    if (!value) return "–";
    var date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    if (isNaN(date.getTime())) return String(value);
    var pad = function (n, w) { return String(n).padStart(w || 2, "0"); };
    return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      "." + pad(date.getMilliseconds(), 3);
  }

  function seconds(from, to) {
    var a = new Date(from).getTime(), b = new Date(to).getTime();
    if (isNaN(a) || isNaN(b)) return null;
    return (b - a) / 1000;
  }

  // -- the store: what the server told us ------------------------------------

  function Store(queues) {
    this.queues = queues.slice();
    this.last = null;          // id of the last event applied
    this.limit = 25;
    this.counts = {};
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
    if (delta.workers) this.workers = delta.workers;
    this.notify({ kind: "delta", moved: moved, events: applied, workers: !!delta.workers });
    return "applied";
  };

  Store.prototype.setCounts = function (message) {
    if (message.counts) this.counts = message.counts;
    if (message.workers) this.workers = message.workers;
    this.notify({ kind: "counts", workers: !!message.workers });
  };

  Store.prototype.laneAfter = function (event) {
    if (event.type === "seen") return event.status || null;
    if (event.type === "retry") return event.at ? "scheduled" : "queued";
    if (event.type === "abandoned") return event.outcome === "retried" ? "queued" : "failed";
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

  // -- connection: hello, deltas, gaps, status --------------------------------

  function Connection(dash) {
    this.dash = dash;
    this.store = dash.store;
    this.helloPending = false;
    this.helloAgain = false;
    this.buffer = [];
    this.redisOk = true;
    this.socket = null;
  }

  Connection.prototype.bind = function () {
    var self = this;
    var socket = this.socket = window.io("/live", {
      transports: ["websocket", "polling"], tryAllTransports: true,
      reconnectionDelayMax: 3000
    });
    socket.on("connect", function () { mark("omq-connected"); self.dash.indicator("connecting"); self.hello(); });
    socket.on("disconnect", function () { self.helloPending = false; self.dash.indicator("reconnecting"); });
    socket.io.on("reconnect_attempt", function () { self.dash.indicator("reconnecting"); });
    socket.on("connect_error", function () { self.dash.indicator("reconnecting"); });
    socket.on("snapshot", function (snap) { mark("omq-snapshot"); self.store.loadSnapshot(snap); });
    socket.on("delta", function (delta) { self.onDelta(delta); });
    socket.on("counts", function (message) { self.store.setCounts(message); });
    socket.on("status", function (status) { self.onStatus(status); });
    // Every request of ours has an ack that carries its error too; this is for the console.
    socket.on("error", function (message) {
      if (message && message.error && window.console) console.warn("server:", message.error);
    });
  };

  Connection.prototype.hello = function () {
    var self = this;
    if (!this.socket.connected) return;
    if (this.helloPending) { this.helloAgain = true; return; }
    this.helloPending = true;
    this.socket.timeout(15000).emit("hello", { since: this.store.last }, function (err, ack) {
      self.helloPending = false;
      var buffered = self.buffer;
      self.buffer = [];
      if (err) { // no answer in time: try again while connected
        window.setTimeout(function () { self.hello(); }, 1000);
        return;
      }
      if (!ack || !ack.ok) {
        self.redisOk = false;
        self.dash.indicator("redis");
      } else {
        self.redisOk = true;
        self.dash.indicator("live");
      }
      buffered.forEach(function (delta) { self.onDelta(delta); });
      if (self.helloAgain) { self.helloAgain = false; self.hello(); }
    });
  };

  Connection.prototype.onDelta = function (delta) {
    if (!delta || !delta.last || !delta.prev) return;
    if (this.helloPending) {
      if (this.buffer.length < MAX_BUFFERED) this.buffer.push(delta);
      else this.helloAgain = true;
      return;
    }
    if (this.store.applyDelta(delta) === "gap") {
      this.buffer.push(delta);
      this.hello();
    }
  };

  Connection.prototype.onStatus = function (status) {
    if (!status || typeof status.redis !== "boolean") return;
    if (!status.redis) {
      this.redisOk = false;
      this.dash.indicator("redis");
    } else if (!this.redisOk) { // Redis is back: catch up on what we missed
      this.redisOk = true;
      this.dash.indicator("live");
      this.hello();
    } else if (!this.helloPending) {
      this.dash.indicator("live");
    }
  };

  Connection.prototype.act = function (payload, done) {
    if (!this.socket || !this.socket.connected) {
      done({ ok: false, error: "not connected to the server" });
      return;
    }
    this.socket.timeout(10000).emit("action", payload, function (err, ack) {
      done(err ? { ok: false, error: "the server did not answer in time" } : (ack || { ok: false, error: "no answer" }));
    });
  };

  Connection.prototype.job = function (id, done) {
    if (!this.socket || !this.socket.connected) {
      done({ ok: false, error: "not connected to the server" });
      return;
    }
    this.socket.timeout(10000).emit("job", { id: id }, function (err, ack) {
      done(err ? { ok: false, error: "the server did not answer in time" } : (ack || { ok: false, error: "no answer" }));
    });
  };

  // -- lanes: one row of lanes per queue, cards that move ---------------------

  function LanesView(dash) {
    this.dash = dash;
    this.store = dash.store;
    this.root = document.getElementById("queues");
    this.sections = {};   // queue -> {section, lanes: {lane: {box, list, count}}, ...}
    this.cardEls = new Map();
    this.pendingMoves = new Map();
    this.reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  LanesView.prototype.render = function () {
    var self = this;
    clear(this.root);
    this.sections = {};
    this.store.queues.forEach(function (queue) {
      var section = el("section", "queue");
      section.dataset.queue = queue;
      var head = el("header", "queue-head");
      var title = el("h2", "queue-name", queue);
      var paused = el("span", "queue-paused", "paused");
      paused.hidden = true;
      var total = el("span", "queue-total");
      head.append(title, paused, total);
      var controls = el("div", "queue-controls");
      head.append(controls);
      var lanes = el("div", "lanes");
      var laneEls = {};
      LANES.forEach(function (lane) {
        var box = el("section", "lane lane-" + lane);
        box.dataset.lane = lane;
        var laneHead = el("h3", "lane-head");
        var name = el("span", "lane-name", LANE_TITLES[lane]);
        var count = el("span", "lane-count", "0");
        laneHead.append(name, count);
        var list = el("ol", "cards");
        var more = el("p", "lane-more");
        more.hidden = true;
        box.append(laneHead, list, more);
        lanes.append(box);
        laneEls[lane] = { box: box, list: list, count: count, more: more };
      });
      section.append(head, lanes);
      self.root.append(section);
      self.sections[queue] = { section: section, paused: paused, total: total, controls: controls, lanes: laneEls };
    });
    this.cardEls.clear();
    this.dash.controls.renderQueues(this.sections);
    this.update({ kind: "snapshot" });
  };

  LanesView.prototype.noteMoves = function (moved) {
    var self = this;
    moved.forEach(function (m) { self.pendingMoves.set(m.id, m); });
  };

  /* Bring the DOM in line with the store; animate cards that changed lanes. */
  LanesView.prototype.update = function (change) {
    var self = this, store = this.store;
    var animate = !this.reduceMotion && change.kind !== "snapshot" &&
      this.pendingMoves.size > 0 && this.pendingMoves.size <= MAX_ANIMATED;
    var first = new Map();
    if (animate) {
      this.pendingMoves.forEach(function (m) {
        var node = self.cardEls.get(m.id);
        if (node && node.isConnected) first.set(m.id, node.getBoundingClientRect());
      });
    }
    var keep = new Set();
    store.queues.forEach(function (queue) {
      var sec = self.sections[queue];
      if (!sec) return;
      var queueTotal = 0, active = false;
      LANES.forEach(function (lane) {
        var ids = store.lanes[queue][lane];
        var parts = sec.lanes[lane];
        var n = store.count(queue, lane);
        queueTotal += n || 0;
        parts.count.textContent = formatNumber(n === null ? ids.length : n);
        var hidden = (n || 0) - ids.length;
        parts.more.hidden = hidden <= 0;
        if (hidden > 0) parts.more.textContent = "+ " + formatNumber(hidden) + " more";
        parts.box.classList.toggle("is-empty", ids.length === 0 && !n);
        if (ids.length || n) active = true;
        self.syncList(parts.list, ids, keep);
      });
      sec.total.textContent = formatNumber(queueTotal) + " jobs";
      sec.section.classList.toggle("is-idle", !active);
      sec.paused.hidden = !store.paused.has(queue);
      sec.section.classList.toggle("is-paused", store.paused.has(queue));
    });
    this.cardEls.forEach(function (node, id) {
      if (!keep.has(id)) { node.remove(); self.cardEls.delete(id); }
    });
    if (animate) {
      first.forEach(function (rect, id) {
        var node = self.cardEls.get(id);
        if (!node) return;
        var now = node.getBoundingClientRect();
        var dx = rect.left - now.left, dy = rect.top - now.top;
        if (!dx && !dy) return;
        node.style.transition = "none";
        node.style.transform = "translate(" + dx + "px," + dy + "px)";
        node.getBoundingClientRect(); // apply the start position before animating
        node.style.transition = "";
        node.style.transform = "";
        node.classList.add("moved");
        window.setTimeout(function () { node.classList.remove("moved"); }, 450);
      });
    }
    this.pendingMoves.clear();
  };

  LanesView.prototype.syncList = function (list, ids, keep) {
    var self = this;
    var cursor = list.firstChild;
    ids.forEach(function (id) {
      var card = self.store.cards.get(id);
      if (!card) return;
      var node = self.cardEls.get(id);
      if (!node) {
        node = self.createCard(card);
        self.cardEls.set(id, node);
        if (self.dash.ready) node.classList.add("enter");
      }
      if (node.dataset.version !== String(card.version || 0)) self.fillCard(node, card);
      keep.add(id);
      if (node !== cursor) list.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    });
    while (cursor) { // leftovers from this list that belong elsewhere or nowhere
      var next = cursor.nextSibling;
      if (!keep.has(cursor.dataset.id)) cursor.remove();
      cursor = next;
    }
  };

  LanesView.prototype.createCard = function (card) {
    var self = this;
    var item = el("li", "card");
    item.dataset.id = card.id;
    var button = el("button", "card-button");
    button.type = "button";
    var func = el("span", "card-func");
    var id = el("span", "card-id");
    var nick = el("span", "card-nick");
    var info = el("span", "card-info");
    var bar = el("span", "bar");
    var fill = el("span", "bar-fill");
    bar.append(fill);
    button.append(func, id, nick, bar, info);
    button.addEventListener("click", function () { self.dash.detail.open(card.id); });
    item.append(button);
    item.addEventListener("animationend", function () { item.classList.remove("enter"); });
    return item;
  };

  LanesView.prototype.fillCard = function (node, card) {
    node.dataset.version = String(card.version || 0);
    node.dataset.status = card.lane || card.status || "";
    var button = node.firstChild;
    var parts = button.children;
    parts[0].textContent = shortFunc(card.func);
    parts[1].textContent = String(card.id).slice(0, 8);
    parts[2].textContent = card.nick || "";
    parts[2].hidden = !card.nick;
    var running = card.lane === "started";
    var progress = typeof card.progress === "number" ? Math.max(0, Math.min(1, card.progress)) : null;
    parts[3].hidden = !running;
    parts[3].classList.toggle("indeterminate", running && progress === null);
    parts[3].firstChild.style.width = progress === null ? "" : (progress * 100).toFixed(1) + "%";
    if (running && progress !== null) {
      parts[3].setAttribute("role", "progressbar");
      parts[3].setAttribute("aria-valuenow", String(Math.round(progress * 100)));
      parts[3].setAttribute("aria-valuemin", "0");
      parts[3].setAttribute("aria-valuemax", "100");
    }
    parts[4].textContent = card.info || "";
    parts[4].hidden = !card.info;
    button.title = String(card.func || "?") + " · " + card.id;
  };

  // -- workers ---------------------------------------------------------------

  function WorkersView(dash) {
    this.dash = dash;
    this.store = dash.store;
    this.list = document.getElementById("workers");
  }

  WorkersView.prototype.update = function () {
    var self = this, list = this.list;
    clear(list);
    var workers = this.store.workers || [];
    var input = this.dash.controls.scaleCount;
    if (input && !input.dataset.edited && document.activeElement !== input) input.value = String(workers.length);
    if (!workers.length) {
      list.append(el("li", "empty-note", "No worker is running."));
      return;
    }
    workers.forEach(function (w) {
      var item = el("li", "worker");
      item.dataset.state = w.state || "?";
      var top = el("div", "worker-top");
      top.append(el("span", "worker-state", w.state === "busy" ? "busy" : (w.state || "?")),
                 el("span", "worker-name", w.name));
      var facts = el("div", "worker-facts");
      facts.append(el("span", "worker-pid", "pid " + (w.pid === null || w.pid === undefined ? "?" : w.pid)));
      facts.append(el("span", "worker-done", formatNumber(w.done) + " done"));
      facts.append(el("span", "worker-failed", formatNumber(w.failed) + " failed"));
      item.append(top, facts);
      if (w.current_job) {
        var job = el("button", "worker-job");
        job.type = "button";
        var card = self.store.cards.get(w.current_job);
        job.textContent = "running " + (card ? shortFunc(card.func) + " " : "") + String(w.current_job).slice(0, 8) +
          (w.horse_pid ? " in work-horse pid " + w.horse_pid : "");
        job.addEventListener("click", function () { self.dash.detail.open(w.current_job); });
        item.append(job);
      }
      list.append(item);
    });
  };

  // -- chart: processed and failed per second, queue depth ---------------------

  function ChartView(dash) {
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

  // -- detail panel ----------------------------------------------------------

  function DetailView(dash) {
    this.dash = dash;
    this.box = document.getElementById("detail");
    this.body = this.box.querySelector(".detail-body");
    this.title = this.box.querySelector("#detail-title");
    this.error = this.box.querySelector(".detail-error");
    this.actions = this.box.querySelector(".detail-actions");
    this.jobId = null;
    this.refreshTimer = null;
  }

  DetailView.prototype.bind = function () {
    var self = this;
    this.box.querySelector(".detail-close").addEventListener("click", function () { self.close(); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !self.box.hidden) self.close();
    });
  };

  DetailView.prototype.open = function (id) {
    this.jobId = id;
    this.box.hidden = false;
    this.dash.root.classList.add("has-detail");
    this.title.textContent = "Job " + String(id).slice(0, 8);
    this.showError("");
    this.dash.controls.renderJob(this.actions, id);
    this.load();
  };

  DetailView.prototype.close = function () {
    this.jobId = null;
    this.box.hidden = true;
    this.dash.root.classList.remove("has-detail");
  };

  DetailView.prototype.showError = function (text) {
    this.error.textContent = text || "";
    this.error.hidden = !text;
  };

  DetailView.prototype.load = function () {
    var self = this, id = this.jobId;
    if (!id) return;
    this.dash.connection.job(id, function (ack) {
      if (self.jobId !== id) return;
      if (!ack.ok) {
        self.showError(ack.error || "could not load the job");
        return;
      }
      self.fill(ack.job);
    });
  };

  /* A job on show changed: load it again (at most a few times a second). */
  DetailView.prototype.touched = function (events) {
    var self = this, id = this.jobId;
    if (!id || this.refreshTimer) return;
    if (!events.some(function (e) { return e.job === id && e.type !== "progress"; })) return;
    this.refreshTimer = window.setTimeout(function () { self.refreshTimer = null; self.load(); }, 250);
  };

  DetailView.prototype.fill = function (job) {
    var body = this.body;
    clear(body);
    this.title.textContent = shortFunc(job.func) + " · " + String(job.id).slice(0, 8);
    function row(label, value, pre) {
      if (value === null || value === undefined || value === "") return;
      var dt = el("dt", null, label);
      var dd = el("dd");
      if (pre) dd.append(el("pre", null, value));
      else dd.textContent = String(value);
      body.append(dt, dd);
    }
    var args = (job.args || []).slice();
    Object.keys(job.kwargs || {}).forEach(function (k) { args.push(k + "=" + job.kwargs[k]); });
    row("Function", job.func);
    row("Arguments", args.length ? args.join(",\n") : "(none)", true);
    row("Status", job.status);
    row("Queue", job.queue);
    row("Job id", job.id);
    if (job.nick) row("From", job.nick);
    row("Worker", job.worker);
    if (typeof job.progress === "number") row("Progress", Math.round(job.progress * 100) + "%" + (job.progress_note ? " · " + job.progress_note : ""));
    row("Enqueued", formatTime(job.enqueued_at));
    row("Started", formatTime(job.started_at));
    row("Ended", formatTime(job.ended_at));
    var ran = job.started_at && job.ended_at ? seconds(job.started_at, job.ended_at) : null;
    if (ran !== null) row("Ran for", ran.toFixed(3) + " s");
    row("Result", job.result, true);
    row("Traceback", job.exc_info, true);
    if (typeof job.retries_left === "number") row("Retries left", job.retries_left);
  };

  // -- presenter controls (the server checks every call) ----------------------

  function Controls(dash) {
    this.dash = dash;
    this.enabled = dash.presenter;
  }

  /* A button that sends one action; the server's answer (ack) is shown by `report`. */
  Controls.prototype.button = function (label, op, payload, report, confirmText) {
    var self = this;
    var button = el("button", "action action-" + op, label);
    button.type = "button";
    button.dataset.action = op;
    button.addEventListener("click", function () {
      if (confirmText && !window.confirm(confirmText)) return;
      button.disabled = true;
      self.dash.connection.act(Object.assign({ op: op }, payload), function (ack) {
        button.disabled = false;
        report(ack.ok ? "" : (ack.error || "the action failed"));
      });
    });
    return button;
  };

  Controls.prototype.renderQueues = function (sections) {
    var self = this;
    if (!this.enabled) return;
    var report = function (text) { self.dash.notice(text); };
    Object.keys(sections).forEach(function (queue) {
      var box = sections[queue].controls;
      clear(box);
      box.append(self.button("Pause", "pause", { queue: queue }, report),
                 self.button("Resume", "resume", { queue: queue }, report),
                 self.button("Empty", "empty", { queue: queue }, report, "Remove every queued job from " + queue + "?"));
    });
  };

  Controls.prototype.renderJob = function (box, id) {
    clear(box);
    box.hidden = !this.enabled;
    if (!this.enabled) return;
    var detail = this.dash.detail;
    var report = function (text) { detail.showError(text); };
    box.append(this.button("Requeue", "requeue", { job: id }, report),
               this.button("Cancel", "cancel", { job: id }, report),
               this.button("Delete", "delete", { job: id }, report, "Delete this job for good?"));
  };

  Controls.prototype.renderWorkers = function () {
    var self = this, box = document.querySelector(".workers-controls");
    if (!this.enabled || !box) return;
    box.hidden = false;
    var label = el("label", "scale-label", "Run ");
    var count = el("input", "scale-count");
    count.type = "number"; count.min = "0"; count.max = "8"; count.value = "2";
    count.setAttribute("aria-label", "number of workers");
    count.addEventListener("input", function () { count.dataset.edited = "true"; });
    this.scaleCount = count;
    var kind = el("select", "scale-kind");
    [["fork", "forking"], ["simple", "simple"]].forEach(function (pair) {
      var option = el("option", null, pair[1]);
      option.value = pair[0];
      kind.append(option);
    });
    label.append(count, document.createTextNode(" "), kind, document.createTextNode(" workers "));
    var set = el("button", "action action-scale", "Set");
    set.type = "button";
    set.dataset.action = "scale";
    set.addEventListener("click", function () {
      set.disabled = true;
      self.dash.connection.act({ op: "scale", count: parseInt(count.value, 10), kind: kind.value }, function (ack) {
        set.disabled = false;
        self.dash.notice(ack.ok ? "" : (ack.error || "the action failed"));
      });
    });
    box.append(label, set);
  };

  // -- the core: build, wire, schedule renders --------------------------------

  function Dashboard(root) {
    var self = this;
    mark("omq-start");
    this.root = root;
    this.presenter = root.dataset.presenter === "true";
    var queues = (root.dataset.queues || "").split(",").filter(Boolean);
    this.store = new Store(queues);
    this.ready = false;
    this.shown = false;
    this.conn = root.querySelector(".conn");
    this.noticeBox = document.getElementById("notice");
    this.controls = new Controls(this);
    this.connection = new Connection(this);
    this.lanes = new LanesView(this);
    this.workers = new WorkersView(this);
    this.chart = new ChartView(this);
    this.detail = new DetailView(this);
    this.frame = null;
    this.dirty = { lanes: false, workers: false, relayout: false };

    this.store.on(function (change) { self.changed(change); });
    // Connect first: the handshake runs while the page builds its lanes and chart.
    this.connection.bind();
    this.lanes.render();
    this.controls.renderWorkers();
    this.detail.bind();
    this.chart.start();
    mark("omq-built");
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
      }
      if (change.workers) this.dirty.workers = true;
    }
    this.dirty.lanes = true;
    this.schedule();
  };

  Dashboard.prototype.schedule = function () {
    var self = this;
    if (this.frame !== null) return;
    var run = function () { self.frame = null; self.flush(); };
    // A hidden tab gets no animation frames: the store keeps up, the DOM waits.
    this.frame = document.hidden ? window.setTimeout(run, 500) : window.requestAnimationFrame(run);
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
    if (dirty.relayout && !this.shown) { // navigation -> first state on screen
      this.shown = true;
      mark("omq-first-render");
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
    if (!window.io) {
      var conn = root.querySelector(".conn");
      conn.dataset.state = "reconnecting";
      conn.textContent = "Socket.IO client missing: run npm ci";
      return;
    }
    window.OhMyQueue.dashboard = new Dashboard(root);
  }

  /* For the browser tests and the curious: the store's rules, callable alone. */
  window.OhMyQueue = { Store: Store, idCompare: idCompare, dashboard: null };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
