/* The connection: hello, deltas, gaps and status over Socket.IO /live. */

import { MAX_BUFFERED, mark } from "./util.js";

export function Connection(dash) {
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

/* Any request with an ack ({ok, error, ...}): e.g. call("lane", {queue, lane, page, filter}, done). */
Connection.prototype.call = function (event, payload, done) {
  if (!this.socket || !this.socket.connected) {
    done({ ok: false, error: "not connected to the server" });
    return;
  }
  this.socket.timeout(10000).emit(event, payload, function (err, ack) {
    done(err ? { ok: false, error: "the server did not answer in time" } : (ack || { ok: false, error: "no answer" }));
  });
};
