/* Lanes: one row of lanes per queue, cards that move.
 *
 * Which queues, in which order: `?queues=low,default` shows those, in that
 * order; otherwise the audience's queue comes first (what the room watches),
 * then the queues with recent activity, then idle ones, folded to one line.
 * A recurring job's runs (the cron tick) fold into one card with a count.
 * A lane shows its newest cards (as many as fit, on a projector) and
 * "+ N more", which opens the whole lane (lanesheet.js). */

import { LANES, LANE_TITLES, MAX_ANIMATED, el, clear, shortFunc, formatNumber, timeEl, setTime } from "./util.js";

/* Cards a lane shows on an ordinary screen; a projector (big, embed) shows what fits. */
const MAX_CARDS = 8;
/* Seconds after its last event a queue still counts as active. */
const RECENT = 120;

export function LanesView(dash) {
  this.dash = dash;
  this.store = dash.store;
  this.root = document.getElementById("queues");
  this.sections = {};   // queue -> {section, lanes: {lane: {box, list, count, more}}, ...}
  this.cardEls = new Map();
  this.foldEls = new Map();
  this.pendingMoves = new Map();
  this.activity = {};   // queue -> ms of the last event seen on it
  this.order = "";
  this.fitMode = document.documentElement.classList.contains("big") || document.documentElement.classList.contains("embed");
  this.reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/* The queues this page shows, in order (see the top of this file). A
 * projector leaves out queues with no job at all (but the audience's). */
LanesView.prototype.shown = function () {
  var store = this.store, self = this, wanted = this.dash.wantedQueues;
  if (wanted.length) return wanted.filter(function (q) { return store.queues.indexOf(q) >= 0; });
  var audience = this.dash.audienceQueue, now = Date.now();
  var rank = function (q) {
    if (q === audience) return 0;
    var waiting = (store.count(q, "queued") || 0) + (store.count(q, "started") || 0) + (store.count(q, "scheduled") || 0);
    return waiting || now - (self.activity[q] || 0) < RECENT * 1000 ? 1 : 2;
  };
  var empty = function (q) {
    return LANES.every(function (lane) { return !store.count(q, lane) && !store.lanes[q][lane].length; });
  };
  return store.queues.filter(function (q) { return !self.fitMode || q === audience || !empty(q); }).sort(function (a, b) {
    return rank(a) - rank(b) || (self.activity[b] || 0) - (self.activity[a] || 0) || store.queues.indexOf(a) - store.queues.indexOf(b);
  });
};

LanesView.prototype.noteActivity = function (events) {
  var self = this;
  events.forEach(function (e) { if (e.queue && e.ts) self.activity[e.queue] = Math.max(self.activity[e.queue] || 0, e.ts * 1000); });
};

/* After a snapshot: the newest time on each queue's cards stands for its activity. */
LanesView.prototype.activityFromCards = function () {
  var self = this;
  this.store.cards.forEach(function (card) {
    var t = Date.parse(card.ended_at || card.started_at || card.enqueued_at || "") || 0;
    if (t > (self.activity[card.queue] || 0)) self.activity[card.queue] = t;
  });
};

LanesView.prototype.render = function () {
  var self = this;
  clear(this.root);
  this.sections = {};
  this.activityFromCards();
  this.store.queues.forEach(function (queue) {
    var section = el("section", "queue");
    section.dataset.queue = queue;
    var head = el("header", "queue-head");
    var title = el("h2", "queue-name", queue);
    var paused = el("span", "queue-paused", "paused");
    paused.hidden = true;
    var total = el("span", "queue-total");
    head.append(title, paused, total);
    if (queue === self.dash.audienceQueue) head.append(el("span", "queue-tag", "the audience's jobs"));
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
      var more = el("button", "lane-more");
      more.type = "button";
      more.hidden = true;
      more.addEventListener("click", function () { self.dash.sheet.open(queue, lane); });
      // On a projector every line counts: "+ N more" sits in the lane's head.
      if (self.fitMode) laneHead.insertBefore(more, count);
      box.append(laneHead, list);
      if (!self.fitMode) box.append(more);
      lanes.append(box);
      laneEls[lane] = { box: box, head: laneHead, list: list, count: count, more: more };
    });
    section.append(head, lanes);
    self.sections[queue] = { section: section, paused: paused, total: total, controls: controls, lanes: laneEls };
  });
  this.cardEls.clear();
  this.foldEls.clear();
  this.order = "";
  this.dash.controls.renderQueues(this.sections);
  this.update({ kind: "snapshot" });
};

LanesView.prototype.noteMoves = function (moved) {
  var self = this;
  moved.forEach(function (m) { self.pendingMoves.set(m.id, m); });
};

/* Put the shown queues in order (only when the order changed: no jumps). */
LanesView.prototype.arrange = function () {
  var self = this, shown = this.shown(), order = shown.join(",");
  if (order === this.order) return;
  this.order = order;
  Object.keys(this.sections).forEach(function (q) {
    if (shown.indexOf(q) < 0) self.sections[q].section.remove();
  });
  shown.forEach(function (q) { self.root.append(self.sections[q].section); });
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
  if (change.kind === "snapshot") this.activityFromCards();
  this.arrange();
  var keep = new Set(), counted = [];
  store.queues.forEach(function (queue) {
    var sec = self.sections[queue];
    if (!sec) return;
    var queueTotal = 0, active = false, tallest = 1;
    LANES.forEach(function (lane) {
      var ids = store.lanes[queue][lane];
      var parts = sec.lanes[lane];
      var n = store.count(queue, lane);
      queueTotal += n || 0;
      parts.count.textContent = formatNumber(n === null ? ids.length : n);
      parts.box.classList.toggle("is-empty", ids.length === 0 && !n);
      if (ids.length || n) active = true;
      var synced = self.syncList(queue, lane, parts.list, ids, keep);
      tallest = Math.max(tallest, synced.items);
      counted.push([parts, n === null ? ids.length : n, synced.shown]);
    });
    // On a projector a queue's share of the height follows its longest lane.
    if (self.fitMode) sec.section.style.flexGrow = String(Math.min(tallest, 3));
    sec.total.textContent = formatNumber(queueTotal) + (queueTotal === 1 ? " job" : " jobs");
    sec.section.classList.toggle("is-idle", !active);
    sec.paused.hidden = !store.paused.has(queue);
    sec.section.classList.toggle("is-paused", store.paused.has(queue));
  });
  this.cardEls.forEach(function (node, id) {
    if (!keep.has(id)) { node.remove(); self.cardEls.delete(id); }
  });
  this.foldEls.forEach(function (node, key) {
    if (!keep.has(key)) { node.remove(); self.foldEls.delete(key); }
  });
  if (this.fitMode) this.fit(counted);
  else counted.forEach(function (c) { self.showMore(c[0], c[1], c[2]); });
  if (animate) this.flip(first);
  this.pendingMoves.clear();
};

LanesView.prototype.showMore = function (parts, total, shown) {
  var hidden = total - shown;
  parts.more.hidden = hidden <= 0;
  if (hidden <= 0) return;
  parts.more.textContent = this.fitMode ? "+" + formatNumber(hidden) : "+ " + formatNumber(hidden) + " more";
  parts.more.title = formatNumber(hidden) + " more: open the whole lane";
};

/* On a projector a lane shows the cards that fit whole, never a cut one:
 * one read of every position, then the writes. */
LanesView.prototype.fit = function (counted) {
  var self = this;
  counted.forEach(function (c) { Array.prototype.forEach.call(c[0].list.children, function (n) { n.hidden = false; }); });
  var cuts = counted.map(function (c) {
    var list = c[0].list, bottom = list.getBoundingClientRect().bottom + 1, cut = [];
    Array.prototype.forEach.call(list.children, function (node) {
      if (node.getBoundingClientRect().bottom > bottom) cut.push(node);
    });
    return cut;
  });
  counted.forEach(function (c, i) {
    var shown = c[2];
    cuts[i].forEach(function (node) { node.hidden = true; shown -= Number(node.dataset.represents || 1); });
    self.showMore(c[0], c[1], shown);
  });
};

LanesView.prototype.flip = function (first) {
  var self = this;
  first.forEach(function (rect, id) {
    var node = self.cardEls.get(id);
    if (!node || node.hidden) return;
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
};

/* What a lane shows, newest first: cards, and one fold per recurring job. */
LanesView.prototype.items = function (ids) {
  var store = this.store, items = [], folds = {};
  ids.forEach(function (id) {
    var card = store.cards.get(id);
    if (!card) return;
    if (card.recurring) {
      var fold = folds[card.recurring];
      if (!fold) items.push(fold = folds[card.recurring] = { fold: true, name: card.recurring, cards: [] });
      fold.cards.push(card);
    } else {
      items.push({ card: card });
    }
  });
  return items.map(function (item) { return item.fold && item.cards.length === 1 ? { card: item.cards[0] } : item; });
};

/* Returns {shown: how many jobs the lane's cards stand for, items: how many cards}. */
LanesView.prototype.syncList = function (queue, lane, list, ids, keep) {
  var self = this, items = this.items(ids), shown = 0;
  if (!this.fitMode) items = items.slice(0, MAX_CARDS);
  var cursor = list.firstChild;
  items.forEach(function (item) {
    var node;
    if (item.fold) {
      var key = "fold:" + queue + ":" + lane + ":" + item.name;
      node = self.foldEls.get(key);
      if (!node) { node = self.createFold(queue, lane, item); self.foldEls.set(key, node); }
      self.fillFold(node, item);
      keep.add(key);
      shown += item.cards.length;
    } else {
      var card = item.card;
      node = self.cardEls.get(card.id);
      if (!node) {
        node = self.createCard(card);
        self.cardEls.set(card.id, node);
        if (self.dash.ready) node.classList.add("enter");
      }
      if (node.dataset.version !== String(card.version || 0)) self.fillCard(node, card);
      keep.add(card.id);
      shown += 1;
    }
    if (node !== cursor) list.insertBefore(node, cursor);
    else cursor = cursor.nextSibling;
  });
  while (cursor) { // leftovers from this list that belong elsewhere or nowhere
    var next = cursor.nextSibling;
    if (!keep.has(cursor.dataset.key || cursor.dataset.id)) cursor.remove();
    cursor = next;
  }
  return { shown: shown, items: items.length };
};

LanesView.prototype.createCard = function (card) {
  var self = this;
  var item = el("li", "card");
  item.dataset.id = card.id;
  var button = el("button", "card-button");
  button.type = "button";
  var func = el("span", "card-func");
  var time = timeEl(null, "card-time");
  var nick = el("span", "card-nick");
  var info = el("span", "card-info");
  var bar = el("span", "bar");
  var fill = el("span", "bar-fill");
  bar.append(fill);
  button.append(func, time, nick, bar, info);
  button.addEventListener("click", function () { self.dash.detail.open(card.id); });
  item.append(button);
  item.addEventListener("animationend", function () { item.classList.remove("enter"); });
  return item;
};

/* The time a card shows: when it ended, started or was enqueued, whichever is latest. */
function when(card) { return card.ended_at || card.started_at || card.enqueued_at || null; }

LanesView.prototype.fillCard = function (node, card) {
  node.dataset.version = String(card.version || 0);
  node.dataset.status = card.lane || card.status || "";
  var button = node.firstChild;
  var parts = button.children;
  parts[0].textContent = shortFunc(card.func);
  setTime(parts[1], when(card));
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
  button.title = String(card.func || "?") + " · job " + card.id;
};

/* A recurring job's runs in this lane, as one card: "tick ×12", the newest run's time and words. */
LanesView.prototype.createFold = function (queue, lane, item) {
  var self = this;
  var node = el("li", "card card-fold");
  node.dataset.key = "fold:" + queue + ":" + lane + ":" + item.name;
  var button = el("button", "card-button");
  button.type = "button";
  button.append(el("span", "card-func"), timeEl(null, "card-time"), el("span", "card-info"));
  button.addEventListener("click", function () {
    self.dash.sheet.open(queue, lane, shortFunc(node.dataset.func || ""));
  });
  node.append(button);
  return node;
};

LanesView.prototype.fillFold = function (node, item) {
  var newest = item.cards[0], parts = node.firstChild.children;
  node.dataset.status = newest.lane || "";
  node.dataset.func = newest.func || "";
  node.dataset.represents = String(item.cards.length);
  parts[0].textContent = shortFunc(newest.func) + " ×" + item.cards.length;
  setTime(parts[1], when(newest));
  parts[2].textContent = "recurring job";
  node.firstChild.title = item.cards.length + " runs of the recurring job " + item.name +
    (newest.info ? " (newest: " + newest.info + ")" : "") + ": open them all";
};
