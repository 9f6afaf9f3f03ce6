/* Presenter controls (the server checks every call). What cannot be undone
 * asks first, in the page (confirm.js), never with the browser's confirm(). */

import { el, clear } from "./util.js";
import { confirmInPage } from "./confirm.js";

export function Controls(dash) {
  this.dash = dash;
  this.enabled = dash.presenter;
  this.toggles = {};   // queue -> its pause/resume button
  this.requeues = {};  // queue -> its "Requeue failed" button (shown while it has failed jobs)
}

/* A button that sends one action; the server's answer (ack) is shown by `report`. */
Controls.prototype.button = function (label, op, payload, report, confirmText) {
  var self = this;
  var button = el("button", "action action-" + op, label);
  button.type = "button";
  button.dataset.action = op;
  button.addEventListener("click", function () {
    var ask = confirmText ? confirmInPage(confirmText, label) : Promise.resolve(true);
    ask.then(function (yes) {
      if (!yes) return;
      button.disabled = true;
      self.dash.connection.act(Object.assign({ op: button.dataset.action }, payload), function (ack) {
        button.disabled = false;
        report(ack.ok ? "" : (ack.error || "the action failed"), ack);
      });
    });
  });
  return button;
};

Controls.prototype.renderQueues = function (sections) {
  var self = this;
  if (!this.enabled) return;
  var report = function (text) { self.dash.notice(text); };
  this.toggles = {};
  this.requeues = {};
  Object.keys(sections).forEach(function (queue) {
    var box = sections[queue].controls;
    clear(box);
    // One toggle: "Pause" while the queue runs, "Resume" while it is paused.
    var toggle = self.button("Pause", "pause", { queue: queue }, report);
    self.toggles[queue] = toggle;
    var requeue = self.requeueAll(queue, report);
    self.requeues[queue] = requeue;
    box.append(self.button("+ 10 jobs", "burst", { queue: queue, count: 10 }, report),
               toggle,
               self.button("Empty", "empty", { queue: queue }, report, "Remove every queued job from " + queue + "?"),
               requeue);
  });
  this.update();
};

/* The pause toggle says what a press does, from the server's word on the queue. */
Controls.prototype.update = function () {
  var store = this.dash.store, paused = store.paused, toggles = this.toggles, requeues = this.requeues;
  Object.keys(requeues).forEach(function (queue) { requeues[queue].hidden = !store.count(queue, "failed"); });
  Object.keys(toggles).forEach(function (queue) {
    var on = paused.has(queue), button = toggles[queue];
    button.dataset.action = on ? "resume" : "pause";
    button.textContent = on ? "Resume" : "Pause";
    button.setAttribute("aria-pressed", String(on));
  });
};

Controls.prototype.requeueAll = function (queue, report) {
  var self = this;
  return this.button("Requeue failed", "requeue_failed", { queue: queue }, function (text, ack) {
    report(text || (ack && ack.left ? ack.requeued + " requeued; " + ack.left + " still failed: press again" : ""));
  }, "Put every failed job of " + queue + " back on its queue?");
};

/* The whole-lane overlay's controls: "Requeue all failed" on a failed lane. */
Controls.prototype.renderLane = function (box, queue, lane) {
  var self = this;
  clear(box);
  box.hidden = !this.enabled || lane !== "failed";
  if (box.hidden) return;
  var requeue = this.requeueAll(queue, function (text) { self.dash.notice(text); });
  requeue.textContent = "Requeue all failed";
  box.append(requeue);
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
