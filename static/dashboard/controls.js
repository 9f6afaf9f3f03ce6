/* Presenter controls (the server checks every call). */

import { el, clear } from "./util.js";

export function Controls(dash) {
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
    box.append(self.button("+ 10 jobs", "burst", { queue: queue, count: 10 }, report),
               self.button("Pause", "pause", { queue: queue }, report),
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
