/* The visitor's own console: the input line, its history, running a line.
 *
 * History (up/down keys, or the ↑ ↓ buttons on a phone) and the tutorial
 * step live in this browser's localStorage; the mode (sandbox or QUEUE)
 * lives in the page and comes back with every answer.
 */

import { Screen } from "./screen.js";

var HISTORY_KEY = "omq-console-history";
var STEP_KEY = "omq-console-step";
var HISTORY_MAX = 100;
var WAITING_MAX = 20;  // lines typed ahead of their answers

function load(key, fallback) {
  try {
    var value = JSON.parse(window.localStorage.getItem(key));
    return value == null ? fallback : value;
  } catch (err) { return fallback; }
}

function save(key, value) {
  try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (err) { /* private mode: fine */ }
}

export function Terminal(con, options) {
  this.con = con;
  this.options = options;
  this.screen = new Screen(document.getElementById("screen"));
  this.form = document.getElementById("form");
  this.input = document.getElementById("line");
  this.prompt = document.getElementById("prompt");
  this.mode = options.mode;
  this.step = load(STEP_KEY, 0);
  this.history = load(HISTORY_KEY, []).filter(function (line) { return typeof line === "string"; });
  this.cursor = this.history.length;
  this.busy = false;
  this.waiting = [];
}

Terminal.prototype.bind = function () {
  var self = this;
  this.form.addEventListener("submit", function (e) {
    e.preventDefault();
    self.submit(self.input.value);
  });
  this.input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowUp") { e.preventDefault(); self.browse(-1); }
    else if (e.key === "ArrowDown") { e.preventDefault(); self.browse(1); }
  });
  document.getElementById("older").addEventListener("click", function () { self.browse(-1); self.input.focus(); });
  document.getElementById("newer").addEventListener("click", function () { self.browse(1); self.input.focus(); });
  this.setMode(this.mode);
};

Terminal.prototype.browse = function (delta) {
  if (!this.history.length) return;
  this.cursor = Math.max(0, Math.min(this.history.length, this.cursor + delta));
  this.input.value = this.cursor < this.history.length ? this.history[this.cursor] : "";
};

Terminal.prototype.remember = function (line) {
  if (this.history[this.history.length - 1] !== line) this.history.push(line);
  if (this.history.length > HISTORY_MAX) this.history = this.history.slice(-HISTORY_MAX);
  this.cursor = this.history.length;
  save(HISTORY_KEY, this.history);
};

Terminal.prototype.setMode = function (mode) {
  this.mode = mode === "queue" ? "queue" : "sandbox";
  this.prompt.textContent = this.mode === "queue" ? "rq (read-only)>" : "sandbox>";
  this.input.placeholder = this.mode === "queue" ? "e.g. LRANGE rq:queue:low 0 -1" : "type a command, e.g. SET name fido";
  this.form.dataset.mode = this.mode;
};

/** Show a note (no command) on the screen, e.g. the welcome. */
Terminal.prototype.note = function (text) {
  this.screen.add({ line: null, output: [{ kind: "note", text: text }] });
};

Terminal.prototype.submit = function (line) {
  line = String(line || "").trim();
  if (!line) return;
  this.remember(line);
  this.input.value = "";
  if (this.waiting.length >= WAITING_MAX) {
    this.screen.add({ prompt: this.prompt.textContent, line: line,
                      output: [{ kind: "error", text: "(error) not sent: wait for the answers to the commands before it" }] });
    return;
  }
  this.waiting.push(line);  // typed while the previous one runs: it goes next, in order
  if (!this.busy) this.next();
};

Terminal.prototype.next = function () {
  var self = this;
  var line = this.waiting.shift();
  if (line === undefined) return;
  if (line.toUpperCase() === "CLEAR" && !this.options.presenter) { this.screen.clear(); this.next(); return; }
  var prompt = this.prompt.textContent;
  var item = this.options.presenter ? null : this.screen.add({ prompt: prompt, line: line,
                                                              output: [{ kind: "note", text: "…" }] });
  this.busy = true;
  this.form.classList.add("busy");
  this.con.run({ line: line, mode: this.mode, step: this.step }).then(function (answer) {
    self.busy = false;
    self.form.classList.remove("busy");
    if (!answer.ok) {
      var failed = [{ kind: "error", text: "(error) " + answer.error }];
      if (item) self.screen.fill(item, failed);
      else self.screen.add({ prompt: prompt, line: line, output: failed });
      self.next();
      return;
    }
    if (self.options.presenter) {
      // The presenter's screen is the mirrored transcript: draw the entry now unless its push came first.
      if (answer.clear) self.screen.clear();
      else if (self.con.claim(answer.entry)) self.screen.add({ prompt: prompt, line: line, output: answer.output });
    } else {
      self.screen.fill(item, answer.output);
    }
    self.setMode(answer.mode);
    self.step = answer.step;
    save(STEP_KEY, self.step);
    self.options.answered(answer);
    self.next();
  });
};

/** A mirrored entry of the presenter's console, drawn on the presenter's own screen. */
Terminal.prototype.entry = function (entry) {
  if (entry.clear) { this.screen.clear(); return; }
  this.screen.add({ prompt: entry.prompt || "", line: entry.line,
                    output: entry.output });
};
