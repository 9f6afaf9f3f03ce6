"""First render of the dashboard with 100,000 failed jobs, ours vs rq-dashboard's failed list.

Fills a fresh redis-server's failed registry with ``--failed`` copies of a
real failed job, starts ``python -m demo serve`` and rq-dashboard on it, and
opens each in Chromium ``--runs`` times (a fresh browser context each time):

- ours: navigation start to the first frame that shows the exact failed count
  (the page carries its snapshot in its HTML, so the socket opens after);
- rq-dashboard: navigation start to the first frame of its failed-jobs page
  that has its rows.

Both sides are timed alike: a script installed before the page's own checks
the page's text at every animation frame, and the time is when that frame's
rendering began (``performance.now()`` in the ``requestAnimationFrame``
callback; its style, layout and paint follow in the same frame). Nothing in
either page is changed.

``snapshot_ms`` is the server's part alone: ``state.snapshot`` in this
process against the same Redis.

    python bench/render.py
    python bench/render.py --failed 1000000 --runs 3

Last line: failed=N first_render_ms=… snapshot_ms=… rq_dashboard_ms=… ratio=… (medians; then where
ours goes: html_ms the page arrived, modules_ms our scripts began, drawn_ms the state was in the DOM)
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import BenchError, RqDashboard, Redis, Serve, bench_main, workdir

from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.worker import SimpleWorker

from demo import jobs
from demo.live import state
from slidekit.browser import launch

QUEUES = ["default", "high", "low"]


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failed", type=int, default=100_000, help="failed jobs (default 100000)")
    parser.add_argument("--runs", type=int, default=5, help="page loads on each side (default 5)")
    args = parser.parse_args()
    if not (1 <= args.failed <= 2_000_000 and 1 <= args.runs <= 50):
        parser.error("keep --failed 1..2000000 and --runs 1..50")
    return args


def _fill(connection, count):
    template = Queue("default", connection=connection).enqueue(jobs.fail, "template")
    SimpleWorker(["default"], connection=connection).work(burst=True, logging_level="ERROR")
    fields = connection.hgetall(Job.key_for(template.id))
    registry = FailedJobRegistry("default", connection=connection)
    expires = time.time() + 365 * 24 * 3600
    for start in range(0, count, 10_000):
        with connection.pipeline(transaction=False) as pipe:
            for i in range(start, min(count, start + 10_000)):
                pipe.hset(Job.key_for(f"bulk-{i:07d}"), mapping=fields)
                pipe.zadd(registry.key, {f"bulk-{i:07d}": expires + i})
            pipe.execute()
    return count + 1


#: Installed before a page's own scripts: when the first animation frame in which ``shown()`` holds began.
FRAME_WATCH = """(() => {
  const shown = () => { %s };
  const check = () => {
    let yes = false;
    try { yes = shown(); } catch (err) { /* not there yet */ }
    if (yes) window.__shownAt = performance.now(); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""


def _open(browser, url, shown, timeout, what):
    """(page, context) with ``url`` loaded and the frame showing ``shown`` (JS) reached; BenchError if never."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(FRAME_WATCH % shown)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function("window.__shownAt !== undefined", timeout=timeout)
    except PlaywrightTimeout:
        context.close()
        raise BenchError(f"{url} did not show {what} within {timeout / 1000:.0f} s") from None
    return page, context


def _ours(browser, base, total):
    count = '.queue[data-queue="default"] .lane-failed .lane-count'
    page, context = _open(browser, base + "/dashboard",
                          f"return document.querySelector('{count}').textContent === '{total:,}';", 30_000,
                          f"{total:,} failed jobs")
    try:
        return page.evaluate("""() => {
          const at = name => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
          const nav = performance.getEntriesByType('navigation')[0];
          return {total: window.__shownAt, html: nav.responseEnd, scripts: at('omq-start'),
                  connected: at('omq-connected'), snapshot: at('omq-snapshot'), built: at('omq-first-render')};
        }""")
    finally:
        context.close()


def _peer(browser, base):
    page, context = _open(browser, base + "/0/view/jobs/default/failed/8/asc/1",
                          "return document.body.textContent.includes('bulk-0000000');", 60_000, "its failed jobs")
    try:
        return page.evaluate("window.__shownAt")
    finally:
        context.close()


def run(args):
    with workdir("render") as tmp, Redis(tmp) as redis:
        started = time.monotonic()
        total = _fill(redis.client, args.failed)
        print(f"{total:,} failed jobs written in {time.monotonic() - started:.1f} s", flush=True)
        snapshots = []
        for _ in range(args.runs):
            began = time.perf_counter()
            state.snapshot(redis.client, QUEUES, 25)
            snapshots.append((time.perf_counter() - began) * 1000)
        with Serve(redis.url, Path(tmp) / "serve", workers=0) as server, RqDashboard(redis.url, tmp) as peer, \
                sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                _ours(browser, server.base, total)  # warm both servers and the browser's cache alike
                _peer(browser, peer.base)
                timelines, theirs = [], []
                for _ in range(args.runs):
                    timelines.append(_ours(browser, server.base, total))
                    theirs.append(_peer(browser, peer.base))
            finally:
                browser.close()
    ours = [t["total"] for t in timelines]
    steps = {k: _median(t[k] for t in timelines) for k in ("html", "scripts", "connected", "snapshot", "built")}
    print(f"ours, medians since navigation start: page {steps['html']} ms, scripts run {steps['scripts']}, "
          f"snapshot in {steps['snapshot']} (carried in the page), drawn {steps['built']}, in a frame "
          f"{statistics.median(ours):.0f}; socket open {steps['connected']} (not waited for)")
    print("ours (ms): " + ", ".join(f"{v:.0f}" for v in ours))
    print("rq-dashboard failed list (ms): " + ", ".join(f"{v:.0f}" for v in theirs))
    print("snapshot alone (ms): " + ", ".join(f"{v:.1f}" for v in snapshots))
    print(f"failed={args.failed} first_render_ms={statistics.median(ours):.0f} "
          f"snapshot_ms={statistics.median(snapshots):.1f} rq_dashboard_ms={statistics.median(theirs):.0f} "
          f"ratio={statistics.median(ours) / statistics.median(theirs):.2f} html_ms={steps['html']} "
          f"modules_ms={steps['scripts']} drawn_ms={steps['built']}")
    return 0


def _median(values):
    """Median in ms, as text; "later" when the mark came after the first render in most runs."""
    values = list(values)
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.0f}" if len(known) * 2 > len(values) else "later"


def main():
    return bench_main("render", _parse, run)


if __name__ == "__main__":
    sys.exit(main())
