"""Processes vs threads: the same batch on different workers, measured live.

The presenter starts a run (see ``bench``): each leg runs the batch on its
own workers (forking, simple, several at once, or threads in one process)
and reports jobs per second from the jobs' real timestamps. The page also lists the live
workers with their work-horse pids, and lets the presenter scale the
supervised workers (``POST /api/workers``, followed by ``serve``).
"""

import json

from flask import current_app, jsonify

from .. import jobs, keys
from ..live import state
from ..db import get_redis
from ..extensions import socketio
from ..talk.presenter import presenter_required
from . import bench, bp
from .common import Refused, json_body, page, push, setting, whole

#: Most legs in one run, most worker processes in one leg, most threads in one.
MAX_LEGS, MAX_LEG_WORKERS, MAX_LEG_THREADS = 4, 8, 32

#: What the page proposes, one column each: the fork per job, no fork, more
#: processes, and Sidekiq's model (threads sharing one process).
DEFAULT_LEGS = ({"kind": "fork", "workers": 1}, {"kind": "simple", "workers": 1},
                {"kind": "fork", "workers": 4}, {"kind": "threads", "workers": 16})

#: What each kind of leg is, for its column's label.
KINDS = {"fork": "forking", "simple": "simple", "threads": "threads"}


def legs_of(data):
    """The run's legs: 1 to 4 of ``{kind: fork|simple|threads, workers: N}``; 400 otherwise."""
    legs = data.get("legs", DEFAULT_LEGS)
    if not isinstance(legs, (list, tuple)) or not 1 <= len(legs) <= MAX_LEGS:
        raise Refused(400, f"legs must be a list of 1 to {MAX_LEGS} {{kind, workers}}")
    checked = []
    for leg in legs:
        if not isinstance(leg, dict) or leg.get("kind") not in KINDS:
            raise Refused(400, "each leg's kind is 'fork', 'simple' or 'threads'")
        most = MAX_LEG_THREADS if leg["kind"] == "threads" else MAX_LEG_WORKERS
        checked.append({"kind": leg["kind"], "workers": whole(leg, "workers", 1, most)})
    return checked


@bp.get("/workers")
def workers():
    """The processes-vs-threads page: runs side by side, live workers, scaling."""
    return page("demos/workers.html", legs=DEFAULT_LEGS, work=jobs.BENCH_WORK, kinds=KINDS,
                max_batch=setting("DEMO_BENCH_MAX"), max_workers=MAX_LEG_WORKERS, max_threads=MAX_LEG_THREADS)


@bp.get("/workers/runs")
def workers_runs():
    """Recent runs (newest first), the live workers and the wanted worker counts."""
    connection = get_redis()
    runs = [json.loads(raw) for raw in connection.lrange(keys.BENCH_RUNS, 0, keys.BENCH_RUNS_MAX - 1)]
    wanted = {k.decode(): int(v) for k, v in connection.hgetall(keys.WORKERS_WANTED).items()}
    current = current_app.extensions.get("omq.demos.run")
    return jsonify(runs=runs, current=current.as_dict() if current and not current.ended else None,
                   workers=state.read_workers(connection), wanted=wanted)


@bp.post("/workers/runs")
@presenter_required
def workers_run():
    """Presenter: start a run of ``batch`` jobs of ``work`` over ``legs`` (202)."""
    data = json_body()
    batch = whole(data, "batch", 1, setting("DEMO_BENCH_MAX"))
    work = data.get("work", "noop")
    if work not in jobs.BENCH_WORK:
        raise Refused(400, f"work is one of {', '.join(jobs.BENCH_WORK)}")
    run = bench.Run(current_app.config["REDIS_URL"], batch, work, legs_of(data),
                    f"{current_app.instance_path}/logs", push=lambda r: push("workers", run=r))
    try:
        run.claim()
    except bench.BenchBusy:
        raise Refused(409, "a run is already going: wait for it to finish") from None
    current_app.extensions["omq.demos.run"] = run
    socketio.start_background_task(run.execute)
    return jsonify(run=run.as_dict()), 202
