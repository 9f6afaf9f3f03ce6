"""``python -m demo worker``: one of the project's workers in this process."""

import os

from . import child
from ..db import make_client, redact_url
from ..live.worker import WORKER_CLASSES, run_threads


def run_worker(args):
    url = child.redis_url("worker", args.redis_url)
    if url is None:
        return 1
    child.watch_parent(args.parent_pid)
    connection = make_client(url)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    if args.kind == "threads":
        name = args.name or f"omq.threads.{os.getpid()}"
        print(f"workers {name}.1-{args.threads} ({args.threads} threads in pid {os.getpid()}) on {redact_url(url)}, "
              f"queues {', '.join(queues)}", flush=True)
        run_threads(args.threads, queues, lambda: make_client(url), name, burst=args.burst)
        return 0
    worker = WORKER_CLASSES[args.kind](queues, connection=connection, name=args.name)
    print(f"worker {worker.name} ({args.kind}) on {redact_url(url)}, queues {', '.join(queues)}", flush=True)
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler, logging_level="INFO")
    return 0
