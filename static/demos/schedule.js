/* Scheduled and recurring: countdowns to scheduled jobs and to the next tick. */
(function () {
  "use strict";
  var h = OMQ.h;
  var message = document.getElementById("message");
  var jobs = new OMQ.JobList(document.getElementById("jobs"), { max: 10 });
  var at = document.getElementById("at");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }
  at.value = localInput(new Date(OMQ.now() * 1000 + 30000));

  function schedule(body, label) {
    OMQ.say(message, "");
    body.note = document.getElementById("note").value;
    OMQ.post("/demo/schedule", body).then(function (r) {
      if (!r.ok) return OMQ.say(message, r.data.error);
      jobs.add(r.data.job, label, { nick: r.data.nick, status: "scheduled", at: r.data.at });
    });
  }

  document.getElementById("enqueue-in").addEventListener("click", function () {
    var delay = document.getElementById("delay").value;
    schedule({ delay: parseFloat(delay) || delay }, "enqueue_in(" + delay + " s)");
  });
  document.getElementById("enqueue-at").addEventListener("click", function () {
    var when = new Date(at.value);
    if (isNaN(when.getTime())) return OMQ.say(message, "pick a date and time");
    schedule({ at: when.getTime() / 1000 }, "enqueue_at(" + when.toLocaleTimeString() + ")");
  });

  // -- the cron side ---------------------------------------------------------------

  var STATUS = { queued: "queued", started: "running", finished: "finished", failed: "failed" };

  function showCron(state) {
    var summary = document.getElementById("cron-summary");
    var next = document.getElementById("cron-next");
    if (state.found) {
      summary.textContent = "CronScheduler" + (state.scheduler ? " " + state.scheduler + " (pid " + state.pid + ")" : "") +
        ": tick every " +
        state.interval + " s on default" + (state.running ? "" : ", but it has not been heard from lately");
    } else {
      summary.textContent = "No cron scheduler is running (serve starts one).";
    }
    if (state.next_at) { next.dataset.at = state.next_at; next.dataset.due = "now"; }
    else { delete next.dataset.at; next.textContent = "?"; }
    var list = OMQ.clear(document.getElementById("ticks"));
    state.ticks.forEach(function (tick) {
      var when = tick.enqueued_at ? new Date(tick.enqueued_at * 1000).toLocaleTimeString() : "?";
      list.appendChild(h("li", { class: "job", "data-status": tick.status },
        h("div", { class: "top" }, h("span", { class: "label", text: "tick enqueued at " + when }),
          h("span", { class: "status", text: STATUS[tick.status] || tick.status }))));
    });
  }

  var pending = null;
  function loadCron() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      OMQ.get("/demo/schedule/cron").then(function (r) { if (r.ok) showCron(r.data); });
    }, 150);
  }

  OMQ.live({
    connect: function () { jobs.restore("schedule"); loadCron(); },
    event: function (e) {
      jobs.event(e);
      if (e.func === "demo.jobs.tick") loadCron();
    }
  });
  // rq's cron enqueues with plain RQ, but the workers running the tick write
  // its events (and reconciliation reports jobs of plain workers): no polling.
  loadCron();
})();
