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

  /* The chart takes its colours and type from the theme (static/charts.js); a
   * theme change rebuilds it. Its legend is the big numbers above it. */
  function makeChart() {
    var el = document.getElementById("chart");
    if (typeof uPlot !== "function") {
      el.textContent = "chart library missing (run npm ci)";
      return null;
    }
    var theme = OMQCharts.style(el);
    var dots = function (name) {
      var color = theme.color(name);
      return { stroke: color, fill: color, paths: function () { return null; },
               points: { show: true, size: Math.round(theme.px * 0.6), space: 0, fill: color } };
    };
    return new uPlot({
      width: Math.max(260, el.clientWidth), height: chartHeight(),
      legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(timeout * 1.1, max || 1)]; } } },
      axes: [OMQCharts.timeAxis(el, OMQ.now),
             OMQCharts.axis(el, { label: "seconds", incrs: OMQCharts.integers })],
      series: [{}, Object.assign({ label: "inline" }, dots("--st-failed")),
               Object.assign({ label: "inline, timed out" }, dots("--warn")),
               Object.assign({ label: "background" }, dots("--st-finished"))]
    }, series(), el);
  }

  function chartHeight() {  // inside a slide the chart fills what its panel leaves
    var box = document.getElementById("chart").parentNode;
    return Math.max(160, document.documentElement.classList.contains("embed") ? box.clientHeight : 260);
  }

  function fit() {
    if (chart) chart.setSize({ width: Math.max(260, document.getElementById("chart").clientWidth), height: chartHeight() });
  }

  function rebuild() {
    if (chart) chart.destroy();
    OMQ.clear(document.getElementById("chart"));
    chart = makeChart();
  }

  function median(values) {
    if (!values.length) return null;
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.floor(sorted.length / 2)];
  }

  function update() {
    if (chart) chart.setData(series());
    document.getElementById("chart-empty").hidden = samples.length > 0;
    document.getElementById("stats").hidden = !samples.length;  // no "median: ?" before the first answer
    var recent = samples.slice(-40);
    var of = function (path, ok) {
      return recent.filter(function (s) { return s.path === path && (ok == null || s.ok === ok); })
                   .map(function (s) { return s.ms / 1000; });
    };
    var stats = OMQ.clear(document.getElementById("stats"));
    var show = function (kind, label, value) {
      stats.appendChild(h("div", { class: "stat " + kind }, h("b", { text: value }), h("span", { text: label })));
    };
    var inlineMedian = median(of("inline", true)), backgroundMedian = median(of("background"));
    show("inline", "inline, median", inlineMedian == null ? "–" : OMQ.seconds(inlineMedian));
    show("background", "background, median", backgroundMedian == null ? "–" : OMQ.seconds(backgroundMedian));
    show("late", "timed out", String(of("inline", false).length));
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
  update();
  if (window.ResizeObserver) new ResizeObserver(fit).observe(document.getElementById("chart").parentNode);
  else window.addEventListener("resize", fit);
  OMQCharts.onTheme(rebuild);
  OMQ.live({
    connect: function () { return Promise.all([load(), jobs.restore("blocking")]); },
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
