/* Processes vs threads: legs side by side, live workers, scaling (presenter). */
(function () {
  "use strict";
  var h = OMQ.h;
  var WORK = { noop: "jobs that do nothing", sleep: "jobs that sleep 50 ms", cpu: "CPU-bound jobs" };
  var current = null;

  var LETTERS = "ABCD";

  /* A column's label, said the way the speaker says it: "C: 4 forking workers". */
  function legName(leg, index) {
    var n = leg.workers, label;
    if (leg.kind === "threads") label = n + (n === 1 ? " thread" : " threads") + " in one process";
    else if (n === 1) label = "one " + (leg.kind === "fork" ? "forking" : "simple") + " worker";
    else label = n + (leg.kind === "fork" ? " forking" : " simple") + " workers";
    return (index != null ? LETTERS[index] + ": " : "") + label;
  }

  function liveRate(leg) {
    return leg.elapsed ? leg.done / leg.elapsed : null;
  }

  function showRun(run) {
    current = run;
    var title = document.getElementById("run-title");
    title.textContent = run.batch + " " + WORK[run.work] + " · " + run.state +
      (run.error ? " (" + run.error + ")" : "");
    var results = OMQ.clear(document.getElementById("results"));
    var best = Math.max.apply(null, run.legs.map(function (l) { return l.jobs_per_second || liveRate(l) || 0; }).concat([1]));
    run.legs.forEach(function (leg, index) {
      var measured = leg.jobs_per_second;
      var rate = measured != null ? measured : liveRate(leg);
      var bar = h("span");
      bar.style.width = Math.round(100 * (rate || 0) / best) + "%";
      var facts = leg.state === "done"
        ? leg.finished + " jobs in " + OMQ.seconds(leg.seconds) + " · " + leg.processes +
          (leg.processes === 1 ? " process" : " processes") + " ran them" +
          (leg.memory_mb ? " · workers' memory " + Math.round(leg.memory_mb) + " MB" : "") +
          (leg.failed ? " · " + leg.failed + " failed" : "")
        : leg.state + (leg.done ? " · " + leg.done + " of " + run.batch + " done" : "");
      results.appendChild(h("div", { class: "leg", "data-kind": leg.kind, "data-state": leg.state },
        h("div", { class: "label", text: legName(leg, index) }),
        h("div", { class: "rate" }, rate != null ? rate.toFixed(rate < 10 ? 1 : 0) : "–",
          h("small", { text: measured != null ? " jobs/s" : (rate != null ? " jobs/s so far" : "") })),
        h("div", { class: "rbar" }, bar),
        h("div", { class: "detail muted", text: facts }),
        leg.state === "done" ? h("details", { class: "detail muted" }, h("summary", { text: "details" }),
          h("span", { text: leg.workers_used + " of " + leg.workers + (leg.kind === "threads" ? " threads" : " workers") +
            " took jobs · pids " + (leg.pids || []).slice(0, 6).join(", ") + (leg.processes > 6 ? ", …" : "") })) : null));
    });
  }

  function showHistory(runs) {
    var list = OMQ.clear(document.getElementById("history"));
    runs.forEach(function (run) {
      var text = run.legs.map(function (l, i) {
        return legName(l, i) + ": " + (l.jobs_per_second != null ? l.jobs_per_second + " jobs/s" : l.state);
      }).join(" · ");
      list.appendChild(h("li", { class: "job", "data-status": run.state === "done" ? "finished" : "failed" },
        h("div", { class: "top" }, h("span", { class: "label", text: run.batch + " " + WORK[run.work] }),
          h("span", { class: "status", text: new Date(run.started * 1000).toLocaleTimeString() })),
        h("div", { class: "detail", text: text + (run.error ? " · " + run.error : "") })));
    });
  }

  function showWorkers(workers) {
    document.getElementById("worker-count").textContent = workers.length + " (" +
      workers.filter(function (w) { return w.state === "busy"; }).length + " busy)";
    var body = OMQ.clear(document.getElementById("workers"));
    workers.forEach(function (w) {
      body.appendChild(h("tr", { "data-worker": w.name },
        h("td", { text: w.name }), h("td", { text: w.pid }), h("td", { text: w.state }),
        h("td", { text: w.horse_pid || "" }), h("td", { text: w.done })));
    });
  }

  function load() {
    return OMQ.get("/demo/workers/runs").then(function (r) {
      if (!r.ok) return;
      showWorkers(r.data.workers);
      showHistory(r.data.runs);
      var run = r.data.current || r.data.runs[0];
      if (run) showRun(run);
      var count = document.getElementById("scale-count");
      if (count && r.data.wanted.fork != null) count.value = r.data.wanted.fork;
    });
  }

  // -- presenter controls --------------------------------------------------------------

  var form = document.getElementById("run-form");
  if (form) {
    var message = document.getElementById("message");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      OMQ.say(message, "");
      var legs = Array.prototype.map.call(document.querySelectorAll("[data-leg]"), function (el) {
        return { kind: el.querySelector("[data-kind]").value, workers: parseInt(el.querySelector("[data-workers]").value, 10) };
      });
      var batch = parseInt(document.getElementById("batch").value, 10);
      OMQ.post("/demo/workers/runs", { batch: batch, work: document.getElementById("work").value, legs: legs })
        .then(function (r) {
          if (!r.ok) return OMQ.say(message, r.data.error);
          showRun(r.data.run);
        });
    });
  }
  var scale = document.getElementById("scale-form");
  if (scale) {
    scale.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { kind: document.getElementById("scale-kind").value,
                   count: parseInt(document.getElementById("scale-count").value, 10) };
      OMQ.post("/api/workers", body).then(function (r) {
        OMQ.say(document.getElementById("scale-message"), r.ok
          ? "serve will keep " + body.count + " " + body.kind + " workers"
          : r.data.error, "info");
      });
    });
  }

  OMQ.live({
    connect: load,
    workers: showWorkers,
    demo: function (p) {
      if (p.demo !== "workers" || !p.run) return;
      showRun(p.run);
      if (p.run.state === "done" || p.run.state === "failed") load();
    }
  });
})();
