/* What every demo page shares: DOM building, JSON calls, the live stream,
 * the server's clock, and a list of jobs that follows their lifecycle events.
 *
 * Everything a visitor, a job or the server sends is shown with textContent
 * (OMQ.h never parses HTML). Pages read their settings from data-attributes
 * of #demo; no inline scripts or handlers.
 */
(function () {
  "use strict";

  var OMQ = {};
  var root = document.getElementById("demo");
  OMQ.root = root;
  OMQ.presenter = !!root && root.dataset.presenter === "true";

  // -- DOM -------------------------------------------------------------------

  /** h("li", {class: "job", text: "..."}, child, ...): an element, text only. */
  OMQ.h = function (tag, props) {
    var el = document.createElement(tag);
    var key;
    props = props || {};
    for (key in props) {
      if (!Object.prototype.hasOwnProperty.call(props, key) || props[key] == null) continue;
      if (key === "class") el.className = props[key];
      else if (key === "text") el.textContent = String(props[key]);
      else if (key === "on") Object.keys(props.on).forEach(function (ev) { el.addEventListener(ev, props.on[ev]); });
      else el.setAttribute(key, String(props[key]));
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child == null || child === false) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  };

  OMQ.clear = function (el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  };

  /** Show (or hide, with an empty text) a message box. */
  OMQ.say = function (el, text, kind) {
    el.textContent = text || "";
    el.hidden = !text;
    el.classList.toggle("info", kind === "info");
  };

  OMQ.seconds = function (s) {
    if (s == null || isNaN(s)) return "?";
    if (s < 1) return Math.round(s * 1000) + " ms";
    return s < 10 ? s.toFixed(1) + " s" : Math.round(s) + " s";
  };

  /** A job's result as one line: its summary, the text it returned, or JSON. */
  OMQ.summary = function (value) {
    if (value && typeof value === "object" && value.summary) return value.summary;
    return typeof value === "string" ? value : JSON.stringify(value);
  };

  // -- the server's clock (countdowns use it, not the phone's) ------------------

  var offset = 0;
  /** Align to a server timestamp (Unix seconds) that was just sent. */
  OMQ.sync = function (serverNow) {
    if (typeof serverNow === "number" && isFinite(serverNow)) offset = serverNow - Date.now() / 1000;
  };
  OMQ.now = function () { return Date.now() / 1000 + offset; };

  // -- JSON calls ----------------------------------------------------------------

  /** fetch as JSON; resolves {ok, status, data, ms} (never rejects). */
  OMQ.call = function (method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var started = performance.now();
    return fetch(url, options).then(function (response) {
      var ms = performance.now() - started;
      return response.json().catch(function () {
        return { error: response.status + " " + response.statusText };
      }).then(function (data) {
        if (data && typeof data.now === "number") OMQ.sync(data.now);
        return { ok: response.ok, status: response.status, data: data || {}, ms: ms };
      });
    }, function (err) {
      return { ok: false, status: 0, data: { error: "network error: " + err.message }, ms: performance.now() - started };
    });
  };
  OMQ.get = function (url) { return OMQ.call("GET", url); };
  OMQ.post = function (url, body) { return OMQ.call("POST", url, body === undefined ? {} : body); };

  // -- the live stream (the dashboard's /live namespace) ---------------------------

  /**
   * Connect to /live. handlers: event(e) for each lifecycle event, demo(payload)
   * for this app's demo news, workers(list) for the worker list, connect() on
   * every (re)connection: the place to refresh what may have been missed.
   */
  OMQ.live = function (handlers) {
    var status = document.querySelector(".live-status");
    function show(state, text) {
      if (!status) return;
      status.dataset.state = state;
      status.textContent = text;
    }
    if (typeof io !== "function") {
      show("offline", "live updates unavailable");
      return null;
    }
    // WebSocket first: a deck keeps every widget's frame (and its socket) open, and
    // long-polling ones would soon use up the browser's six connections to the server.
    var socket = io("/live", { transports: ["websocket", "polling"], tryAllTransports: true });
    var away = "can't reach the talk's server; we'll retry";
    socket.on("connect", function () {
      show("live", "live");
      // data-ready: the page's first state is on screen (screenshots and --pdf stills wait for it)
      Promise.resolve(handlers.connect && handlers.connect()).then(function () {
        document.documentElement.dataset.ready = "true";
      });
    });
    socket.on("disconnect", function () { show("offline", away); });
    socket.on("connect_error", function () { show("offline", away); });
    socket.on("delta", function (delta) {
      OMQ.sync(delta.sent);
      (delta.events || []).forEach(function (e) { if (handlers.event) handlers.event(e); });
      if (delta.workers && handlers.workers) handlers.workers(delta.workers);
    });
    socket.on("counts", function (counts) {
      if (counts.workers && handlers.workers) handlers.workers(counts.workers);
    });
    socket.on("demo", function (payload) {
      OMQ.sync(payload.now);
      if (handlers.demo) handlers.demo(payload);
    });
    return socket;
  };

  // -- countdowns ------------------------------------------------------------------

  function tickCountdowns() {
    var now = OMQ.now();
    document.querySelectorAll("[data-at]").forEach(function (el) {
      var left = parseFloat(el.dataset.at) - now;
      el.textContent = left > 0.05 ? (el.dataset.prefix || "in ") + left.toFixed(1) + " s" : (el.dataset.due || "due now");
    });
  }
  setInterval(tickCountdowns, 100);

  // -- a list of jobs following their events ----------------------------------------

  var TERMINAL = { finished: true, failed: true, canceled: true, stopped: true };
  OMQ.TERMINAL = TERMINAL;

  /**
   * JobList(ul, options): cards for the jobs this page started (or follows).
   * options.result(job, detail, el): fill el with a finished job's result;
   * options.log: keep a line per attempt; options.actions(job): extra nodes
   * (e.g. a presenter's requeue button) shown when the job ends;
   * options.extra(job, el): more lines under the status, at every render.
   */
  OMQ.JobList = function (list, options) {
    this.list = list;
    this.options = options || {};
    this.jobs = {};
  };

  OMQ.JobList.prototype.has = function (id) { return !!this.jobs[id]; };

  OMQ.JobList.prototype.add = function (id, label, extra) {
    if (this.jobs[id]) return this.jobs[id];
    var job = { id: id, label: label, status: "queued", progress: null, at: null, note: "", nick: "", log: [] };
    Object.assign(job, extra || {});
    job.el = OMQ.h("li", { class: "job", "data-job": id });
    this.jobs[id] = job;
    this.list.insertBefore(job.el, this.list.firstChild);
    var max = this.options.max || 30;
    while (this.list.children.length > max) {
      var last = this.list.lastChild;
      delete this.jobs[last.dataset.job];
      this.list.removeChild(last);
    }
    this.render(job);
    return job;
  };

  OMQ.JobList.prototype.event = function (e) {
    var job = this.jobs[e.job];
    if (!job) return;
    if (e.nick) job.nick = e.nick;
    switch (e.type) {
      case "enqueued": case "requeued":
        job.status = "queued"; job.at = null;
        if (e.type === "requeued") job.log.push("requeued by the presenter");
        break;
      case "scheduled":
        job.status = "scheduled"; job.at = parseFloat(e.at) || null; break;
      case "started":
        job.status = "started"; job.at = null; job.progress = null;
        job.attempt = (job.attempt || 0) + 1;
        job.log.push("attempt " + job.attempt + " started");
        // which worker and process: for the curious, folded under "details"
        job.ids = (job.ids || []).concat("attempt " + job.attempt + ": " + (e.worker || "a worker") + (e.pid ? ", pid " + e.pid : ""));
        break;
      case "progress":
        job.progress = e.progress; job.note = e.info || ""; break;
      case "retry":
        job.status = "retry"; job.at = e.at ? parseFloat(e.at) : null;
        job.log.push("failed: " + (e.info || "error") + (e.left != null ? " · " + e.left + " retries left" : ""));
        break;
      case "abandoned":
        job.log.push(e.info || "its worker died");
        job.status = e.outcome === "failed" ? "failed" : "queued";
        break;
      case "seen":
        if (e.status && !TERMINAL[job.status]) job.status = e.status === "started" ? "started" : e.status;
        break;
      case "finished": job.status = "finished"; break;
      case "failed": job.status = "failed"; job.log.push("failed: " + (e.info || "error")); break;
      case "canceled": job.status = "canceled"; break;
      default: return;
    }
    this.render(job);
    if (TERMINAL[job.status]) this.refresh(job.id);
  };

  /** Fetch a job's state from the server (after it ends, or after a reconnect). */
  OMQ.JobList.prototype.refresh = function (id) {
    var self = this;
    var job = this.jobs[id];
    if (!job) return Promise.resolve();
    return OMQ.get("/demo/jobs/" + encodeURIComponent(id)).then(function (r) {
      if (!r.ok) {
        if (r.status === 404) { job.status = "gone"; job.note = r.data.error; self.render(job); }
        return;
      }
      var d = r.data;
      job.detail = d;
      job.status = d.status === "scheduled" && job.status === "retry" ? "retry" : d.status;
      if (d.nick) job.nick = d.nick;
      if (d.scheduled_for) job.at = d.scheduled_for;
      if (d.progress != null) job.progress = d.progress;
      self.render(job);
    });
  };

  /** Bring back this visitor's recent jobs (of one demo, or all): after a reload, or a reconnect. */
  OMQ.JobList.prototype.restore = function (demo) {
    var self = this;
    return OMQ.get("/demo/mine" + (demo ? "?demo=" + encodeURIComponent(demo) : "")).then(function (r) {
      if (!r.ok) return;
      r.data.jobs.slice().reverse().forEach(function (job) {
        if (!self.has(job.id)) self.add(job.id, job.label, { nick: r.data.nick, status: job.status });
      });
      self.refreshOpen();
      r.data.jobs.forEach(function (job) {
        var known = self.jobs[job.id];
        if (known && !known.detail && TERMINAL[job.status]) self.refresh(job.id);
      });
    });
  };

  OMQ.JobList.prototype.refreshOpen = function () {
    var self = this;
    Object.keys(this.jobs).forEach(function (id) {
      if (!TERMINAL[self.jobs[id].status]) self.refresh(id);
    });
  };

  var STATUS_TEXT = { queued: "queued", scheduled: "scheduled", started: "running", retry: "will retry",
                      finished: "finished", failed: "failed", canceled: "canceled", stopped: "stopped", gone: "expired" };

  OMQ.JobList.prototype.render = function (job) {
    var h = OMQ.h;
    var el = OMQ.clear(job.el);
    el.dataset.status = job.status;
    el.appendChild(h("div", { class: "top" },
      h("span", { class: "label", text: job.label }),
      job.nick ? h("span", { class: "nick", text: "by " + job.nick }) : null,
      h("span", { class: "status", text: STATUS_TEXT[job.status] || job.status })));
    if ((job.status === "scheduled" || job.status === "retry") && job.at) {
      el.appendChild(h("div", { class: "detail" },
        job.status === "retry" ? "next attempt " : "runs ",
        h("span", { class: "countdown", "data-at": job.at, "data-due": "any moment now" })));
    }
    if (job.status === "started") {
      var bar = h("span");
      bar.style.width = Math.round((job.progress || 0) * 100) + "%";
      el.appendChild(h("div", { class: "bar" }, bar));
      if (job.note) el.appendChild(h("div", { class: "detail muted", text: job.note }));
    }
    if (this.options.extra) this.options.extra(job, el);
    if (this.options.log && job.log.length) {
      var ol = h("ol", { class: "log" });
      job.log.forEach(function (line) { ol.appendChild(h("li", { text: line })); });
      el.appendChild(ol);
      if (job.ids && job.ids.length) {
        var ids = h("ul");
        job.ids.forEach(function (line) { ids.appendChild(h("li", { text: line })); });
        el.appendChild(h("details", { class: "ids" }, h("summary", { text: "details" }), ids));
      }
    }
    var d = job.detail;
    if (d && d.status === "finished" && d.result != null) {
      var box = h("div", { class: "detail" });
      if (this.options.result) this.options.result(job, d, box);
      else box.textContent = OMQ.summary(d.result);
      el.appendChild(box);
    }
    if (d && d.status === "failed" && d.error) {
      el.appendChild(h("details", {}, h("summary", { text: "traceback" }), h("pre", { class: "trace", text: d.error })));
    }
    if (job.status === "gone" && job.note) el.appendChild(h("div", { class: "detail muted", text: job.note }));
    if (this.options.actions && TERMINAL[job.status]) {
      var actions = this.options.actions(job);
      if (actions) el.appendChild(actions);
    }
  };

  window.OMQ = OMQ;
})();
