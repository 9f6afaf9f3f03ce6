"""What every process ``serve`` starts (web, worker, smtp, cron) does first,
and what ``serve`` does for each when it starts it.

Each finds its Redis in ``REDIS_URL`` (the environment: a URL with a password
on a command line is readable by every local user in ``ps``), checks it
answers, saying in one line what to do when it does not, and ends itself
when ``serve`` is gone without stopping it.
"""

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

from ..db import RedisUnavailable, check_reachable

#: Seconds a child of ``serve`` waits for Redis at start (serve may be
#: restarting it) before it gives up with the one-line error
#: (``--wait-redis``; run by hand, a child says at once what is wrong).
WAIT_FOR_REDIS = 30.0

#: The environment variable in which ``serve`` gives its cron process the
#: token it holds the deployment's cron lock with, the same for every restart.
CRON_TOKEN_ENV = "OMQ_CRON_TOKEN"


def redis_url(command, given=None, wait=0.0):
    """The reachable Redis URL for ``command``, or None after one line on stderr.

    ``wait`` seconds: keep trying that long first (a child of ``serve`` rides
    out a Redis restart instead of exiting and being restarted with backoff).
    """
    url = given or os.environ.get("REDIS_URL")
    if not url:
        print(f"{command}: no Redis given: set REDIS_URL=redis://host:port/0", file=sys.stderr)
        return None
    deadline = time.monotonic() + wait
    while True:
        try:
            check_reachable(url)
            return url
        except RedisUnavailable as exc:
            if time.monotonic() >= deadline:
                print(f"{command}: {exc}", file=sys.stderr)
                return None
        time.sleep(0.25)


def watch_parent(parent_pid):
    """Stop this process (SIGTERM: warm) once ``parent_pid`` is no longer its parent.

    On Linux the kernel sends the signal (``set_death_signal``), once; a
    second SIGTERM would turn a worker's warm stop into a cold one that
    kills the job it is finishing. Elsewhere a thread looks every second.
    """
    if not parent_pid:
        return
    if _prctl is not None:
        set_death_signal(signal.SIGTERM)
        if os.getppid() != parent_pid:  # gone before the kernel was asked
            os.kill(os.getpid(), signal.SIGTERM)
        return

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# -- dying with the parent ---------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


#: libc's prctl, resolved once in the parent: between fork and exec the child
#: must not load libraries (another thread may hold the loader's lock).
_prctl = _load_prctl()


def set_death_signal(sig=signal.SIGTERM):
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def die_with_parent():
    """``preexec_fn`` for a child of ``serve``: SIGTERM it when serve dies, even by SIGKILL.

    SIGTERM, not SIGKILL: redis-server writes its append-only file and exits,
    a worker stops warm. Runs between fork and exec, so it only calls the
    function resolved above.
    """
    set_death_signal(signal.SIGTERM)


def spawn_options():
    """Keyword arguments of ``subprocess.Popen`` for a child that dies with this process."""
    return {"preexec_fn": die_with_parent} if _prctl is not None else {}
