/* The whole lane ("+ 36 more"): an overlay with the lane's jobs page by page,
 * filtered by function or nickname, read from the server on request (the
 * socket's `lane` call; a page costs the server one page of jobs). On the
 * failed lane the presenter gets "Requeue all failed". */

import { LANE_TITLES, el, clear, shortFunc, formatNumber, timeEl } from "./util.js";

export function LaneSheet(dash) {
  this.dash = dash;
  this.box = document.getElementById("lane-sheet");
  this.title = this.box.querySelector(".sheet-title");
  this.filter = this.box.querySelector(".sheet-filter");
  this.list = this.box.querySelector(".sheet-cards");
  this.status = this.box.querySelector(".sheet-status");
  this.prev = this.box.querySelector(".sheet-prev");
  this.next = this.box.querySelector(".sheet-next");
  this.actions = this.box.querySelector(".sheet-actions");
  this.where = null;
  this.page = 0;
  this.timer = null;
  this.asked = 0;
}

LaneSheet.prototype.bind = function () {
  var self = this;
  this.box.querySelector(".sheet-close").addEventListener("click", function () { self.close(); });
  this.box.addEventListener("click", function (event) { if (event.target === self.box) self.close(); });
  this.filter.addEventListener("input", function () {
    window.clearTimeout(self.timer);
    self.timer = window.setTimeout(function () { self.page = 0; self.load(); }, 250);
  });
  this.prev.addEventListener("click", function () { self.page -= 1; self.load(); });
  this.next.addEventListener("click", function () { self.page += 1; self.load(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !self.box.hidden && !document.querySelector("dialog[open]")) self.close();
  });
};

LaneSheet.prototype.open = function (queue, lane, filter) {
  this.where = { queue: queue, lane: lane };
  this.page = 0;
  this.filter.value = filter || "";
  this.title.textContent = LANE_TITLES[lane] + " on " + queue;
  this.box.hidden = false;
  this.dash.controls.renderLane(this.actions, queue, lane);
  this.load();
  this.filter.focus();
};

LaneSheet.prototype.close = function () {
  this.where = null;
  this.box.hidden = true;
};

LaneSheet.prototype.load = function () {
  var self = this, where = this.where, asked = ++this.asked;
  if (!where) return;
  this.status.textContent = "Loading…";
  this.dash.connection.call("lane", { queue: where.queue, lane: where.lane, page: this.page, filter: this.filter.value },
    function (ack) {
      if (asked !== self.asked || !self.where) return;
      if (!ack.ok) { self.status.textContent = ack.error || "the lane could not be read"; return; }
      self.show(ack);
    });
};

LaneSheet.prototype.show = function (page) {
  var self = this;
  this.page = page.page;
  clear(this.list);
  page.ids.forEach(function (id) {
    var card = page.cards[id];
    var item = el("li", "card");
    item.dataset.id = id;
    item.dataset.status = card.status;
    var button = el("button", "card-button");
    button.type = "button";
    button.append(el("span", "card-func", shortFunc(card.func)), timeEl(card.ended_at || card.started_at || card.enqueued_at, "card-time"));
    if (card.nick) button.append(el("span", "card-nick", card.nick));
    if (card.info) button.append(el("span", "card-info", card.info));
    button.addEventListener("click", function () { self.dash.detail.open(id); });
    item.append(button);
    self.list.append(item);
  });
  var of = page.matched === null ? formatNumber(page.total) + " jobs"
    : formatNumber(page.matched) + " match" + (page.matched === 1 ? "es" : "") + " among the newest " + formatNumber(page.scanned);
  this.status.textContent = page.ids.length ? "Page " + (page.page + 1) + " of " + formatNumber(page.pages) + " · " + of
    : (page.matched === null ? "This lane is empty." : "No job matches \u201c" + this.filter.value + "\u201d.");
  this.prev.disabled = page.page <= 0;
  this.next.disabled = page.page >= page.pages - 1;
};
