/* Charts in the design system (static/charts.js): uPlot options whose colours
 * and fonts come from the page's theme variables and text size, so a chart is
 * as legible as the text around it (inside a slide: projection size) and
 * follows a theme change. A classic script: the demo pages and the dashboard
 * (an ES module) both use window.OMQCharts.
 *
 *   OMQCharts.style(el)            -> {px, font, color(name)}: the theme, read at el
 *   OMQCharts.axis(el, options)    -> a uPlot axis: theme colours, ticks at the text
 *                                     size (recorded on el as data-tick-px for tests)
 *   OMQCharts.integers             -> uPlot incrs for counts: 1, 2, 5, 10, ... (no 0.5)
 *   OMQCharts.timeAxis(el, now)    -> an x axis labelled "60 s ago" … "now" (now(): Unix seconds)
 *   OMQCharts.onTheme(fn)          -> call fn after every theme change (rebuild the chart)
 */
(function () {
  "use strict";

  function style(el) {
    var css = getComputedStyle(el);
    var px = parseFloat(css.fontSize) || 16;
    return {
      px: px,
      font: Math.round(px * 0.85) + "px " + (css.getPropertyValue("--font").trim() || "system-ui, sans-serif"),
      color: function (name) { return css.getPropertyValue(name).trim(); }
    };
  }

  function axis(el, options) {
    var s = style(el);
    var tick = Math.ceil(s.px * 0.85);
    el.dataset.tickPx = String(tick);
    return Object.assign({
      stroke: s.color("--muted"), font: s.font, labelFont: s.font, labelSize: tick + 8, gap: 6,
      size: tick * 3, space: tick * 2.5,
      grid: { stroke: s.color("--line"), width: 1 }, ticks: { stroke: s.color("--line"), width: 1, size: 6 },
      border: { show: false }
    }, options || {});
  }

  var integers = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

  /* Labels of a time axis relative to now: what a talk needs ("30 s ago"), never overlapping clock times. */
  function ago(now) {
    return function (u, splits) {
      var end = typeof now === "function" ? now() : now;
      return splits.map(function (t) {
        var back = Math.round(end - t);
        if (back <= 0) return "now";
        return back >= 120 && back % 60 === 0 ? back / 60 + " min ago" : back + " s ago";
      });
    };
  }

  /* A time axis for a talk: "30 s ago" … "now", spaced so the labels never touch. */
  function timeAxis(el, now) {
    return axis(el, { values: ago(now), space: Math.ceil(style(el).px * 5.5) });
  }

  function onTheme(fn) { document.addEventListener("omq:theme", function () { window.requestAnimationFrame(fn); }); }

  window.OMQCharts = { style: style, axis: axis, timeAxis: timeAxis, integers: integers, ago: ago, onTheme: onTheme };
})();
