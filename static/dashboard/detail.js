/* The detail panel of one job. All text goes in with textContent. */

import { el, clear, shortFunc, formatTime, seconds } from "./util.js";

export function DetailView(dash) {
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
