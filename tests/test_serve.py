"""``python -m demo serve`` as a user runs it: start, health, stop, bad input."""

import os
import socket
import subprocess
import sys
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
        server.wait_healthy(timeout=20)
        presenter = presenter_session(server)  # the Redis version and the workers' pids are the presenter's
        health = presenter.get(server.base + "/healthz", timeout=5).json()
        assert health["redis"]["ok"] is True and health["redis"]["version"]
        assert health["version"]
        wait_for(lambda: len(requests.get(server.base + "/healthz", timeout=5).json()["workers"]) == 2,
                 message="two workers registered")
        children = _children(server.process.pid)
        # the SMTP sink, rq's cron scheduler and the blocking demo's gunicorn (with its 2 workers)
        named = ("redis-server", "demo smtp", "demo cron", "gunicorn")
        kinds = sorted(next((n for n in named if n in _cmdline(p)), "worker") for p in children)
        # Two redis-servers: the queue's and the Redis console's sandbox.
        assert kinds == ["demo cron", "demo smtp", "gunicorn", "redis-server", "redis-server", "worker", "worker"]
        (arbiter,) = [p for p in children if "gunicorn" in _cmdline(p)]
        children += wait_for(lambda: (lambda c: c if len(c) == 2 else None)(_children(arbiter)), 20, 0.1,
                             "gunicorn's two workers")
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
