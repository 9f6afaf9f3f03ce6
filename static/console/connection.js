/* The console's socket: run a line (acked), and the presenter's entries in order.
 *
 * Push, never poll: one Socket.IO connection to /console. On every
 * (re)connect the page says `hello {since: last}` and gets the presenter's
 * entries it missed (or the latest ones, `complete: false`, when it fell
 * further behind than the server keeps). After that entries are pushed; each
 * carries the id of the one before it, so a gap is noticed and asked for.
 */

export function Connection(handlers) {
  this.handlers = handlers;
  this.last = null;         // id of the newest entry in the chain we hold ("" once we hold an empty one)
  this.accepted = new Set(); // entries in that chain
  this.drawn = new Set();    // entries on screen (also the presenter's own, drawn from the ack)
  this.helloPending = false;
  this.helloAgain = false;
  this.buffer = [];
  this.socket = null;
}

Connection.prototype.bind = function () {
  var self = this;
  if (typeof window.io !== "function") {
    this.handlers.status("offline", "live updates unavailable");
    return;
  }
  var socket = this.socket = window.io("/console", {
    transports: ["websocket", "polling"], tryAllTransports: true, reconnectionDelayMax: 3000
  });
  socket.on("connect", function () { self.handlers.status("live", "live"); self.hello(); });
  socket.on("disconnect", function () { self.helloPending = false; self.handlers.status("offline", "reconnecting…"); });
  socket.on("connect_error", function () { self.handlers.status("offline", "reconnecting…"); });
  socket.on("entry", function (entry) { self.onEntry(entry); });
};

Connection.prototype.hello = function () {
  var self = this;
  if (!this.socket || !this.socket.connected) return;
  if (this.helloPending) { this.helloAgain = true; return; }
  this.helloPending = true;
  this.socket.timeout(15000).emit("hello", { since: this.last }, function (err, ack) {
    self.helloPending = false;
    var buffered = self.buffer;
    self.buffer = [];
    if (err || !ack || !ack.ok) {
      window.setTimeout(function () { self.hello(); }, 1500);
      return;
    }
    if (!ack.complete) {
      self.accepted.clear();
      self.drawn.clear();
      self.last = "";
      self.handlers.reset();
    }
    ack.entries.forEach(function (entry) { self.accept(entry); });
    buffered.forEach(function (entry) { self.onEntry(entry); });
    if (self.helloAgain) { self.helloAgain = false; self.hello(); }
  });
};

Connection.prototype.accept = function (entry, pushed) {
  this.last = entry.id;
  this.accepted.add(entry.id);
  if (this.accepted.size > 2000) this.accepted = new Set(Array.from(this.accepted).slice(-1000));
  if (this.drawn.has(entry.id)) return;
  this.drawn.add(entry.id);
  this.handlers.entry(entry, !!pushed);
};

Connection.prototype.onEntry = function (entry) {
  if (!entry || typeof entry.id !== "string") return;
  if (this.helloPending || this.last === null) { this.buffer.push(entry); return; }  // the hello's answer decides
  if (this.accepted.has(entry.id)) return;
  if (entry.prev !== this.last) { this.buffer.push(entry); this.hello(); return; }  // missed one: ask
  this.accept(entry, true);
};

/** Claim the drawing of an entry (the presenter's own command, from its ack): false when it is on screen already. */
Connection.prototype.claim = function (id) {
  if (!id) return true;
  if (this.drawn.has(id)) return false;
  this.drawn.add(id);
  return true;
};

/** Run a line: resolves the server's answer, or {ok: false, error} (never rejects). */
Connection.prototype.run = function (payload) {
  var socket = this.socket;
  return new Promise(function (resolve) {
    if (!socket || !socket.connected) {
      resolve({ ok: false, error: "not connected to the server: wait for 'live', then try again" });
      return;
    }
    socket.timeout(15000).emit("run", payload, function (err, answer) {
      if (err) resolve({ ok: false, error: "no answer from the server in 15 s; try again" });
      else resolve(answer || { ok: false, error: "empty answer" });
    });
  });
};
