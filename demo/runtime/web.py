"""``python -m demo web``: one process of the web tier, the app on gunicorn.

It is gunicorn as Flask-SocketIO documents it for gevent (``gunicorn -k
gevent -w 1 module:app``; websockets come from simple-websocket, which takes
the connection from ``environ["gunicorn.socket"]``), run from Python so that
the settings below travel with the code. ``serve`` supervises one of these;
a bigger deployment runs several behind nginx (README, "Scaling beyond one
machine"). Everything the app needs comes from the environment, never the
command line: ``REDIS_URL`` (it may hold a password), ``SECRET_KEY``,
``DEMO_PRESENTER_TOKEN`` and the rest of ``demo/config.py``.

Slow clients: gunicorn's ``timeout`` is a heartbeat for gevent workers, not
a request deadline. What bounds a request's headers is ``keepalive``: the
gevent worker reads every request line and header block, the first one of a
connection included, under ``gevent.Timeout(keepalive)`` and closes the
connection when it expires (``AsyncWorker.handle``). A half-sent request
therefore holds a greenlet for at most ``HEADER_TIMEOUT`` seconds.
"""

import logging
import resource
import sys

import gevent
from gunicorn.app.base import BaseApplication
from gunicorn.workers.ggevent import GeventWorker

from ..config import shared_secrets_missing

#: Seconds a client may take to send a request's line and headers (and to
#: stay idle between two requests of a kept-alive connection).
HEADER_TIMEOUT = 5

#: gunicorn's settings for the web tier, each with why.
SETTINGS = {
    # Flask-SocketIO's documented worker for gevent (the app runs in
    # greenlets), handing the watcher over as it stops (``WebWorker``).
    "worker_class": "demo.runtime.web.WebWorker",
    # One worker per gunicorn: Socket.IO's long-polling needs every request of
    # a session on the process that holds it, and gunicorn spreads requests
    # over its workers blindly. More processes means more gunicorns behind a
    # proxy with sticky sessions and SOCKETIO_MESSAGE_QUEUE.
    "workers": 1,
    # Open connections per worker (gunicorn's 1000 would cap a room of
    # viewers: every viewer holds one socket).
    "worker_connections": 5000,
    # The request line: our longest URLs (a job id, a deck path with its
    # query) are far below 4 KiB, gunicorn's default.
    "limit_request_line": 4094,
    # Header fields per request: browsers send about 20; half of gunicorn's 100.
    "limit_request_fields": 50,
    # Bytes per header field: a cookie with the presenter's session is < 1 KiB.
    "limit_request_field_size": 8190,
    # Doubles as the header deadline (see the module docstring).
    "keepalive": HEADER_TIMEOUT,
    # Seconds of a blocked event loop before gunicorn restarts the worker.
    "timeout": 30,
    # On stop, seconds to wait for open connections (every viewer's socket is
    # one, and they never end by themselves): clients reconnect anyway.
    "graceful_timeout": 3,
    # gunicorn 25+ opens a control socket in $HOME shared by every gunicorn of
    # the user; two servers on one machine would fight over it.
    "control_socket_disable": True,
    # Errors to stderr (serve puts it in instance/logs/web-service.log); no access log.
    "errorlog": "-",
    "accesslog": None,
    "loglevel": "warning",
    "proc_name": "ohmyqueue-web",
}


class WebWorker(GeventWorker):
    """gunicorn's gevent worker (``-k gevent``) that hands the watcher over as it stops.

    The watcher holds the deployment's watcher lock; left to expire, the lock
    would hold every push back LOCK_TTL seconds after this process is gone.
    So the watcher stops at the signal (its loop ends within one blocking
    read and frees the lock while open sockets drain, which can take the
    whole ``graceful_timeout``), and the worker waits for that before it
    exits (with no socket open it would exit at once).
    """

    _stopping = None

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        if self._stopping is None:  # out of the signal handler: stop() waits
            self._stopping = gevent.spawn(self._stop_watcher)

    def run(self):
        try:
            super().run()
        finally:
            if self._stopping is None:
                self._stop_watcher()
            else:
                self._stopping.join(5)

    def _stop_watcher(self):
        watcher = getattr(self.wsgi, "extensions", {}).get("omq.watcher")
        if watcher is not None:
            watcher.stop()


def _post_worker_init(worker):
    """The app's own log lines (watcher, demos) at INFO, like gunicorn's."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)


class WebApplication(BaseApplication):
    """gunicorn's arbiter serving ``create_app()`` with ``SETTINGS``."""

    def __init__(self, bind, **overrides):
        self.options = {**SETTINGS, "bind": [bind], "post_worker_init": _post_worker_init, **overrides}
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in the worker after gevent has patched the standard library.
        from .. import create_app

        return create_app({"SOCKETIO_ASYNC_MODE": "gevent"})


def bind_address(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_settings():
    """Build the app once in the arbiter: a wrong setting is one line here, not a
    worker that fails to boot; and the worker forks with everything imported."""
    from .. import create_app

    try:
        create_app({"START_WATCHER": False})
    except (ValueError, RuntimeError) as exc:
        return str(exc)
    return None


def allow_open_files(wanted=SETTINGS["worker_connections"] + 500):
    """Raise this process's open-file limit toward ``wanted`` (as far as the hard
    limit allows): every connection is a file, and many systems start at 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def run_web(args):
    """Entry point of ``python -m demo web``; returns the exit code."""
    from . import child

    if child.redis_url("web", None) is None:
        return 1
    allow_open_files()
    problem = shared_secrets_missing() or check_settings()
    if problem:
        print(f"web: {problem}", file=sys.stderr)
        return 1
    WebApplication(bind_address(args.host, args.port)).run()
    return 0
