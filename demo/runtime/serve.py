"""``python -m demo serve``: Redis, workers and the web tier, as one command.

``serve`` is the supervisor; everything else is its child. Order of start:
check the web port, get Redis (given, or embedded with an append-only file
under ``instance/redis`` and a password kept in ``instance/redis-password``),
start the workers, the SMTP sink and the cron scheduler, then the web tier
(``python -m demo web``: gunicorn), and print the links once it answers.
Ctrl-C or SIGTERM stops them in reverse: web tier, workers (warm: they finish
or requeue their job) and services, Redis. Errors a user can fix are one
line and exit code 1.

Every child gets the Redis URL and any secret in its environment, never on
its command line, and dies with ``serve`` even if ``serve`` is killed.
"""

import errno
import http.client
import logging
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from .. import ROOT, config as config_module
from ..db import (DataDirInUse, EmbeddedRedis, RedisNotFound, RedisUnavailable, check_reachable, free_port,
                  promise_port, redact_url)
from . import child as child_module, secret_files
from .supervisor import Child, Supervisor, child_argv

log = logging.getLogger("demo.serve")

#: Seconds the web tier may take to answer its first request.
WEB_START_TIMEOUT = 60.0


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
    password_file = instance / "redis-password"
    try:
        server = EmbeddedRedis(instance / "redis", persist=True, password=secret_files.load_or_create(password_file))
        server.start()
    except (RedisNotFound, DataDirInUse) as exc:
        raise ServeError(str(exc)) from None
    if server.replaced:
        print(f"Redis: stopped redis-server pid {server.replaced}, left running on {server.data_dir} "
              "by a serve that was killed", flush=True)
    version = check_reachable(server.url)
    print(f"Redis: embedded redis-server {version} ({server.binary}) on {redact_url(server.url)}, "
          f"data in {server.data_dir} (append-only file on), password in {password_file}", flush=True)
    return server.url, server


def _smtp_url():
    """``SMTP_URL`` when given (a real relay), else the embedded sink's on a free port.

    It goes into the environment, which every worker child inherits: the
    mail job reads it there, never from its (visible) arguments.
    """
    given = os.environ.get("SMTP_URL")
    if given:
        print(f"Mail:      relay {redact_url(given)}", flush=True)
        return given, None
    port = free_port()
    os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    print(f"Mail:      embedded SMTP sink on {os.environ['SMTP_URL']}", flush=True)
    return os.environ["SMTP_URL"], port


def _web_env(args, config, smtp_url, sink_port):
    """What the web tier is told through its environment (secrets included: the
    environment of a process is readable by its user only, its command line
    by everyone). ``python -m demo web`` checks the settings before it serves."""
    env = {"SMTP_URL": smtp_url, "DEMO_SMTP_SINK": "1" if sink_port is not None else "0",
           "SECRET_KEY": config["SECRET_KEY"], "DEMO_PRESENTER_TOKEN": config["DEMO_PRESENTER_TOKEN"]}
    if config.get("CONSOLE_SANDBOX_URL"):  # the sandbox's admin password: the web tier's alone
        env["CONSOLE_SANDBOX_URL"] = config["CONSOLE_SANDBOX_URL"]
    if args.host in ("0.0.0.0", "::") and not config.get("PUBLIC_URL"):
        env["PUBLIC_URL"] = public_base(args.host, args.port)  # /join shows the LAN address
    return env


def _add_services(supervisor, sink_port):
    """The SMTP sink (unless a relay is used) and rq's cron scheduler, supervised."""
    parent = child_argv()
    if sink_port is not None:
        supervisor.add(Child("smtp", [sys.executable, "-m", "demo", "smtp", "--port", str(sink_port), *parent]))
    # One token per serve: a restarted cron process renews its predecessor's lock at once.
    supervisor.add(Child("cron", [sys.executable, "-m", "demo", "cron", *parent],
                         env={child_module.CRON_TOKEN_ENV: uuid.uuid4().hex}))


def _add_web(supervisor, args, env):
    """The web tier: gunicorn (``python -m demo web``), stopped before everything else."""
    argv = [sys.executable, "-m", "demo", "web", "--host", args.host, "--port", str(args.port)]
    return supervisor.add(Child("web", argv, env=env, stop_first=True))


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


def _wait_for_web(supervisor, web, args, stop):
    """Keep supervising until the web tier answers /healthz (any status: Redis may be down)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(args.host, args.host)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{args.port}/healthz"
    deadline = time.monotonic() + WEB_START_TIMEOUT
    while time.monotonic() < deadline:
        if not web.alive():
            tail = web.log_path.read_text(errors="replace").strip().splitlines()[-1:] if web.log_path.exists() else []
            raise ServeError(f"the web server exited at start ({' '.join(tail) or 'no output'}); "
                             f"see {web.log_path}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except http.client.HTTPException:  # something that is not HTTP took the port first
            raise ServeError(f"port {args.port} answers, but not as a web server: another program took it "
                             f"while serve started; pick another with --port") from None
        except OSError:
            pass
        supervisor.check()
        stop.sleep(0.2)
    raise ServeError(f"the web server did not answer within {WEB_START_TIMEOUT:.0f} s; see {web.log_path}")


# --- the blocking demo's gunicorn and the talk profile (issue 12) ----------------


def _add_blocking_gunicorn(supervisor, config):
    """The blocking demo's gunicorn: the slides' app.py and gunicorn.conf.py, supervised.

    Returns what the web tier must know of it (its URL), for its environment.
    """
    from . import gunicorn_conf

    port = free_port()
    timeout = config.get("DEMO_GUNICORN_TIMEOUT")
    supervisor.add(Child("gunicorn", gunicorn_conf.command(port, timeout), env={"OMQ_PARENT_PID": str(os.getpid())}))
    url = f"http://127.0.0.1:{port}"
    print(f"Blocking:  gunicorn (slides/code/app.py, 2 sync workers, timeout "
          f"{int(float(timeout)) if timeout else 'from gunicorn.conf.py'}) on {url}", flush=True)
    return {"DEMO_GUNICORN_URL": url}


def _talk_profile(args):
    """``--talk``: the talk's short timeouts (config.TALK_PROFILE), unless the environment sets them."""
    if not getattr(args, "talk", False):
        return {}
    return {name: value for name, value in config_module.TALK_PROFILE.items() if name not in os.environ}


class _Stop(Exception):
    """Ctrl-C or SIGTERM arrived: leave at the next safe point."""


class _StopSignal:
    """Notes Ctrl-C and SIGTERM; ``check()`` raises ``_Stop`` once one came.

    The handler only sets a flag: raising from it could cut a child's start
    in half and leave that child unrecorded.
    """

    def __init__(self):
        self.requested = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._note)

    def _note(self, *_):
        self.requested = True

    def check(self):
        if self.requested:
            raise _Stop()

    def sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check()
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        self.check()


def serve(args):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    instance = Path(args.instance) if args.instance else ROOT / "instance"
    redis_server = None
    stop = _StopSignal()
    try:
        if not 0 <= args.workers <= 8:
            raise ServeError("--workers takes a number from 0 to 8")
        _check_port(args.host, args.port)
        promise_port(args.port)  # the SMTP sink, the sandbox and the blocking demo pick theirs elsewhere
        problem = config_module.shared_secrets_missing()
        if problem:
            raise ServeError(problem)
        url, redis_server = _get_redis(args, instance)
        stop.check()
        return _run(args, url, instance, redis_server, stop)
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    except _Stop:
        return 0
    finally:
        if redis_server is not None:
            redis_server.stop()
            print("Redis stopped.", flush=True)


def _run(args, url, instance, redis_server, stop):
    from ..console.server import add_sandbox

    talk = _talk_profile(args)
    config = {**config_module.from_env(), **_presenter_secrets(args, instance), **talk}
    smtp_url, sink_port = _smtp_url()
    supervisor = Supervisor(url, config_module.queue_names(config), instance / "logs", redis_server=redis_server)
    try:
        for _ in range(args.workers):
            supervisor.add_worker("fork")
        _add_services(supervisor, sink_port)
        blocking = _add_blocking_gunicorn(supervisor, config)
        add_sandbox(supervisor, instance, config)  # the Redis console's (demo/console/server.py); sets its URL
        talk_env = {name: str(value) for name, value in talk.items()}  # the web tier reads them too
        web = _add_web(supervisor, args, {**_web_env(args, config, smtp_url, sink_port), **blocking, **talk_env})
        _wait_for_web(supervisor, web, args, stop)
        _print_links(args, config["DEMO_PRESENTER_TOKEN"])
        print(f"Logs:      {instance / 'logs'}", flush=True)
        while True:
            supervisor.check()
            stop.sleep(0.5)
    except _Stop:
        pass
    finally:
        print("Stopping: workers finish their jobs…", flush=True)
        supervisor.stop()
    return 0
