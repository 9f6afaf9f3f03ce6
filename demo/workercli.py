"""``python -m demo worker``: one of the project's workers in this process."""

import os
import signal
import sys
import threading
import time

from .db import RedisUnavailable, check_reachable, make_client, redact_url
from .worker import WORKER_CLASSES


def _watch_parent(parent_pid):
    """Warm-stop this worker if ``serve`` dies without stopping it."""

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_worker(args):
    url = args.redis_url or os.environ.get("REDIS_URL")
    if not url:
        print("worker: no Redis given: pass --redis-url redis://host:port/0 or set REDIS_URL", file=sys.stderr)
        return 1
    try:
        check_reachable(url)
    except RedisUnavailable as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 1
    if args.parent_pid:
        _watch_parent(args.parent_pid)
    connection = make_client(url)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    worker = WORKER_CLASSES[args.kind](queues, connection=connection, name=args.name)
    print(f"worker {worker.name} ({args.kind}) on {redact_url(url)}, queues {', '.join(queues)}", flush=True)
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler, logging_level="INFO")
    return 0
