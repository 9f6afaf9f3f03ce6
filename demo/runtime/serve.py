"""``python -m demo serve``: Redis, workers and the web server, as one command.

Order of start: check the web port, get Redis (given, or embedded with an
append-only file under ``instance/redis``), start the workers, then serve.
Ctrl-C or SIGTERM stops them in reverse: web server, workers (warm: they
finish or requeue their job), Redis. Errors a user can fix are one line and
exit code 1.
"""

import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from .. import ROOT
from ..db import EmbeddedRedis, RedisNotFound, RedisUnavailable, check_reachable, redact_url
from .supervisor import Supervisor

log = logging.getLogger("demo.serve")


class ServeError(Exception):
    """A problem the user can fix; its message says how."""


def _check_port(host, port):
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is in use: stop what uses it or pick another with --port") from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def lan_address():
    """This machine's first non-loopback IPv4 address, or None."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for info in infos:
        address = info[4][0]
        if not address.startswith("127."):
            return address
    return None


def public_base(host, port):
    """The base URL people type: the LAN address when listening on all interfaces."""
    if host in ("0.0.0.0", "::"):
        host = lan_address() or "127.0.0.1"
    return f"http://{host}:{port}"


def _get_redis(args, instance):
    url = args.redis_url or os.environ.get("REDIS_URL")
    if url:
        try:
            version = check_reachable(url)
        except RedisUnavailable as exc:
            raise ServeError(str(exc)) from None
        print(f"Redis: {redact_url(url)} (redis {version}, external)", flush=True)
        return url, None
    try:
        server = EmbeddedRedis(instance / "redis", persist=True)
    except RedisNotFound as exc:
        raise ServeError(str(exc)) from None
    server.start()
    version = check_reachable(server.url)
    print(f"Redis: embedded redis-server {version} ({server.binary}) on {server.url}, "
          f"data in {server.data_dir} (append-only file on)", flush=True)
    return server.url, server


def _install_stop(handler):
    try:
        import gevent

        for sig in (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(sig, handler)
    except ImportError:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: handler())


def serve(args):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    instance = Path(args.instance) if args.instance else ROOT / "instance"
    redis_server = None
    try:
        if not 0 <= args.workers <= 8:
            raise ServeError("--workers takes a number from 0 to 8")
        _check_port(args.host, args.port)
        url, redis_server = _get_redis(args, instance)
        return _run(args, url, instance)
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    finally:
        if redis_server is not None:
            redis_server.stop()
            print("Redis stopped.", flush=True)


def _smtp_url():
    """``SMTP_URL`` when given (a real relay), else the embedded sink's on a free port.

    It goes into the environment, which every worker child inherits: the
    mail job reads it there, never from its (visible) arguments.
    """
    from ..db import free_port

    given = os.environ.get("SMTP_URL")
    if given:
        print(f"Mail:      relay {redact_url(given)}", flush=True)
        return given, None
    port = free_port()
    os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    print(f"Mail:      embedded SMTP sink on {os.environ['SMTP_URL']}", flush=True)
    return os.environ["SMTP_URL"], port


def _add_services(supervisor, url, sink_port, tick_interval):
    """The SMTP sink (unless a relay is used) and rq's cron scheduler, supervised."""
    from .supervisor import Child

    parent = ["--redis-url", url, "--parent-pid", str(os.getpid())]
    if sink_port is not None:
        supervisor.add(Child("smtp", [sys.executable, "-m", "demo", "smtp", "--port", str(sink_port), *parent]))
    supervisor.add(Child("cron", [sys.executable, "-m", "demo", "cron", *parent],
                         env={"DEMO_TICK_INTERVAL": str(int(tick_interval))}))


# --- the presenter's identity and links (issue 10) ------------------------------


def _presenter_secrets(args, instance):
    """Token and session key kept under instance/ (rotated by --new-token); the environment's win."""
    from ..talk.presenter import SECRET_FILES, load_secrets

    rotate = getattr(args, "new_token", False)
    secrets = load_secrets(instance, rotate=rotate)
    if rotate:
        kept = " and ".join(name for name in SECRET_FILES if name not in secrets)
        print("New presenter token and session key: open presenter tabs sign in again"
              + (f" ({kept} from the environment kept)." if kept else "."), flush=True)
    return secrets


def _print_links(args, token):
    """The presenter's links, the audience's, and how phones can reach them."""
    from ..talk.pages import is_loopback_host

    base = public_base(args.host, args.port)
    print(f"Presenter: {base}/presenter?token={token}   (keep this one to yourself)", flush=True)
    print(f"Remote:    {base}/remote?token={token}   (open it on your phone: a remote with notes and timer)",
          flush=True)
    print(f"Audience:  {base}/", flush=True)
    if is_loopback_host(args.host):
        print(f'Phones:    {args.host} is this machine only; to let phones join, run '
              f'make demo ARGS="--host 0.0.0.0"', flush=True)


# --- the blocking demo's gunicorn and the talk profile (issue 12) ----------------


def _add_blocking_gunicorn(supervisor, app, url):
    """The blocking demo's gunicorn: the slides' app.py and gunicorn.conf.py, supervised."""
    from ..db import free_port
    from . import gunicorn_conf
    from .supervisor import Child

    port = free_port()
    timeout = app.config.get("DEMO_GUNICORN_TIMEOUT")
    supervisor.add(Child("gunicorn", gunicorn_conf.command(port, timeout), env={"REDIS_URL": url, "OMQ_PARENT_PID": str(os.getpid())}))
    app.config["DEMO_GUNICORN_URL"] = f"http://127.0.0.1:{port}"
    print(f"Blocking:  gunicorn (slides/code/app.py, 2 sync workers, timeout "
          f"{int(timeout) if timeout else 'from gunicorn.conf.py'}) on {app.config['DEMO_GUNICORN_URL']}", flush=True)


def _talk_profile(args):
    """``--talk``: the talk's short timeouts (config.TALK_PROFILE), unless the environment sets them."""
    from ..config import TALK_PROFILE

    if not getattr(args, "talk", False):
        return {}
    return {name: value for name, value in TALK_PROFILE.items() if name not in os.environ}


def _run(args, url, instance):
    from .. import create_app
    from ..console.server import add_sandbox
    from ..extensions import socketio

    try:
        import gevent  # noqa: F401

        async_mode = "gevent"
    except ImportError:
        async_mode = "threading"
    smtp_url, sink_port = _smtp_url()
    app = create_app({"REDIS_URL": url, "SOCKETIO_ASYNC_MODE": async_mode, "SMTP_URL": smtp_url,
                      "DEMO_SMTP_SINK": sink_port is not None, **_presenter_secrets(args, instance),
                      **_talk_profile(args)})
    if args.host in ("0.0.0.0", "::") and not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = public_base(args.host, args.port)  # /join shows the LAN address
    supervisor = Supervisor(url, app.config["QUEUE_NAMES"], instance / "logs")
    app.extensions["omq.supervisor"] = supervisor
    try:
        for _ in range(args.workers):
            supervisor.add_worker("fork")
        _add_services(supervisor, url, sink_port, app.config["DEMO_TICK_INTERVAL"])
        add_sandbox(supervisor, instance, app.config)  # the Redis console's (demo/console/server.py)
        _add_blocking_gunicorn(supervisor, app, url)

        def supervise():
            while not supervisor.stopping:
                supervisor.check()
                socketio.sleep(0.5)

        socketio.start_background_task(supervise)
        _print_links(args, app.config["DEMO_PRESENTER_TOKEN"])
        print(f"Logs:      {instance / 'logs'}", flush=True)
        _install_stop(socketio.stop)
        socketio.run(app, host=args.host, port=args.port, use_reloader=False, log_output=False,
                     allow_unsafe_werkzeug=True)
    finally:
        print("Stopping: workers finish their jobs…", flush=True)
        watcher = app.extensions.get("omq.watcher")
        if watcher is not None:
            watcher.stop()
        supervisor.stop()
    return 0
