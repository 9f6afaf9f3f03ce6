/* The detail panel of one job. All text goes in with textContent.
 *
 * A failed job leads with what went wrong, as Sidekiq's retry pages do: the
 * error's class and message in large type, then the frames of the job's own
 * code, the library frames (rq's machinery, the standard library) folded,
 * then its attempts; the facts about the job come after. */

import { el, clear, shortFunc, formatTime, seconds, timeEl } from "./util.js";

export function DetailView(dash) {
  this.dash = dash;
  this.box = document.getElementById("detail");
  this.body = this.box.querySelector(".detail-body");
  this.failure = this.box.querySelector(".detail-failure");
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
    if (event.key === "Escape" && !self.box.hidden && !document.querySelector("dialog[open]")) self.close();
  });
};

DetailView.prototype.open = function (id) {
  this.jobId = id;
  this.box.hidden = false;
  this.dash.root.classList.add("has-detail");
  this.title.textContent = "Job " + String(id).slice(0, 8);
  this.showError("");
  clear(this.failure);
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

/* Error first: class and message, the job's own frames, the library's folded, the attempts. */
DetailView.prototype.fillFailure = function (job) {
  var box = this.failure, error = job.error;
  clear(box);
  if (!error) return;
  box.append(el("p", "failure-type", error.type), el("p", "failure-message", error.message || "(no message)"));
  var own = error.frames.filter(function (f) { return !f.library; });
  var library = error.frames.filter(function (f) { return f.library; });
  var frame = function (f) {
    var item = el("li", "frame" + (f.library ? " frame-library" : ""));
    item.append(el("span", "frame-where", f.file.split("/").slice(-2).join("/") + ":" + f.line + (f.func ? " in " + f.func : "")));
    if (f.code) item.append(el("code", "frame-code", f.code));
    item.title = f.file + ", line " + f.line;
    return item;
  };
  if (own.length) {
    var list = el("ol", "frames");
    own.forEach(function (f) { list.append(frame(f)); });
    box.append(el("h3", "failure-label", "Where, in the job's code (innermost first)"), list);
  }
  if (library.length) {
    var fold = el("details", "frames-library");
    fold.append(el("summary", null, library.length + (library.length === 1 ? " frame" : " frames") + " in libraries (rq, Python)"));
    var libs = el("ol", "frames");
    library.forEach(function (f) { libs.append(frame(f)); });
    fold.append(libs);
    box.append(fold);
  }
  var attempts = job.attempts || [];
  if (attempts.length) {
    var runs = el("ol", "attempts");
    attempts.forEach(function (run, i) {
      var item = el("li", "attempt" + (run.ok ? " ok" : ""));
      item.append(el("span", "attempt-n", "Run " + (i + 1)), timeEl(run.at, "attempt-time"), el("span", "attempt-info", run.ok ? "finished" + (run.info ? ": " + run.info : "") : run.info));
      runs.append(item);
    });
    box.append(el("h3", "failure-label", attempts.length === 1 ? "Its run" : "Its " + attempts.length + " runs"), runs);
  }
};

DetailView.prototype.fill = function (job) {
  var body = this.body;
  clear(body);
  this.title.textContent = shortFunc(job.func) + " · " + String(job.id).slice(0, 8);
  this.fillFailure(job);
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
  row("Result", job.result, true);
  row("Function", job.func);
  row("Arguments", args.length ? args.join(",\n") : "(none)", true);
  row("Status", job.status);
  row("Queue", job.queue);
  if (job.nick) row("From", job.nick);
  if (typeof job.progress === "number") row("Progress", Math.round(job.progress * 100) + "%" + (job.progress_note ? " · " + job.progress_note : ""));
  row("Enqueued", formatTime(job.enqueued_at));
  row("Started", formatTime(job.started_at));
  row("Ended", formatTime(job.ended_at));
  var ran = job.started_at && job.ended_at ? seconds(job.started_at, job.ended_at) : null;
  if (ran !== null) row("Ran for", ran.toFixed(3) + " s");
  if (typeof job.retries_left === "number") row("Retries left", job.retries_left);
  row("Worker", job.worker);
  row("Job id", job.id);
  if (job.exc_info && !job.error) row("Traceback", job.exc_info, true);
};
