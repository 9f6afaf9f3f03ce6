"""``python -m demo serve`` as a user runs it: start, health, stop, bad input,
secrets, slow clients."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, ServeProcess, wait_for
from demo.db import free_port
from demofixtures import presenter_session

pytestmark = pytest.mark.slow


def _children(pid):
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid):
    """Every process below ``pid``, grandchildren included."""
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_serve_with_embedded_redis_answers_healthz_and_leaves_nothing_behind(tmp_path):
    server = ServeProcess(tmp_path, workers=2)
    try:
        server.wait_healthy()
        presenter = presenter_session(server)  # the Redis version and the workers' pids are the presenter's
        health = presenter.get(server.base + "/healthz", timeout=5).json()
        assert health["redis"]["ok"] is True and health["redis"]["version"]
        assert health["version"]
        wait_for(lambda: len(requests.get(server.base + "/healthz", timeout=5).json()["workers"]) == 2,
                 message="two workers registered")
        children = _children(server.process.pid)
        # the SMTP sink, rq's cron, the web tier's gunicorn (with its one worker)
        # and the blocking demo's gunicorn (with its two)
        named = ("redis-server", "demo smtp", "demo cron", "demo web", "gunicorn")
        kinds = sorted(next((n for n in named if n in _cmdline(p)), "worker") for p in children)
        # Two redis-servers: the queue's and the Redis console's sandbox.
        assert kinds == ["demo cron", "demo smtp", "demo web", "gunicorn", "redis-server", "redis-server",
                         "worker", "worker"]
        for name, workers in (("demo web", 1), ("gunicorn", 2)):
            (arbiter,) = [p for p in children if name in _cmdline(p)]
            children += wait_for(lambda: (lambda c: c if len(c) == workers else None)(_children(arbiter)), 20, 0.1,
                                 f"{name}'s {workers} worker(s)")
        assert "embedded redis-server" in server.output()
        assert f"/presenter?token={server.token}" in server.output()
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert [p for p in children if _alive(p)] == []


def test_unreachable_redis_url_is_one_line_and_exit_1(tmp_path):
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "demo", "serve", "--port", str(free_port()),
         "--redis-url", f"redis://:topsecret@127.0.0.1:{port}/0", "--instance", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "topsecret" not in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_port_in_use_is_one_line_and_exit_1(tmp_path, redis_url):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "demo", "serve", "--port", str(port), "--redis-url", redis_url,
             "--instance", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"serve: port {port} on 127.0.0.1 is in use: stop what uses it or pick another with --port"


def test_a_killed_worker_is_restarted_and_its_job_is_not_lost(serve, connection):
    from rq.job import Job, JobStatus
    from demo import jobs
    from demo.live import events
    from demo.live.enqueue import enqueue

    server = serve(workers=1)
    job = enqueue(connection, jobs.wait, 30)
    wait_for(lambda: job.get_status() == JobStatus.STARTED, 15, message="job started")
    presenter = presenter_session(server)  # /healthz names pids to the presenter only
    (worker,) = presenter.get(server.base + "/healthz", timeout=5).json()["workers"]
    os.kill(worker["pid"], 9)
    wait_for(lambda: Job.fetch(job.id, connection=connection).get_status() == JobStatus.FAILED, 15,
             message="the abandoned job to be failed")
    abandoned = [e for e in events.since(connection, "0-0") if e["type"] == "abandoned"]
    assert abandoned and abandoned[0]["job"] == job.id and "signal 9" in abandoned[0]["info"]

    def restarted():
        workers = presenter.get(server.base + "/healthz", timeout=5).json()["workers"]
        return [w for w in workers if w["pid"] != worker["pid"] and _alive(w["pid"])]

    wait_for(restarted, 20, message="a new worker")


def test_no_command_line_carries_the_redis_password_or_url(tmp_path):
    from demo import jobs
    from demo.db import make_client
    from demo.live.enqueue import enqueue
    import redis

    server = ServeProcess(tmp_path, workers=1)
    try:
        server.wait_healthy()
        password_file = tmp_path / "instance" / "redis-password"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        password = password_file.read_text().strip()
        port = int(next(line for line in server.output().splitlines() if line.startswith("Redis:"))
                   .split("@127.0.0.1:")[1].split("/")[0])
        with pytest.raises(redis.AuthenticationError):
            make_client(f"redis://127.0.0.1:{port}/0").ping()  # no password, no entry
        connection = make_client(f"redis://:{password}@127.0.0.1:{port}/0")
        job = enqueue(connection, jobs.wait, 6)  # a running job: its work-horse is a process too
        wait_for(lambda: job.get_status() == "started", 20, message="the job to start")
        wait_for(lambda: len(_descendants(server.process.pid)) >= 8, 10,
                 message="redis, web (2), worker, horse, scheduler, smtp, cron")
        lines = {pid: _cmdline(pid) for pid in _descendants(server.process.pid)}
        assert any("demo web" in line for line in lines.values())
        assert any("redis-server" in line for line in lines.values())
        for pid, line in lines.items():
            assert password not in line and "redis://" not in line, (pid, line)
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            if "demo web" not in line:  # the presenter token and the console sandbox's admin URL: the web tier's alone
                assert server.token.encode() not in environ, line
                assert b"CONSOLE_SANDBOX_URL" not in environ, line
            else:
                assert b"CONSOLE_SANDBOX_URL=redis://:" in environ, line
        assert password not in server.output() and "redis://:***@127.0.0.1" in server.output()
        # A child restarted later (after the sandbox started) gets no more than the first one did.
        cron = next(pid for pid, line in lines.items() if "demo cron" in line)  # no work-horse to orphan
        os.kill(cron, signal.SIGKILL)
        restarted = wait_for(lambda: [pid for pid in _descendants(server.process.pid)
                                      if pid not in lines and "demo cron" in _cmdline(pid)], 30,
                             message="serve to restart the killed cron process")
        for pid in restarted:
            assert b"CONSOLE_SANDBOX_URL" not in Path(f"/proc/{pid}/environ").read_bytes()
        connection.close()
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_half_sent_requests_are_dropped_within_seconds_while_healthz_answers(serve):
    from demo.runtime.web import HEADER_TIMEOUT

    server = serve(workers=0)
    sockets = []
    try:
        opened = time.monotonic()
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never the rest
            sockets.append(sock)
        started = time.monotonic()
        assert requests.get(server.base + "/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 2  # the others are served meanwhile
        for sock in sockets:
            sock.settimeout(HEADER_TIMEOUT + 5 - (time.monotonic() - opened))
            assert sock.recv(100) == b""  # closed by the server, nothing sent
        held = time.monotonic() - opened
        assert held < HEADER_TIMEOUT + 3, f"half-sent requests were held {held:.1f} s"
    finally:
        for sock in sockets:
            sock.close()


def test_several_web_processes_without_shared_secrets_are_refused_in_one_line(tmp_path, redis_url):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEMO_PRESENTER_TOKEN", "REDIS_URL")}
    for command in (["serve", "--workers", "0", "--instance", str(tmp_path)], ["web"]):
        result = subprocess.run([sys.executable, "-m", "demo", *command, "--port", str(free_port())], cwd=ROOT,
                                capture_output=True, text=True, timeout=60,
                                env={**env, "REDIS_URL": redis_url, "SOCKETIO_MESSAGE_QUEUE": redis_url})
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert "set SECRET_KEY and DEMO_PRESENTER_TOKEN" in line and "Traceback" not in result.stdout


def test_stopping_serve_hands_the_watcher_lock_over_at_once(serve, connection, redis_url):
    from demo import keys

    # The lock picks one watcher among web processes joined by a message queue.
    server = serve(workers=0, env={"SOCKETIO_MESSAGE_QUEUE": redis_url, "SECRET_KEY": "handover-test"})
    wait_for(lambda: connection.get(keys.WATCHER_LOCK), 20, message="the web tier's watcher to take the lock")
    server.stop()
    # Freed by the web tier as it stops, not left to expire: the next watcher pushes at once.
    assert connection.get(keys.WATCHER_LOCK) is None


def test_flask_run_still_serves_the_app_for_development(tmp_path, redis_url):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEMO_PRESENTER_TOKEN")}
    log = open(tmp_path / "flask.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "demo", "run", "--port", str(port)],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**env, "REDIS_URL": redis_url})
    try:
        def answers():
            assert process.poll() is None, (tmp_path / "flask.log").read_text()
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except requests.RequestException:
                return None

        health = wait_for(answers, 60, 0.2, "flask run to answer /healthz")
        assert health.status_code == 200 and health.json()["redis"]["ok"] is True
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_free_port_never_hands_out_the_port_serve_has_promised_to_its_web_tier(monkeypatch):
    """The SMTP sink once took serve's --port in the moment before gunicorn bound it."""
    from types import SimpleNamespace

    import demo.db as db

    offered = iter([40001, 40001, 40002])  # what the kernel offers, in turn

    class Offered(socket.socket):
        def getsockname(self):
            return ("127.0.0.1", next(offered))

    monkeypatch.setattr(db, "_PROMISED", set())
    monkeypatch.setattr(db, "socket", SimpleNamespace(socket=Offered))
    db.promise_port(40001)
    assert db.free_port() == 40002


def test_a_port_taken_by_something_else_than_the_web_tier_is_one_line(tmp_path):
    """serve waits for its web tier; if what answers on the port is not HTTP, it says so instead of a traceback."""
    import threading
    from types import SimpleNamespace

    from demo.runtime.serve import ServeError, _wait_for_web

    with socket.socket() as smtp:
        smtp.bind(("127.0.0.1", 0))
        smtp.listen()
        port = smtp.getsockname()[1]

        def banner():
            conn, _ = smtp.accept()
            with conn:
                conn.sendall(b"220 sink.example ESMTP ready\r\n")
                conn.recv(1024)

        threading.Thread(target=banner, daemon=True).start()
        web = SimpleNamespace(alive=lambda: True, log_path=tmp_path / "web.log")
        supervisor = SimpleNamespace(check=lambda: None)
        stop = SimpleNamespace(sleep=time.sleep)
        with pytest.raises(ServeError) as refused:
            _wait_for_web(supervisor, web, SimpleNamespace(host="127.0.0.1", port=port), stop)
    assert str(refused.value) == (f"port {port} answers, but not as a web server: another program took it "
                                  "while serve started; pick another with --port")
