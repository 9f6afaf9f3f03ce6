/* The audience's page: send a job from a phone, follow your own jobs.
 *
 * After a job is accepted its card says where it stands, from the 202 and
 * then from what is pushed on /live: its place in line (a job of a queue
 * ahead starting moves it up, one arriving there moves it down), how many
 * workers are busy, a live progress bar, the outcome, and where to look on
 * the big screen. A submission that cannot reach the server waits and is
 * sent again on reconnect under the same request id, so it is sent once. */
(function () {
  "use strict";
  var h = OMQ.h;
  var message = document.getElementById("message");
  var waiting = [];  // submissions that could not reach the server yet: {body, label, tries}
  var socket = null;

  function result(job, detail, box) {
    var value = detail.result;
    if (value && value.tokens) {
      var code = h("code");
      value.tokens.forEach(function (t) { code.appendChild(h("span", { class: t[0], text: t[1] })); });
      box.appendChild(h("div", { class: "muted", text: value.summary }));
      box.appendChild(h("pre", { class: "hl" }, code));
    } else {
      box.textContent = OMQ.summary(value);
    }
  }

  function ordinal(n) {
    var tens = n % 100, s = { 1: "st", 2: "nd", 3: "rd" }[n % 10];
    return n + (tens > 10 && tens < 14 || !s ? "th" : s);
  }

  // Where the job stands, under its status line.
  function where(job, el) {
    var d = job.detail;
    if (d && d !== job.seen) {  // fresh from the server (after a reconnect): it knows best
      job.seen = d;
      if (d.queue) job.queue = d.queue;
      if (d.line) { job.line = d.line; job.ahead = d.ahead; }
      if (d.workers) job.workers = d.workers;
    }
    var look = "“" + job.label + "”" + (job.nick ? " by " + job.nick : "");
    if (job.status === "queued" && job.line) {
      var place = job.ahead == null ? "A worker is taking it now" :
        job.ahead === 0 ? "Next in line" : ordinal(job.ahead + 1) + " in line (" + job.ahead + " ahead of yours)";
      var busy = job.workers ? " · " + job.workers.busy + " of " + job.workers.total +
        (job.workers.total === 1 ? " worker busy" : " workers busy") : "";
      el.appendChild(h("div", { class: "place", text: place + busy }));
      if (job.workers && !job.workers.total) el.appendChild(h("div", { class: "detail muted", text: "No worker is running: it starts when one does." }));
    }
    if (job.status === "queued" || job.status === "started" || job.status === "retry") {
      el.appendChild(h("div", { class: "cue", text: "Watch the big screen: your job is " + look + "." }));
    } else if (job.status === "finished") {
      el.appendChild(h("div", { class: "cue done", text: "Done: on the big screen it moved to Finished." }));
    }
  }

  var mine = new OMQ.JobList(document.getElementById("mine"), { result: result, max: 20, extra: where });

  // Pushed events move a place in line: a job of a queue at or ahead of ours
  // starting moves ours up; one arriving in a queue ahead of ours moves it down.
  function moveLine(job, e) {
    if (job.id === e.job || job.status !== "queued" || !job.line || job.ahead == null) return;
    var ahead = job.ahead;
    if (e.type === "started" && job.line.indexOf(e.queue) >= 0) ahead = Math.max(0, ahead - 1);
    if ((e.type === "enqueued" || e.type === "requeued") && e.queue !== job.queue && job.line.indexOf(e.queue) >= 0) ahead++;
    if (ahead !== job.ahead) { job.ahead = ahead; mine.render(job); }
  }

  // Events that reached us before a job's 202 did, newer than what its counts include.
  var recent = [];
  function newer(id, than) {
    var a = String(id).split("-").map(Number), b = String(than || "0-0").split("-").map(Number);
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  }
  function catchUp(job, asOf) {
    recent.forEach(function (e) {
      if (!newer(e.id, asOf)) return;
      moveLine(job, e);
      if (e.job === job.id) mine.event(e);
    });
  }

  function countWorkers(list) {
    Object.keys(mine.jobs).forEach(function (id) {
      var job = mine.jobs[id];
      if (!job.queue) return;
      var serving = list.filter(function (w) { return (w.queues || []).indexOf(job.queue) >= 0; });
      job.workers = { busy: serving.filter(function (w) { return w.state === "busy"; }).length, total: serving.length };
      if (job.status === "queued") mine.render(job);
    });
  }

  function tab(which) {
    ["wait", "code"].forEach(function (name) {
      document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === which));
      document.getElementById(name + "-form").hidden = name !== which;
    });
  }
  document.getElementById("tab-wait").addEventListener("click", function () { tab("wait"); });
  document.getElementById("tab-code").addEventListener("click", function () { tab("code"); });

  function requestId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function send(body, label, button, tries) {
    if (button) button.disabled = true;
    return OMQ.post("/demo/submit", body).then(function (r) {
      if (button) button.disabled = false;
      if (r.status === 0 || r.status === 502 || r.status === 504) {  // not there: keep it, send it again
        tries = (tries || 0) + 1;
        waiting.push({ body: body, label: label, tries: tries });
        OMQ.say(message, "Can't reach the talk's server; we'll send your job as soon as it's back.", "info");
        if (socket && socket.connected && tries < 5) setTimeout(flush, 3000 * tries);  // the page is online
        return;
      }
      if (!r.ok) return OMQ.say(message, r.data.error);
      OMQ.say(message, "");
      document.getElementById("nick").textContent = r.data.nick;
      var job = mine.add(r.data.job, label, { nick: r.data.nick, queue: r.data.queue, status: r.data.status || "queued" });
      if (OMQ.TERMINAL[job.status]) mine.refresh(job.id);  // a second try of a job that has run already
      if (r.data.line) {
        job.line = r.data.line; job.ahead = r.data.ahead; job.workers = r.data.workers;
        mine.render(job);
        catchUp(job, r.data.as_of);
      }
    });
  }

  function flush() {
    var again = waiting.splice(0);
    if (again.length) OMQ.say(message, "Back online: sending your job…", "info");
    again.forEach(function (w) { send(w.body, w.label, null, w.tries); });
  }

  function submit(body, label, form) {
    OMQ.say(message, "");
    body.request = requestId();
    send(body, label, form.querySelector("button[type=submit]"));
  }

  document.getElementById("wait-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var seconds = document.getElementById("seconds").value;
    submit({ kind: "wait", seconds: parseFloat(seconds) || seconds }, "wait " + seconds + " s", this);
  });
  document.getElementById("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var language = document.getElementById("language").value;
    submit({ kind: "highlight", language: language, code: document.getElementById("code").value },
           "highlight " + language, this);
  });

  socket = OMQ.live({
    connect: function () {
      if (message.classList.contains("info") && !waiting.length) OMQ.say(message, "");
      mine.restore();
      flush();
    },
    event: function (e) {
      recent.push(e);
      if (recent.length > 200) recent.shift();
      Object.keys(mine.jobs).forEach(function (id) { moveLine(mine.jobs[id], e); });
      mine.event(e);
    },
    workers: countWorkers
  });
})();
