"""``serve`` under real faults: Redis killed, serve killed, a worker killed.

Every fault is a real signal to a real process; every test measures how long
recovery took (printed, for the README's "What survives what") and asserts
what the user sees: jobs end finished, nothing is left running, one writer
per data directory.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from rq.job import Job

from conftest import ROOT, ServeProcess, wait_for
from demofixtures import presenter_session
from demo import jobs
from demo.db import free_port, make_client
from demo.live import events
from demo.live.enqueue import enqueue
from test_serve import _alive, _cmdline, _descendants

pytestmark = pytest.mark.slow


def _embedded(server, instance=None):
    """(client, port, pid) of the redis-server a ``serve`` started."""
    instance = instance or server.log.parent / "instance"
    password = (instance / "redis-password").read_text().strip()
    line = next(line for line in server.output().splitlines() if line.startswith("Redis: embedded"))
    port = int(line.split("@127.0.0.1:")[1].split("/")[0])
    pid = next(p for p in _descendants(server.process.pid)  # the queue's, not the console's sandbox
               if "redis-server" in _cmdline(p) and f"127.0.0.1:{port}" in _cmdline(p))
    return make_client(f"redis://:{password}@127.0.0.1:{port}/0"), port, pid


def _worker_pids(server):
    presenter = presenter_session(server)  # /healthz names pids to the presenter only
    return sorted(w["pid"] for w in presenter.get(server.base + "/healthz", timeout=5).json()["workers"])


def _status(connection, job_id):
    return Job.fetch(job_id, connection=connection).get_status(refresh=True)


def _answers(connection):
    try:
        return connection.ping()
    except Exception:
        return False


def _kill_redis_and_hold_its_port(pid, port, seconds):
    """SIGKILL redis-server, then keep its port busy for ``seconds``: an outage
    of a known length (serve's restarts fail until the port is free)."""
    os.kill(pid, signal.SIGKILL)
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the dead server's TIME_WAITs
    deadline = time.monotonic() + 5
    while True:
        try:
            holder.bind(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.002)
    holder.listen()
    time.sleep(seconds)
    holder.close()


def _running_job(server, seconds):
    """(client, port, redis pid, worker pids, job) once a ``seconds`` job has run for a while."""
    connection, port, redis_pid = _embedded(server)
    wait_for(lambda: len(_worker_pids(server)) == 1, 20, message="the worker")
    connection.set("written-before", "1")
    job = enqueue(connection, jobs.wait, seconds)
    wait_for(lambda: _status(connection, job.id) == "started", 20, message="the job to start")
    time.sleep(1.2)  # the append-only file is synced every second: let 'started' reach the disk
    return connection, port, redis_pid, _worker_pids(server), job


def test_redis_killed_mid_job_is_restarted_and_the_job_still_finishes(tmp_path):
    server = ServeProcess(tmp_path, workers=1).wait_healthy(60)
    try:
        connection, port, redis_pid, workers, job = _running_job(server, 5)
        killed = time.monotonic()
        os.kill(redis_pid, signal.SIGKILL)
        wait_for(lambda: _answers(connection), 20, 0.02, "Redis to be back")
        back = time.monotonic() - killed
        wait_for(lambda: requests.get(server.base + "/healthz", timeout=5).status_code == 200, 20,
                 message="/healthz to be 200 again")
        healthy = time.monotonic() - killed
        wait_for(lambda: _status(connection, job.id) == "finished", 30, message="the job to finish")
        assert connection.get("written-before") == b"1"  # same data: the append-only file was replayed
        assert _worker_pids(server) == workers  # the worker waited for Redis; it did not crash
        assert [e["type"] for e in events.since(connection, "0-0") if e.get("job") == job.id].count("finished") == 1
        after = enqueue(connection, jobs.add, 2, 3)
        wait_for(lambda: _status(connection, after.id) == "finished", 20, message="a new job to run")
        new_pid = next(p for p in _descendants(server.process.pid) if "redis-server" in _cmdline(p))
        assert new_pid != redis_pid
        print(f"\nredis kill -9: answering again after {back:.2f} s, /healthz 200 after {healthy:.2f} s")
        connection.close()
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_job_that_ends_while_redis_is_down_is_settled_when_it_returns(tmp_path):
    server = ServeProcess(tmp_path, workers=1).wait_healthy(60)
    try:
        connection, port, redis_pid, workers, job = _running_job(server, 2.5)
        _kill_redis_and_hold_its_port(redis_pid, port, 6)  # the job's code returns in the middle of this
        freed = time.monotonic()
        wait_for(lambda: _answers(connection), 30, 0.02, "Redis to be back")
        wait_for(lambda: _status(connection, job.id) == "finished", 30, message="the job to be settled")
        settled = time.monotonic() - freed
        assert _worker_pids(server) == workers
        types = [e["type"] for e in events.since(connection, "0-0") if e.get("job") == job.id]
        assert types.count("finished") == 1 and "failed" not in types and "abandoned" not in types
        print(f"\n6 s outage: job settled {settled:.2f} s after Redis could restart")
        connection.close()
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_sigkill_of_serve_takes_every_child_with_it_and_a_new_serve_finds_the_data(tmp_path):
    first = ServeProcess(tmp_path / "first", workers=0).wait_healthy(60)  # the job waits for the next serve
    connection, port, redis_pid = _embedded(first)
    queued = enqueue(connection, jobs.add, 1, 2, queue="low")
    time.sleep(1.5)  # one append-only-file sync
    connection.close()
    children = _descendants(first.process.pid)
    assert len(children) >= 5  # redis, web (arbiter and worker), smtp, cron
    killed = time.monotonic()
    first.process.kill()
    first.process.wait()
    wait_for(lambda: not [p for p in children if _alive(p)], 15, 0.05, "every child of the killed serve to end")
    gone = time.monotonic() - killed
    instance = tmp_path / "first" / "instance"
    second = ServeProcess(tmp_path / "second", workers=1, extra=["--instance", str(instance)])
    try:
        second.wait_healthy(60)
        connection, _, _ = _embedded(second, instance)
        wait_for(lambda: Job.fetch(queued.id, connection=connection).get_status() == "finished", 20,
                 message="the queued job to run after the restart")
        sandbox = re.search(r"Console:   sandbox redis-server on (127\.0\.0\.1:\d+)", second.output()).group(1)
        servers = [p for p in _descendants(second.process.pid)
                   if "redis-server" in _cmdline(p) and sandbox not in _cmdline(p)]  # the console's is another
        assert len(servers) == 1
        print(f"\nserve kill -9: all {len(children)} children gone after {gone:.2f} s")
        connection.close()
    finally:
        second.stop()
        first.stop()
    assert second.process.returncode == 0


ORPHAN = """
import sys, time
from demo.db import EmbeddedRedis
from demo.runtime import secret_files
instance = sys.argv[1]
server = EmbeddedRedis(instance + "/redis", password=secret_files.load_or_create(instance + "/redis-password"),
                       die_with_parent=False).start()
print(server.process.pid, server.port, flush=True)
time.sleep(600)
"""


def test_a_redis_server_left_running_on_the_data_dir_is_stopped_before_a_new_one_starts(tmp_path):
    instance = tmp_path / "instance"
    launcher = subprocess.Popen([sys.executable, "-c", ORPHAN, str(instance)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
    orphan_pid, orphan_port = map(int, launcher.stdout.readline().split())
    launcher.kill()  # the launcher dies; its redis-server was not told to follow
    launcher.wait()
    launcher.stdout.close()
    password = (instance / "redis-password").read_text().strip()
    orphan = make_client(f"redis://:{password}@127.0.0.1:{orphan_port}/0")
    orphan.set("kept", "yes")
    time.sleep(1.5)  # one append-only-file sync
    orphan.close()
    assert _alive(orphan_pid)
    server = ServeProcess(tmp_path / "serve", workers=0, extra=["--instance", str(instance)])
    try:
        server.wait_healthy(60)
        assert f"stopped redis-server pid {orphan_pid}" in server.output()
        assert not _alive(orphan_pid)
        connection, _, _ = _embedded(server, instance)
        assert connection.get("kept") == b"yes"  # one writer, and it replayed the other's file
        connection.close()
    finally:
        server.stop()
        if _alive(orphan_pid):
            os.kill(orphan_pid, signal.SIGKILL)


def test_a_second_serve_on_a_data_dir_in_use_is_refused_in_one_line(tmp_path):
    first = ServeProcess(tmp_path / "first", workers=0).wait_healthy(60)
    try:
        instance = tmp_path / "first" / "instance"
        result = subprocess.run([sys.executable, "-m", "demo", "serve", "--port", str(free_port()),
                                 "--workers", "0", "--instance", str(instance)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60,
                                env={k: v for k, v in os.environ.items() if k != "REDIS_URL"})
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("serve: ") and f"in use by process {first.process.pid}" in line
        assert "Traceback" not in result.stdout + result.stderr
        assert requests.get(first.base + "/healthz", timeout=5).status_code == 200
    finally:
        first.stop()


def test_a_killed_workers_scheduler_process_stops_and_frees_the_locks(connection, redis_url, tmp_path):
    from rq.scheduler import RQScheduler

    def start_worker(name):
        log = open(tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "demo", "worker", "--name", name, "--queues", "default", "--with-scheduler"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "REDIS_URL": redis_url})
        log.close()
        return process

    lock = RQScheduler.get_locking_key("default")
    first = start_worker("sched-a")
    try:
        wait_for(lambda: connection.get(lock), 30, message="the first worker's scheduler to take the lock")
        scheduler = wait_for(lambda: [p for p in _descendants(first.pid)], 10, message="the scheduler process")[0]
        killed = time.monotonic()
        first.kill()
        first.wait()
        wait_for(lambda: not _alive(scheduler), 10, 0.05, "the orphaned scheduler to stop")
        stopped = time.monotonic() - killed
        wait_for(lambda: connection.get(lock) is None, 5, 0.05, "its lock to be released")
        assert time.monotonic() - killed < 5  # RQ's lock would otherwise live on, renewed, forever
        second = start_worker("sched-b")
        try:
            due = enqueue(connection, jobs.add, 4, 5, delay=0)
            wait_for(lambda: Job.fetch(due.id, connection=connection).get_status() == "finished", 30,
                     message="the next worker's scheduler to move the due job")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        print(f"\nworker kill -9: its scheduler stopped after {stopped:.2f} s, locks freed")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
