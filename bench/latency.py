"""Push latency: from a job's transition to every viewer, and how stale a poller is.

Starts its own redis-server, ``python -m demo serve`` with its workers, N
Socket.IO viewers (in a few processes, each doing what the page does: hello,
chained deltas, hello again on a gap) and rq-dashboard against the same
Redis. Then enqueues M no-op jobs at ``--rate`` per second.

For every transition (enqueued, started, finished, and any other event) each
viewer records ``receipt time - ts``, where ``ts`` is the worker's (or the
enqueuer's) clock when it wrote the transition; all processes share one
clock. ``missed`` counts (viewer, event) pairs never received, from the
stream's sequence numbers. The peer: one rq-dashboard page polling its
queues JSON at its default 2500 ms; a finished transition is visible there
at the first response whose finished count includes it.

``speedup`` compares the same transitions (finished) on both sides:
rq-dashboard's median staleness over ours.

    python bench/latency.py                       # 200 viewers, 200 jobs
    python bench/latency.py --clients 1000 --jobs 500

Last line: clients=N jobs=M p50_ms=… p99_ms=… max_ms=… missed=… rq_dashboard_p50_ms=… speedup=…
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import (bench_main, RqDashboard, RqDashboardPoller, Redis, Serve, ViewerGroup,
                    histogram_percentiles, machine_cpu_seconds, percentile, redis_cpu_seconds, tree_cpu_seconds,
                    wait_until, workdir)

from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="Socket.IO viewers (default 200)")
    parser.add_argument("--jobs", type=int, default=200, help="no-op jobs to run (default 200)")
    parser.add_argument("--rate", type=float, default=50.0, help="jobs enqueued per second (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="serve's forking workers (default 2)")
    parser.add_argument("--per-process", type=int, default=125, help="viewers per client process (default 125)")
    args = parser.parse_args()
    if not (1 <= args.clients <= 5000 and 1 <= args.jobs <= 20000 and 0 < args.rate <= 1000
            and 1 <= args.workers <= 8):
        parser.error("keep --clients 1..5000, --jobs 1..20000, --rate 0..1000, --workers 1..8")
    return args


def _finished_count(poll_payload, queue):
    for row in poll_payload.get("queues", []):
        if row["name"] == queue:
            return row["finished_job_registry_count"]
    return 0


def _peer_staleness(polls, finished_events, queue, baseline):
    """Seconds from each finished transition to the first poll that shows it."""
    stale = []
    for k, event in enumerate(finished_events, start=1):
        shown = next((t for t, payload in polls if t >= event["ts"]
                      and _finished_count(payload, queue) - baseline >= k), None)
        if shown is not None:
            stale.append(shown - event["ts"])
    return stale


def run(args):
    queue = "default"
    with workdir("latency") as tmp, Redis(tmp) as redis:
        with Serve(redis.url, Path(tmp) / "serve", workers=args.workers) as server, \
                RqDashboard(redis.url, tmp) as peer:
            viewers = ViewerGroup(server.base, args.clients, per_process=args.per_process)
            poller = RqDashboardPoller(peer.base + "/0/data/queues.json")
            try:
                started = time.monotonic()
                viewers.wait_ready(timeout=180)
                print(f"{args.clients} viewers connected in {time.monotonic() - started:.1f} s", flush=True)
                poller.start()
                wait_until(lambda: poller.seen, 15, "the first rq-dashboard poll")
                baseline = _finished_count(poller.seen[-1][1], queue)
                start_id = events.last_id(redis.client)
                before = redis.client.zcard(f"rq:finished:{queue}")
                cpu = _cpu_now(server, viewers, redis)

                began = time.monotonic()
                for n in range(args.jobs):
                    enqueue(redis.client, jobs.noop, queue=queue)
                    pause = began + (n + 1) / args.rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                wait_until(lambda: redis.client.zcard(f"rq:finished:{queue}") - before >= args.jobs,
                           60 + args.jobs / 10, f"{args.jobs} jobs to finish")
                drained = time.monotonic() - began
                cpu = {k: v - cpu[k] for k, v in _cpu_now(server, viewers, redis).items()}
                cpu["seconds"] = drained
                time.sleep(3.5)  # the last deltas, and one more rq-dashboard poll
                poller.stop()
                figures = viewers.finish()
            finally:
                poller.stop()
                viewers.stop()

        stream = events.since(redis.client, start_id, limit=10 ** 6) or []
    return _report(args, figures, stream, poller.seen, baseline, drained, cpu)


def _cpu_now(server, viewers, redis):
    return {"server": server.cpu_seconds(), "deployment": tree_cpu_seconds(server.pid),
            "viewers": viewers.cpu_seconds(),
            "redis": redis_cpu_seconds(redis.client), "machine": machine_cpu_seconds()}


def _report(args, figures, stream, polls, baseline, drained, cpu):
    expected = [e["id"] for e in stream]
    missed = sum(figures["clients"] - figures["ids"].get(i, 0) for i in expected)
    p50, p99, pmax = histogram_percentiles(figures["latency"], [0.5, 0.99, 1.0])
    fin50, fin99 = histogram_percentiles(figures["finished_latency"], [0.5, 0.99])
    finished = [e for e in stream if e["type"] == "finished"]
    stale = sorted(s * 1000 for s in _peer_staleness(polls, finished, "default", baseline))
    peer50 = percentile(stale, 0.5)
    peer_max = stale[-1] if stale else float("nan")
    print(f"jobs drained in {drained:.1f} s; {len(expected)} transitions, each to {figures['clients']} viewers "
          f"({sum(figures['latency'].values())} receipts)")
    print(f"ours: p50={p50:.1f} ms p99={p99:.1f} ms max={pmax:.1f} ms; finished only: p50={fin50:.1f} ms "
          f"p99={fin99:.1f} ms; gaps recovered by hello={figures['gaps']} disconnects={figures['disconnects']}")
    print(f"rq-dashboard (queues page, {len(polls)} polls at 2500 ms): finished shown after p50={peer50:.0f} ms "
          f"max={peer_max:.0f} ms; {len(finished) - len(stale)} of {len(finished)} never shown before the end; "
          f"started states it showed: {sum(1 for _, p in polls if any(q['started_job_registry_count'] for q in p['queues']))}"
          f" of {len(polls)} polls")
    workers = cpu["deployment"] - cpu["server"]
    other = cpu["machine"] - cpu["deployment"] - cpu["viewers"] - cpu["redis"]
    print(f"CPU while jobs ran ({cpu['seconds']:.1f} s, 2 cores = {2 * cpu['seconds']:.1f} s): "
          f"serve web process {cpu['server']:.1f} s, viewers {cpu['viewers']:.1f} s, redis {cpu['redis']:.1f} s, "
          f"serve's workers, their work horses and other children {workers:.1f} s, the rest of the machine (not this "
          f"bench) {other:.1f} s; "
          f"load1 {os.getloadavg()[0]:.1f}")
    e50, e99 = histogram_percentiles(figures["to_emit"], [0.5, 0.99])
    d50, d99 = histogram_percentiles(figures["delivery"], [0.5, 0.99])
    print(f"where the time goes: transition -> server emits p50={e50:.1f} p99={e99:.1f} ms (batching to <= 20 "
          f"deltas/s); emit -> viewer p50={d50:.1f} p99={d99:.1f} ms (fan-out, network, viewer)")
    mean_stale = statistics.mean(stale) if stale else float("nan")
    print(f"rq-dashboard mean staleness {mean_stale:.0f} ms")
    speedup = peer50 / fin50 if fin50 > 0 else float("nan")
    print(f"clients={args.clients} jobs={args.jobs} p50_ms={p50:.1f} p99_ms={p99:.1f} max_ms={pmax:.1f} "
          f"missed={missed} rq_dashboard_p50_ms={peer50:.0f} speedup={speedup:.1f}")
    return 0


def main():
    return bench_main("latency", _parse, run)


if __name__ == "__main__":
    sys.exit(main())
