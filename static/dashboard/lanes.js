/* Lanes: one row of lanes per queue, cards that move. */

import { LANES, LANE_TITLES, MAX_ANIMATED, el, clear, shortFunc, formatNumber } from "./util.js";

export function LanesView(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.root = document.getElementById("queues");
  this.sections = {};   // queue -> {section, lanes: {lane: {box, list, count}}, ...}
  this.cardEls = new Map();
  this.pendingMoves = new Map();
  this.reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

LanesView.prototype.render = function () {
  var self = this;
  clear(this.root);
  this.sections = {};
  this.store.queues.forEach(function (queue) {
    var section = el("section", "queue");
    section.dataset.queue = queue;
    var head = el("header", "queue-head");
    var title = el("h2", "queue-name", queue);
    var paused = el("span", "queue-paused", "paused");
    paused.hidden = true;
    var total = el("span", "queue-total");
    head.append(title, paused, total);
    var controls = el("div", "queue-controls");
    head.append(controls);
    var lanes = el("div", "lanes");
    var laneEls = {};
    LANES.forEach(function (lane) {
      var box = el("section", "lane lane-" + lane);
      box.dataset.lane = lane;
      var laneHead = el("h3", "lane-head");
      var name = el("span", "lane-name", LANE_TITLES[lane]);
      var count = el("span", "lane-count", "0");
      laneHead.append(name, count);
      var list = el("ol", "cards");
      var more = el("p", "lane-more");
      more.hidden = true;
      box.append(laneHead, list, more);
      lanes.append(box);
      laneEls[lane] = { box: box, list: list, count: count, more: more };
    });
    section.append(head, lanes);
    self.root.append(section);
    self.sections[queue] = { section: section, paused: paused, total: total, controls: controls, lanes: laneEls };
  });
  this.cardEls.clear();
  this.dash.controls.renderQueues(this.sections);
  this.update({ kind: "snapshot" });
};

LanesView.prototype.noteMoves = function (moved) {
  var self = this;
  moved.forEach(function (m) { self.pendingMoves.set(m.id, m); });
};

/* Bring the DOM in line with the store; animate cards that changed lanes. */
LanesView.prototype.update = function (change) {
  var self = this, store = this.store;
  var animate = !this.reduceMotion && change.kind !== "snapshot" &&
    this.pendingMoves.size > 0 && this.pendingMoves.size <= MAX_ANIMATED;
  var first = new Map();
  if (animate) {
    this.pendingMoves.forEach(function (m) {
      var node = self.cardEls.get(m.id);
      if (node && node.isConnected) first.set(m.id, node.getBoundingClientRect());
    });
  }
  var keep = new Set();
  store.queues.forEach(function (queue) {
    var sec = self.sections[queue];
    if (!sec) return;
    var queueTotal = 0, active = false;
    LANES.forEach(function (lane) {
      var ids = store.lanes[queue][lane];
      var parts = sec.lanes[lane];
      var n = store.count(queue, lane);
      queueTotal += n || 0;
      parts.count.textContent = formatNumber(n === null ? ids.length : n);
      var hidden = (n || 0) - ids.length;
      parts.more.hidden = hidden <= 0;
      if (hidden > 0) parts.more.textContent = "+ " + formatNumber(hidden) + " more";
      parts.box.classList.toggle("is-empty", ids.length === 0 && !n);
      if (ids.length || n) active = true;
      self.syncList(parts.list, ids, keep);
    });
    sec.total.textContent = formatNumber(queueTotal) + " jobs";
    sec.section.classList.toggle("is-idle", !active);
    sec.paused.hidden = !store.paused.has(queue);
    sec.section.classList.toggle("is-paused", store.paused.has(queue));
  });
  this.cardEls.forEach(function (node, id) {
    if (!keep.has(id)) { node.remove(); self.cardEls.delete(id); }
  });
  if (animate) {
    first.forEach(function (rect, id) {
      var node = self.cardEls.get(id);
      if (!node) return;
      var now = node.getBoundingClientRect();
      var dx = rect.left - now.left, dy = rect.top - now.top;
      if (!dx && !dy) return;
      node.style.transition = "none";
      node.style.transform = "translate(" + dx + "px," + dy + "px)";
      node.getBoundingClientRect(); // apply the start position before animating
      node.style.transition = "";
      node.style.transform = "";
      node.classList.add("moved");
      window.setTimeout(function () { node.classList.remove("moved"); }, 450);
    });
  }
  this.pendingMoves.clear();
};

LanesView.prototype.syncList = function (list, ids, keep) {
  var self = this;
  var cursor = list.firstChild;
  ids.forEach(function (id) {
    var card = self.store.cards.get(id);
    if (!card) return;
    var node = self.cardEls.get(id);
    if (!node) {
      node = self.createCard(card);
      self.cardEls.set(id, node);
      if (self.dash.ready) node.classList.add("enter");
    }
    if (node.dataset.version !== String(card.version || 0)) self.fillCard(node, card);
    keep.add(id);
    if (node !== cursor) list.insertBefore(node, cursor);
    else cursor = cursor.nextSibling;
  });
  while (cursor) { // leftovers from this list that belong elsewhere or nowhere
    var next = cursor.nextSibling;
    if (!keep.has(cursor.dataset.id)) cursor.remove();
    cursor = next;
  }
};

LanesView.prototype.createCard = function (card) {
  var self = this;
  var item = el("li", "card");
  item.dataset.id = card.id;
  var button = el("button", "card-button");
  button.type = "button";
  var func = el("span", "card-func");
  var id = el("span", "card-id");
  var nick = el("span", "card-nick");
  var info = el("span", "card-info");
  var bar = el("span", "bar");
  var fill = el("span", "bar-fill");
  bar.append(fill);
  button.append(func, id, nick, bar, info);
  button.addEventListener("click", function () { self.dash.detail.open(card.id); });
  item.append(button);
  item.addEventListener("animationend", function () { item.classList.remove("enter"); });
  return item;
};

LanesView.prototype.fillCard = function (node, card) {
  node.dataset.version = String(card.version || 0);
  node.dataset.status = card.lane || card.status || "";
  var button = node.firstChild;
  var parts = button.children;
  parts[0].textContent = shortFunc(card.func);
  parts[1].textContent = String(card.id).slice(0, 8);
  parts[2].textContent = card.nick || "";
  parts[2].hidden = !card.nick;
  var running = card.lane === "started";
  var progress = typeof card.progress === "number" ? Math.max(0, Math.min(1, card.progress)) : null;
  parts[3].hidden = !running;
  parts[3].classList.toggle("indeterminate", running && progress === null);
  parts[3].firstChild.style.width = progress === null ? "" : (progress * 100).toFixed(1) + "%";
  if (running && progress !== null) {
    parts[3].setAttribute("role", "progressbar");
    parts[3].setAttribute("aria-valuenow", String(Math.round(progress * 100)));
    parts[3].setAttribute("aria-valuemin", "0");
    parts[3].setAttribute("aria-valuemax", "100");
  }
  parts[4].textContent = card.info || "";
  parts[4].hidden = !card.info;
  button.title = String(card.func || "?") + " · " + card.id;
};
