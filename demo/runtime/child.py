"""What every process ``serve`` starts (worker, smtp, cron) does first.

Each finds its Redis and checks it answers, saying in one line what to do
when it does not, and ends itself when ``serve`` is gone without stopping it.
"""

import os
import signal
import sys
import threading
import time

from ..db import RedisUnavailable, check_reachable


def redis_url(command, given=None):
    """The reachable Redis URL for ``command``, or None after one line on stderr."""
    url = given or os.environ.get("REDIS_URL")
    if not url:
        print(f"{command}: no Redis given: pass --redis-url redis://host:port/0 or set REDIS_URL", file=sys.stderr)
        return None
    try:
        check_reachable(url)
    except RedisUnavailable as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None
    return url


def watch_parent(parent_pid):
    """Stop this process (SIGTERM: warm) once ``parent_pid`` is no longer its parent."""
    if not parent_pid:
        return

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
