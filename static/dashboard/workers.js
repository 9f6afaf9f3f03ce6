/* Workers: who is registered, idle or busy, and on which job. */

import { el, clear, shortFunc, formatNumber } from "./util.js";

export function WorkersView(dash) {
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
