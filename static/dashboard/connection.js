/* The connection: hello, deltas, gaps and status over Socket.IO /live.
 *
 * Deltas chain by id: each says `prev` (the last id before it) and `last`.
 * The ordering rules, which keep a page live through any reconnect storm:
 * - One hello at a time. While it is out, live deltas are kept, never taken
 *   for gaps: the reply (a replay delta or a snapshot, then the ack) fills
 *   them. At most MAX_BUFFERED are kept; the oldest go first.
 * - When the reply lands, the kept deltas are applied in `prev` order: old
 *   ones are skipped, overlapping ones add only what is new, and only a delta
 *   that starts after our last id is a gap.
 * - A gap asks again, at most once per HELLO_INTERVAL ms. The answer to a
 *   hello given up on (a timeout, a reconnect) is ignored.
 */

import { MAX_BUFFERED, idCompare, loadScript, mark } from "./util.js";

export var HELLO_INTERVAL = 1000;   // ms between two hellos, at least
export var HELLO_TIMEOUT = 5000;    // ms without an answer before asking again (it takes milliseconds)
export var LOAD_RETRY = 3000;       // ms before trying again to load Socket.IO itself
export var REQUEST_TIMEOUT = 10000; // ms a request (a job's detail, an action) waits for its answer

export function Connection(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.hellos = 0;            // number of the last hello sent
  this.pending = 0;           // number of the hello waiting for its answer, 0: none
  this.lastHelloAt = -Infinity;
  this.helloInterval = HELLO_INTERVAL;
  this.helloTimer = null;
  this.buffer = [];
  this.redisOk = true;
  this.socket = null;
  this.hadConnection = false; // connected once at least: after that a request never waits
  this.waiting = [];          // requests made before the first connection
}

/* Socket.IO is loaded here, beside the first paint (the carried snapshot needs no socket); then connect. */
Connection.prototype.bind = function () {
  var self = this, src = this.dash.root.dataset.ioSrc;
  loadScript(src).then(function () {
    if (self.socket) return;
    self.attach(window.io("/live", {
      transports: ["websocket", "polling"], tryAllTransports: true,
      reconnectionDelayMax: 3000
    }));
  }, function () {
    self.dash.indicator("reconnecting");
    window.fetch(src, { method: "HEAD" }).then(function (answer) {
      if (answer.status === 404) { // not installed: say how to fix it, as the server's 404 does
        self.dash.conn.textContent = "Socket.IO client missing: run npm ci";
        return;
      }
      window.setTimeout(function () { self.bind(); }, LOAD_RETRY);
    }, function () { // the server went away before the script came: as a reconnect would, try again
      window.setTimeout(function () { self.bind(); }, LOAD_RETRY);
    });
  });
};

Connection.prototype.attach = function (socket) {
  var self = this;
  this.socket = socket;
  socket.on("connect", function () {
    mark("omq-connected");
    self.dash.indicator("connecting");
    self.hello();
    self.hadConnection = true;
    var waiting = self.waiting;
    self.waiting = [];
    waiting.forEach(function (request) { request(); });
  });
  socket.on("disconnect", function () {
    self.pending = 0; // its answer will never come on this connection
    self.buffer = [];
    self.dash.indicator("reconnecting");
  });
  if (socket.io) {
    socket.io.on("reconnect_attempt", function () { self.dash.indicator("reconnecting"); });
  }
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

/* Ask for what we miss: the events after our last id, or a snapshot. */
Connection.prototype.hello = function () {
  var self = this;
  if (!this.socket || !this.socket.connected || this.pending) return; // the pending answer covers it
  var wait = this.lastHelloAt + this.helloInterval - Date.now();
  if (wait > 0) {
    if (this.helloTimer === null) {
      this.helloTimer = window.setTimeout(function () { self.helloTimer = null; self.hello(); }, wait);
    }
    return;
  }
  var number = this.pending = ++this.hellos;
  this.lastHelloAt = Date.now();
  this.socket.timeout(HELLO_TIMEOUT).emit("hello", { since: this.store.last }, function (err, ack) {
    if (self.pending !== number) return; // a hello we gave up on
    self.pending = 0;
    if (err) { self.hello(); return; } // no answer in time: ask again
    if (!ack || !ack.ok) {
      self.redisOk = false;
      self.buffer = [];
      self.dash.indicator("redis"); // the status that says Redis is back asks again
      return;
    }
    self.redisOk = true;
    self.dash.indicator("live");
    self.drain();
  });
};

Connection.prototype.keep = function (delta) {
  if (this.buffer.length >= MAX_BUFFERED) this.buffer.shift();
  this.buffer.push(delta);
};

/* Apply the kept deltas in chain order; ask again only for a real gap. */
Connection.prototype.drain = function () {
  var kept = this.buffer;
  this.buffer = [];
  kept.sort(function (a, b) { return idCompare(a.prev, b.prev); });
  for (var i = 0; i < kept.length; i++) {
    if (this.store.applyDelta(kept[i]) === "gap") { // so is every later one: they start later
      this.buffer = kept.slice(i);
      this.hello();
      return;
    }
  }
};

Connection.prototype.onDelta = function (delta) {
  if (!delta || !delta.last || !delta.prev) return;
  if (this.pending) { this.keep(delta); return; }
  if (this.store.applyDelta(delta) === "gap") {
    this.keep(delta);
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
  } else if (!this.pending) {
    this.dash.indicator("live");
  }
};

Connection.prototype.act = function (payload, done) { this.call("action", payload, done); };

Connection.prototype.job = function (id, done) { this.call("job", { id: id }, done); };

/* Any request with an ack ({ok, error, ...}): e.g. call("lane", {queue, lane, page, filter}, done).
 * Before the first connection (Socket.IO loads beside the first paint, and the page can be clicked
 * already) a request waits for it, up to REQUEST_TIMEOUT. On a connection that dropped it is refused
 * at once: nothing is done later, unasked. */
Connection.prototype.call = function (event, payload, done) {
  var self = this;
  if (!this.socket || !this.socket.connected) {
    if (this.hadConnection) {
      done({ ok: false, error: "not connected to the server" });
      return;
    }
    var waiting = function () { window.clearTimeout(timer); self.call(event, payload, done); };
    var timer = window.setTimeout(function () {
      self.waiting = self.waiting.filter(function (w) { return w !== waiting; });
      done({ ok: false, error: "not connected to the server" });
    }, REQUEST_TIMEOUT);
    this.waiting.push(waiting);
    return;
  }
  this.socket.timeout(REQUEST_TIMEOUT).emit(event, payload, function (err, ack) {
    done(err ? { ok: false, error: "the server did not answer in time" } : (ack || { ok: false, error: "no answer" }));
  });
};
