/* Blocking vs background: two buttons, the inline pool, a live chart. */
(function () {
  "use strict";
  var h = OMQ.h;
  var root = OMQ.root;
  var timeout = parseFloat(root.dataset.timeout);
  var workers = {};   // gunicorn's workers by pid: {state, info}
  var inflight = 0;   // requests the proxy sent to gunicorn and has not heard back from
  var lineTimer = null;
  var message = document.getElementById("message");
  var mine = document.getElementById("mine");
  var seconds = document.getElementById("seconds");
  var samples = [];
  var chart = null;

  var jobs = new OMQ.JobList(mine, {
    max: 20,
    result: function (job, detail, box) {
      var ready = detail.ended_at && job.clickedAt ? detail.ended_at - job.clickedAt : null;
      box.textContent = (detail.result.summary || "done") +
        (ready != null ? " · result pushed " + OMQ.seconds(ready) + " after the click" : "");
    }
  });

  // -- gunicorn's workers and its backlog -------------------------------------------

  function showWorkers() {
    var slots = OMQ.clear(document.getElementById("slots"));
    var pids = Object.keys(workers).sort();
    pids.forEach(function (pid) {
      var w = workers[pid];
      slots.appendChild(h("span", { class: "slot-box" },
        h("span", { class: "slot " + w.state, title: "worker pid " + pid + ": " + (w.state === "busy" ? w.info : w.state) }),
        h("small", { class: "muted", text: String(pid) })));
    });
    // A request is "waiting" once the proxy sent it and no worker has it yet; the two
    // facts arrive by different paths, so the count settles for a moment before it shows.
    clearTimeout(lineTimer);
    lineTimer = setTimeout(function () {
      var busy = pids.filter(function (pid) { return workers[pid].state === "busy"; }).length;
      document.getElementById("line").textContent = Math.max(0, inflight - busy) + " waiting in the backlog";
    }, 150);
  }

  function showPool(pool) {
    workers = {};
    (pool.workers || []).forEach(function (w) { workers[w.pid] = { state: w.state, info: w.info }; });
    inflight = pool.inflight || 0;
    showWorkers();
  }

  function webEvent(e) {
    if (e.state === "start") { workers = {}; }
    else if (e.state === "exit") { delete workers[e.pid]; }
    else { workers[e.pid] = { state: e.state, info: e.info || "" }; }
    if (e.state === "timeout") {
      OMQ.say(document.getElementById("gunicorn-log"), "gunicorn: " + e.info +
        ". It killed the worker; a new one takes its place.", "info");
    }
    showWorkers();
  }

  // -- the chart ------------------------------------------------------------------

  function series() {
    var xs = [], inline = [], late = [], background = [];
    samples.forEach(function (s) {
      xs.push(s.ts);
      var value = s.ms / 1000;
      inline.push(s.path === "inline" && s.ok ? value : null);
      late.push(s.path === "inline" && !s.ok ? value : null);
      background.push(s.path === "background" ? value : null);
    });
    return [xs, inline, late, background];
  }

  function makeChart() {
    var el = document.getElementById("chart");
    if (typeof uPlot !== "function") {
      el.textContent = "chart library missing (run npm ci)";
      return null;
    }
    var dots = function (color) {
      return { stroke: color, fill: color, paths: function () { return null; }, points: { show: true, size: 9, space: 0, fill: color } };
    };
    return new uPlot({
      width: Math.max(260, el.clientWidth), height: 240,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(timeout * 1.1, max || 1)]; } } },
      axes: [{ stroke: "#8e99b3", grid: { stroke: "#2a3350" } },
             { stroke: "#8e99b3", grid: { stroke: "#2a3350" }, label: "seconds", size: 50 }],
      series: [{}, Object.assign({ label: "inline" }, dots("#e0493a")),
               Object.assign({ label: "inline, timed out" }, dots("#e6a23c")),
               Object.assign({ label: "background" }, dots("#2fb36d"))]
    }, series(), el);
  }

  function median(values) {
    if (!values.length) return null;
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.floor(sorted.length / 2)];
  }

  function update() {
    if (chart) chart.setData(series());
    var recent = samples.slice(-40);
    var of = function (path, ok) {
      return recent.filter(function (s) { return s.path === path && (ok == null || s.ok === ok); })
                   .map(function (s) { return s.ms / 1000; });
    };
    var stats = OMQ.clear(document.getElementById("stats"));
    var show = function (label, value) { stats.appendChild(h("span", {}, label + " ", h("b", { text: value }))); };
    show("inline, median:", OMQ.seconds(median(of("inline", true))));
    show("background, median:", OMQ.seconds(median(of("background"))));
    show("timeouts:", String(of("inline", false).length));
  }

  function addSample(sample) {
    samples.push(sample);
    if (samples.length > 300) samples.shift();
    update();
  }

  // -- the buttons ------------------------------------------------------------------

  function ask() {
    var value = parseFloat(seconds.value);
    return isFinite(value) ? value : seconds.value;
  }

  function inline() {
    var entry = h("li", { class: "job", "data-status": "started" },
      h("div", { class: "top" }, h("span", { class: "label", text: "inline, " + seconds.value + " s task" }),
        h("span", { class: "status", text: "waiting for the answer" })));
    var detail = h("div", { class: "detail", text: "the page waits…" });
    entry.appendChild(detail);
    var startedAt = performance.now();
    var clock = setInterval(function () {
      detail.textContent = "the page waits… " + OMQ.seconds((performance.now() - startedAt) / 1000);
    }, 100);
    mine.insertBefore(entry, mine.firstChild);
    OMQ.say(message, "");
    OMQ.post("/demo/blocking/inline", { seconds: ask() }).then(function (r) {
      clearInterval(clock);
      var waited = r.data.sample && r.data.sample.waited_ms ? r.data.sample.waited_ms / 1000 : 0;
      entry.dataset.status = r.ok ? "finished" : "failed";
      entry.querySelector(".status").textContent = r.ok ? "answered" : "error " + r.status;
      detail.textContent = r.ok
        ? "answered after " + OMQ.seconds(r.ms / 1000) + (waited > 0.25 ? " (" + OMQ.seconds(waited) + " of it waiting for a free worker)" : "")
        : r.data.error || "failed";
      if (!r.ok) OMQ.say(message, r.data.error);
    });
  }

  function background() {
    var clickedAt = OMQ.now();
    OMQ.say(message, "");
    OMQ.post("/demo/blocking/background", { seconds: ask() }).then(function (r) {
      if (!r.ok) return OMQ.say(message, r.data.error);
      jobs.add(r.data.job, "background, answered in " + Math.round(r.ms) + " ms", { clickedAt: clickedAt });
    });
  }

  document.getElementById("run-inline").addEventListener("click", inline);
  document.getElementById("run-background").addEventListener("click", background);

  // -- live --------------------------------------------------------------------------

  function load() {
    return OMQ.get("/demo/blocking/samples").then(function (r) {
      if (!r.ok) return;
      samples = r.data.samples;
      showPool(r.data.pool);
      update();
    });
  }

  chart = makeChart();
  window.addEventListener("resize", function () {
    if (chart) chart.setSize({ width: Math.max(260, document.getElementById("chart").clientWidth), height: 240 });
  });
  OMQ.live({
    connect: function () { load(); jobs.restore("blocking"); },
    event: function (e) {
      if (e.type === "web") webEvent(e);
      else jobs.event(e);
    },
    demo: function (p) {
      if (p.demo !== "blocking") return;
      if (p.pool) showPool(p.pool);
      if (p.sample) addSample(p.sample);
    }
  });
})();
