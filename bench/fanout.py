"""Where a push's time goes in the web tier alone: one send, one receipt, one poll.

``latency.py`` runs real jobs, so on a 2-core machine its figures mix the
web process with the forking workers (a fork per job) and whatever else the
machine runs. This bench takes the workers out: a feeder writes the events
three workers' jobs would write (enqueued, started, finished, at ``--rate``
jobs per second) straight to the event stream, and N viewers (the light
clients of common.py, speaking Engine.IO/Socket.IO framing on raw
websockets) receive them through the real ``python -m demo serve``. The
events name a queue no dashboard lane shows, so the watcher's work per event
is its read, its batching and its fan-out, nothing else.

Per unit of work, from /proc and Redis's INFO cpu:

- ``serve_us_per_send``: the web process's CPU per Socket.IO message sent to
  one viewer (the watcher's reads and the encoding once per delta included);
- ``viewer_us_per_receipt``: the measuring clients' CPU per message received
  (what the bench itself costs the machine);
- the peer: rq-dashboard answering the same N viewers' polls of its queues
  page, its CPU per poll answered (``rq_dashboard_us_per_poll``): the price
  of one viewer's update there.

Latency is split as in latency.py: event written -> server emits, and
emit -> viewer.

    python bench/fanout.py                        # 1000 viewers, 50 jobs/s, 10 s
    python bench/fanout.py --clients 200 --seconds 20

Last line: clients=N events=M sends=S serve_us_per_send=… viewer_us_per_receipt=… to_emit_p99_ms=…
delivery_p99_ms=… p99_ms=… missed=… rq_dashboard_us_per_poll=… load1=…
"""

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

from common import (RQ_DASHBOARD_POLL, bench_main, RqDashboard, Redis, Serve, ViewerGroup, cpu_seconds,
                    histogram_percentiles, machine_cpu_seconds, redis_cpu_seconds, workdir)
from viewers import Pollers

from demo.live import events

#: A queue no dashboard shows: the watcher batches and fans out its events, nothing else.
QUEUE = "fanout-bench"


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="viewers (default 1000)")
    parser.add_argument("--rate", type=float, default=50.0, help="jobs per second, 3 events each (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the feed (default 10)")
    parser.add_argument("--per-process", type=int, default=125, help="viewers per client process (default 125)")
    args = parser.parse_args()
    if not (1 <= args.clients <= 5000 and 0 < args.rate <= 1000 and 2 <= args.seconds <= 300):
        parser.error("keep --clients 1..5000, --rate 0..1000, --seconds 2..300")
    return args


class Feeder(threading.Thread):
    """Writes enqueued, started, finished for one job every 1/rate seconds, as workers would."""

    def __init__(self, connection, rate, seconds):
        super().__init__(daemon=True)
        self.connection, self.rate, self.seconds = connection, rate, seconds
        self.jobs = 0

    def run(self):
        began = time.monotonic()
        while time.monotonic() - began < self.seconds:
            job = {"job": uuid.uuid4().hex, "func": "demo.jobs.noop", "queue": QUEUE, "nick": ""}
            for kind in ("enqueued", "started", "finished"):
                events.publish(self.connection, kind, job, worker="bench" if kind != "enqueued" else None)
            self.jobs += 1
            pause = began + self.jobs / self.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)


def run(args):
    load = [os.getloadavg()[0]]
    with workdir("fanout") as tmp, Redis(tmp) as redis:
        with Serve(redis.url, Path(tmp) / "serve", workers=0) as server:
            viewers = ViewerGroup(server.base, args.clients, per_process=args.per_process)
            try:
                viewers.wait_ready(timeout=180)
                time.sleep(1)
                start_id = events.last_id(redis.client)
                viewers.mark()  # count the sends of the feed, not those of the connections
                before, began = _cpu(server, viewers, redis), time.monotonic()
                feeder = Feeder(redis.client, args.rate, args.seconds)
                print(f"{args.clients} viewers connected; feeding {args.rate:g} jobs/s for {args.seconds:g} s "
                      f"(serve pid {server.pid})", flush=True)
                feeder.start()
                feeder.join()
                time.sleep(3.5)  # the last deltas, as latency.py waits
                spent = {k: v - before[k] for k, v in _cpu(server, viewers, redis).items()}
                window = time.monotonic() - began
                load.append(os.getloadavg()[0])
                figures = viewers.finish()
            finally:
                viewers.stop()
        stream = events.since(redis.client, start_id, limit=10 ** 6) or []

        with RqDashboard(redis.url, tmp) as peer:
            pollers = Pollers(peer.base + "/0/data/queues.json", args.clients)
            pollers.start()
            try:
                time.sleep(RQ_DASHBOARD_POLL + 1)  # every page has opened
                polls0, peer0 = pollers.requests, cpu_seconds(peer.pid)
                time.sleep(args.seconds)
                peer_cpu, polls = cpu_seconds(peer.pid) - peer0, pollers.requests - polls0
            finally:
                pollers.stop()
        load.append(os.getloadavg()[0])

    expected = [e["id"] for e in stream]
    missed = sum(figures["clients"] - figures["ids"].get(i, 0) for i in expected)
    sends = figures["messages"]
    p50, p99 = histogram_percentiles(figures["latency"], [0.5, 0.99])
    e50, e99 = histogram_percentiles(figures["to_emit"], [0.5, 0.99])
    d50, d99 = histogram_percentiles(figures["delivery"], [0.5, 0.99])
    deltas = sends / max(1, figures["clients"])
    serve_us = spent["server"] / max(1, sends) * 1e6
    viewer_us = spent["viewers"] / max(1, sends) * 1e6
    peer_us = peer_cpu / max(1, polls) * 1e6
    machine = spent["machine"]
    print(f"{len(expected)} events ({feeder.jobs} jobs) in {args.seconds:.0f} s, ~{deltas:.0f} deltas to each of "
          f"{figures['clients']} viewers = {sends} sends; gaps={figures['gaps']} disconnects={figures['disconnects']}")
    print(f"CPU during the feed and its last deltas ({machine:.1f} s busy of {2 * window:.0f} s on 2 cores): serve "
          f"{spent['server']:.2f} s, viewers {spent['viewers']:.2f} s, redis {spent['redis']:.2f} s, rest of the "
          f"machine {machine - spent['server'] - spent['viewers'] - spent['redis']:.2f} s; "
          f"load1 {load[0]:.1f} -> {load[1]:.1f}")
    print(f"latency p50={p50:.1f} p99={p99:.1f} ms: event -> emit p50={e50:.1f} p99={e99:.1f} ms, "
          f"emit -> viewer p50={d50:.1f} p99={d99:.1f} ms")
    print(f"per delta to {figures['clients']} viewers: serve {serve_us * figures['clients'] / 1000:.1f} ms CPU, "
          f"viewers {viewer_us * figures['clients'] / 1000:.1f} ms CPU; rq-dashboard: {polls} polls answered in "
          f"{args.seconds:.0f} s for {peer_cpu:.2f} s CPU")
    print(f"clients={args.clients} events={len(expected)} sends={sends} serve_us_per_send={serve_us:.1f} "
          f"viewer_us_per_receipt={viewer_us:.1f} to_emit_p99_ms={e99:.1f} delivery_p99_ms={d99:.1f} "
          f"p99_ms={p99:.1f} missed={missed} rq_dashboard_us_per_poll={peer_us:.0f} load1={max(load):.1f}")
    return 0


def _cpu(server, viewers, redis):
    return {"server": server.cpu_seconds(), "viewers": viewers.cpu_seconds(),
            "redis": redis_cpu_seconds(redis.client), "machine": machine_cpu_seconds()}


def main():
    return bench_main("fanout", _parse, run)


if __name__ == "__main__":
    sys.exit(main())
