/* The header row: Sidekiq's big numbers, from the server (store.summary). */

import { el, clear, formatNumber } from "./util.js";

export const STATS = [
  ["processed", "Processed", "runs that ended"],
  ["failed", "Failed", "runs that raised"],
  ["busy", "Busy", "workers running a job"],
  ["enqueued", "Enqueued", "jobs waiting in the queues"],
  ["scheduled", "Scheduled", "jobs waiting for their time"],
  ["retries", "Retries", "jobs waiting for another attempt"]
];

export function SummaryView(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.root = document.getElementById("summary");
  this.values = {};
}

SummaryView.prototype.render = function () {
  var self = this;
  clear(this.root);
  STATS.forEach(function (stat) {
    var box = el("div", "total total-" + stat[0]);
    box.dataset.stat = stat[0];
    box.title = stat[2];
    var value = el("span", "total-value", "–");
    box.append(value, el("span", "total-name", stat[1]));
    self.root.append(box);
    self.values[stat[0]] = value;
  });
};

SummaryView.prototype.update = function () {
  var summary = this.store.summary || {}, values = this.values;
  STATS.forEach(function (stat) {
    var n = summary[stat[0]];
    var text = typeof n === "number" ? formatNumber(n) : "–";
    if (values[stat[0]].textContent !== text) values[stat[0]].textContent = text;
    values[stat[0]].parentNode.classList.toggle("is-zero", !n);
  });
};
