"""The blocking demo's gunicorn: the slides' ``gunicorn.conf.py``, plus hooks that report.

``serve`` runs ``python -m gunicorn --config python:demo.runtime.gunicorn_conf
--bind 127.0.0.1:PORT [--timeout N] app:app``. This module loads
``slides/code/gunicorn.conf.py`` as it stands (``workers = 2``, ``timeout =
30``: the file the slide shows is the one that runs), serves the slide's
``app.py`` from ``slides/code``, and adds only what a demo needs:

* hooks that write a ``web`` event to the demo's stream whenever a worker
  boots, takes a request, finishes it or exits, so every viewer sees which
  of the two workers is busy (the ``blocking`` page);
* a logger that forwards gunicorn's own critical lines, ``WORKER TIMEOUT
  (pid:N)`` above all, as ``timeout`` events;
* a short ``graceful_timeout`` (a demo request is not worth 30 s at
  shutdown), ``preload_app``, no control socket, and a thread that stops
  gunicorn when ``serve`` is gone.

The command line's ``--bind`` and ``--timeout`` win over the file (the talk
profile, ``serve --talk``, sets a shorter timeout that the slide states).
"""

import json
import os
import runpy
import signal
import sys
import threading
import time
from pathlib import Path

from gunicorn.glogging import Logger

#: The file the slide shows.
SLIDE_CONFIG = Path(__file__).resolve().parents[2] / "slides" / "code" / "gunicorn.conf.py"

globals().update({name: value for name, value in runpy.run_path(str(SLIDE_CONFIG)).items()
                  if not name.startswith("_")})

#: Serve the slide's ``app.py`` (and its ``tasks.py``) from where they live.
chdir = str(SLIDE_CONFIG.parent)

#: Seconds gunicorn waits for busy workers at shutdown.
graceful_timeout = 3

#: Import the app once, in the master, and fork the workers from it: a worker
#: boots in milliseconds (after a WORKER TIMEOUT too), and starting the demo
#: costs the machine one import of Flask and RQ instead of three.
preload_app = True

#: No control socket: its default path is one per user, and several of these
#: gunicorns (tests, a second serve) would fight over it.
control_socket_disable = True


def command(port, timeout=None):
    """The command line that runs this gunicorn on 127.0.0.1:``port`` (``timeout`` overrides the file's)."""
    return [sys.executable, "-m", "gunicorn", "--config", f"python:{__name__}", "--bind", f"127.0.0.1:{port}",
            *(["--timeout", str(int(timeout))] if timeout else []), "app:app"]


def _report(holder, state, pid, info=None, timeout=None, publish=True):
    """Record a worker's state (``keys.BLOCKING_GUNICORN``) and write a ``web`` event; never raise.

    ``publish=False`` records without an event: gunicorn's start (the hash is
    cleared; each worker then says it booted) and its stop (nobody watches).
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    try:
        from demo import keys
        from demo.db import make_client
        from demo.live import events

        client = getattr(holder, "omq_redis", None)
        if client is None:
            client = holder.omq_redis = make_client(url, socket_timeout=2)
        with client.pipeline() as pipe:
            if state == "start":
                pipe.delete(keys.BLOCKING_GUNICORN)
            elif state == "exit":
                pipe.hdel(keys.BLOCKING_GUNICORN, pid)
            else:
                pipe.hset(keys.BLOCKING_GUNICORN, pid, json.dumps(
                    {"state": state, "info": info or "", "since": time.time(), "timeout": timeout}))
            if publish:
                events.publish(client, "web", pipeline=pipe, pid=pid, state=state, info=info)
            pipe.execute()
    except Exception as exc:  # a demo hook must never take a request down
        print(f"gunicorn demo hook: could not report {state} of {pid}: {exc}", flush=True)


def when_ready(server):
    _report(server, "start", os.getpid(), "gunicorn started", publish=False)
    _watch_parent(server)


def post_worker_init(worker):
    _report(worker, "idle", worker.pid, "booted", worker.cfg.timeout)


def pre_request(worker, req):
    what = f"{req.method} {req.path}" + (f"?{req.query}" if req.query else "")
    _report(worker, "busy", worker.pid, what, worker.cfg.timeout)


def post_request(worker, req, environ, resp):
    _report(worker, "idle", worker.pid, None, worker.cfg.timeout)


def child_exit(server, worker):
    # A stopping gunicorn has closed its sockets (LISTENERS is empty): nobody watches then.
    _report(server, "exit", worker.pid, publish=bool(server.LISTENERS))


class DemoLogger(Logger):
    """gunicorn's logger; its critical lines (``WORKER TIMEOUT (pid:N)``) also go to the demo."""

    def critical(self, msg, *args, **kwargs):
        super().critical(msg, *args, **kwargs)
        text = msg % args if args else str(msg)
        if "WORKER TIMEOUT" in str(msg) and args:
            _report(self, "timeout", args[0], text, self.cfg.timeout)


logger_class = DemoLogger


def _watch_parent(server):
    """SIGTERM the arbiter (a graceful stop) once ``serve`` (OMQ_PARENT_PID) is gone."""
    parent = int(os.environ.get("OMQ_PARENT_PID") or 0)
    if not parent:
        return

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
