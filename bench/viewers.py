"""Server CPU to keep N viewers current: our push vs N rq-dashboard pollers.

One redis-server, two of our forking workers and a feeder enqueueing no-op
jobs at ``--rate`` per second run throughout, so there is always something
to show. Three phases of ``--seconds`` each, measured with /proc and Redis's
own INFO cpu:

1. baseline: no dashboard at all (Redis CPU of the workers and the feeder);
2. ours: ``python -m demo serve`` (web process only, no workers of its own)
   with N Socket.IO viewers that do what the page does;
3. peer: rq-dashboard with N pollers, each fetching its page's JSON and
   waiting its default 2500 ms after every response, as its pages do.

A side's cost is its server process's CPU plus the Redis CPU above the
baseline, per minute. ``ratio`` = rq-dashboard's cost / ours.

    python bench/viewers.py                    # 200 viewers, 20 s a phase
    python bench/viewers.py --clients 1000 --peer-page jobs

Last line: clients=N ours_cpu_s=… rq_dashboard_cpu_s=… ratio=…
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import (PYTHON, RQ_DASHBOARD_POLL, ROOT, bench_main, RqDashboard, Redis, Serve, ViewerGroup, _stop,
                    cpu_seconds, redis_cpu_seconds, wait_until, workdir)

from demo import jobs
from demo.live.enqueue import enqueue

#: The JSON each rq-dashboard page polls (its templates/rq_dashboard/scripts/*.js).
PEER_PAGES = {
    "queues": "/0/data/queues.json",
    "jobs": "/0/data/jobs/default/finished/8/asc/1.json",
    "workers": "/0/data/workers.json",
}


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="viewers on each side (default 200)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    parser.add_argument("--rate", type=float, default=5.0, help="jobs enqueued per second (default 5)")
    parser.add_argument("--peer-page", choices=sorted(PEER_PAGES), default="queues",
                        help="rq-dashboard page the pollers keep open (default queues, its front page)")
    args = parser.parse_args()
    if not (1 <= args.clients <= 5000 and 5 <= args.seconds <= 600 and 0 < args.rate <= 100):
        parser.error("keep --clients 1..5000, --seconds 5..600, --rate 0..100")
    return args


class Feeder(threading.Thread):
    """Enqueues a no-op job every 1/rate seconds until stopped."""

    def __init__(self, connection, rate):
        super().__init__(daemon=True)
        self.connection, self.rate = connection, rate
        self.stopping = threading.Event()
        self.count = 0

    def run(self):
        while not self.stopping.wait(1 / self.rate):
            enqueue(self.connection, jobs.noop)
            self.count += 1

    def stop(self):
        self.stopping.set()
        self.join(10)


class Pollers(threading.Thread):
    """N rq-dashboard pages in one event loop: fetch, wait 2500 ms after the response, again."""

    def __init__(self, url, count):
        super().__init__(daemon=True)
        self.url, self.count = url, count
        self.requests = self.errors = 0
        self.loop = asyncio.new_event_loop()
        self.done = None

    def run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self):
        import aiohttp

        self.done = asyncio.Event()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await asyncio.gather(*(self._page(session) for _ in range(self.count)))

    async def _page(self, session):
        import aiohttp

        await asyncio.sleep(random.uniform(0, RQ_DASHBOARD_POLL))  # people open pages at different times
        while not self.done.is_set():
            try:
                async with session.get(self.url, timeout=aiohttp.ClientTimeout(total=30)) as response:
                    await response.read()
                    self.requests += 1
            except (aiohttp.ClientError, asyncio.TimeoutError):
                self.errors += 1
            try:
                await asyncio.wait_for(self.done.wait(), RQ_DASHBOARD_POLL)
            except asyncio.TimeoutError:
                pass

    def stop(self):
        if self.done is not None:
            self.loop.call_soon_threadsafe(self.done.set)
        self.join(40)


def _measure(seconds, redis, cpu=lambda: 0.0):
    """CPU seconds of a server (``cpu()`` reads them) and of Redis over ``seconds``."""
    cpu0 = cpu()
    redis0 = redis_cpu_seconds(redis.client)
    time.sleep(seconds)
    return cpu() - cpu0, redis_cpu_seconds(redis.client) - redis0


def run(args):
    per_minute = 60.0 / args.seconds
    with workdir("viewers") as tmp, Redis(tmp) as redis:
        workers = [subprocess.Popen(
            [PYTHON, "-m", "demo", "worker", "--redis-url", redis.url, "--kind", "fork", "--queues", "default"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(2)]
        feeder = Feeder(redis.client, args.rate)
        try:
            wait_until(lambda: len(redis.client.smembers("rq:workers")) >= 2, 30, "two workers")
            feeder.start()
            time.sleep(2)
            _, base_redis = _measure(args.seconds, redis)
            print(f"baseline (workers and feeder only): redis {base_redis:.2f} s in {args.seconds:.0f} s", flush=True)

            with Serve(redis.url, Path(tmp) / "serve", workers=0) as server:
                viewers = ViewerGroup(server.base, args.clients, record=False)
                try:
                    viewers.wait_ready(timeout=180)
                    time.sleep(2)
                    viewers.mark()
                    up = time.monotonic()
                    ours_web, ours_redis = _measure(args.seconds, redis, server.cpu_seconds)
                    received = viewers.finish()
                    up = time.monotonic() - up  # the window the messages were counted in
                finally:
                    viewers.stop()
            ours = (ours_web + max(0.0, ours_redis - base_redis)) * per_minute
            print(f"ours: serve {ours_web:.2f} s, redis {ours_redis:.2f} s (baseline {base_redis:.2f}) "
                  f"-> {ours:.2f} CPU s/min for {args.clients} viewers", flush=True)
            rates = ", ".join(f"{name} {n / args.clients / up:.1f}" for name, n in received["kinds"].most_common())
            sent = received["messages"] * args.seconds / up  # in the CPU window
            print(f"ours, where it goes: messages per viewer per second: {rates}; serve {ours_web / max(1, sent) * 1e6:.0f}"
                  f" us CPU per message sent; load1 {os.getloadavg()[0]:.1f}", flush=True)

            with RqDashboard(redis.url, tmp) as peer:
                pollers = Pollers(peer.base + PEER_PAGES[args.peer_page], args.clients)
                pollers.start()
                try:
                    time.sleep(RQ_DASHBOARD_POLL + 1)  # every page has opened
                    before = pollers.requests
                    peer_web, peer_redis = _measure(args.seconds, redis, lambda: cpu_seconds(peer.pid))
                    served = pollers.requests - before
                finally:
                    pollers.stop()
            theirs = (peer_web + max(0.0, peer_redis - base_redis)) * per_minute
            expected = args.clients * args.seconds / RQ_DASHBOARD_POLL
            print(f"rq-dashboard ({args.peer_page} page): server {peer_web:.2f} s, redis {peer_redis:.2f} s -> "
                  f"{theirs:.2f} CPU s/min; {served} polls answered of ~{expected:.0f} due, "
                  f"{pollers.errors} errors", flush=True)
        finally:
            feeder.stop()
            for process in workers:
                _stop(process)
    print(f"{feeder.count} jobs fed at {args.rate:g}/s; ratio = rq-dashboard / ours")
    print(f"clients={args.clients} ours_cpu_s={ours:.2f} rq_dashboard_cpu_s={theirs:.2f} ratio={theirs / ours:.1f}")
    return 0


def main():
    return bench_main("viewers", _parse, run)


if __name__ == "__main__":
    sys.exit(main())
