"""No job is lost when its worker dies between taking it and starting it.

Real worker processes SIGKILL themselves at exact moments of taking a job
(tests/faultworkers.py), and are settled as ``serve`` settles a dead worker;
then every job id must be accounted for: run once and finished, or failed
with an ``abandoned`` event that says why.
"""

import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest
from rq import Queue, Retry
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from conftest import QUEUES, ROOT, wait_for
from demo import jobs, keys
from demo.live import dequeue, events
from demo.live.enqueue import enqueue
from demo.live.worker import LiveSimpleWorker, recover_abandoned
from faultworkers import RAN, record

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "tests" / "faultworkers.py"


def _start(redis_url, name, moment, plain=False, queues=QUEUES):
    argv = [sys.executable, str(SCRIPT), "--redis-url", redis_url, "--name", name, "--moment", moment,
            "--queues", ",".join(queues)] + (["--plain"] if plain else [])
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _die_at(redis_url, moment, plain=False):
    """Run one worker that takes a job and dies at ``moment``; return its name."""
    name = f"dies-{moment}-{uuid.uuid4().hex[:6]}"
    process = _start(redis_url, name, moment, plain)
    try:
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, stderr
    return name


def _everywhere(connection, job_id):
    """Where a job id is: queues, holding lists, the started registries."""
    places = []
    for name in QUEUES:
        if connection.lpos(Queue(name, connection=connection).key, job_id) is not None:
            places.append(f"queue {name}")
        if any(e.decode().startswith(job_id) for e in connection.zrange(StartedJobRegistry(name, connection=connection).key, 0, -1)):
            places.append(f"started {name}")
    for holder in connection.smembers(keys.HOLDERS):
        if connection.lpos(keys.HELD.format(holder.decode()), job_id) is not None:
            places.append(f"held by {holder.decode()}")
    return places


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _batch(connection, count):
    """``count`` recording jobs spread over the three queues, one retry each."""
    return [enqueue(connection, record, i, queue=QUEUES[i % 3], retry=Retry(max=1)) for i in range(count)]


@pytest.mark.parametrize("moment", ["taken", "prepared", "forked"])
def test_a_job_whose_worker_dies_before_starting_it_goes_back_to_the_front(connection, redis_url, moment):
    batch = _batch(connection, 4)
    first, second = batch[0], batch[3]  # the two on "default", the first queue
    name = _die_at(redis_url, moment)

    # Killed: RQ's own records hold it at most as "started" (by a dead worker)
    # while its status still says queued; our holding list knows.
    expected = {f"held by {name}"} | ({"started default"} if moment != "taken" else set())
    assert set(_everywhere(connection, first.id)) == expected
    assert first.get_status() == JobStatus.QUEUED
    horse = connection.hget(f"rq:worker:{name}", keys.WORKER_HORSE_PID_FIELD)
    if horse:  # the work-horse died with its worker
        wait_for(lambda: not _running(int(horse)), 5, message="the work-horse to be gone")

    recovered = recover_abandoned(connection, name, f"worker {name} died: signal 9")
    assert recovered.id == first.id
    assert Queue("default", connection=connection).get_job_ids()[:2] == [first.id, second.id]
    assert _everywhere(connection, first.id) == ["queue default"]
    (event,) = [e for e in events.since(connection, "0-0") if e["type"] == "abandoned"]
    assert event["job"] == first.id and event["outcome"] == "requeued" and "had not started" in event["info"]
    assert connection.lrange(RAN, 0, -1) == []  # the dead worker never ran it


def test_the_same_kill_loses_the_job_with_rqs_own_pop(connection, redis_url):
    """What the holding list prevents: RQ's multi-queue pop leaves the id nowhere."""
    (job,) = _batch(connection, 1)
    name = _die_at(redis_url, "taken", plain=True)
    recover_abandoned(connection, name, "died")
    assert job.get_status() == JobStatus.QUEUED
    assert _everywhere(connection, job.id) == []  # no worker will ever take it


def test_a_job_started_when_its_worker_died_is_retried_once_visibly(connection, redis_url):
    (job,) = _batch(connection, 1)
    name = _die_at(redis_url, "running")
    assert job.get_status() == JobStatus.STARTED
    recover_abandoned(connection, name, "died")
    job.refresh()
    assert job.get_status() == JobStatus.QUEUED and job.retries_left == 0
    (event,) = [e for e in events.since(connection, "0-0") if e["type"] == "abandoned"]
    assert event["outcome"] == "retried"
    assert _everywhere(connection, job.id) == ["queue default"]


def test_every_job_is_accounted_for_after_kills_at_every_moment(connection, redis_url):
    moments = ["taken", "prepared", "forked", "running"] * 3
    batch = _batch(connection, 30)
    for moment in moments:
        name = _die_at(redis_url, moment)
        recover_abandoned(connection, name, f"worker {name} died: signal 9")
    assert connection.lrange(RAN, 0, -1) == []
    assert not [key for key in connection.keys(keys.HELD.format("*")) if connection.llen(key)]

    LiveSimpleWorker(QUEUES, connection=connection).work(burst=True)
    runs = [i.decode() for i in connection.lrange(RAN, 0, -1)]
    assert sorted(runs) == sorted(job.id for job in batch)  # each ran exactly once
    assert {job.get_status() for job in batch} == {JobStatus.FINISHED}
    outcomes = [e["outcome"] for e in events.since(connection, "0-0") if e["type"] == "abandoned"]
    assert sorted(outcomes) == ["requeued"] * 9 + ["retried"] * 3


def test_a_dead_workers_holding_is_swept_once_its_key_expires(connection, redis_url):
    """A worker on another host, which no ``serve`` watches: the next worker's maintenance settles it."""
    (job,) = _batch(connection, 1)
    name = _die_at(redis_url, "taken")
    connection.delete(f"rq:worker:{name}")  # what its heartbeat's expiry does, minutes later
    settled = dequeue.sweep_orphans(connection)
    assert [(j.id, outcome) for j, outcome in settled] == [(job.id, "requeued")]
    assert _everywhere(connection, job.id) == ["queue default"]
    assert name.encode() not in connection.smembers(keys.HOLDERS)


def test_a_worker_stopped_right_after_taking_a_job_gives_it_back(connection, redis_url):
    """SIGTERM between taking and starting (RQ raises StopRequested there): the job goes back."""
    batch = _batch(connection, 4)
    name = f"stops-{uuid.uuid4().hex[:6]}"
    process = _start(redis_url, name, "stopped")
    assert process.wait(60) == 0, process.stderr.read().decode(errors="replace")
    process.stderr.close()
    assert Queue("default", connection=connection).get_job_ids() == [batch[0].id, batch[3].id]
    assert not connection.exists(keys.HELD.format(name)) and not connection.smembers(keys.HOLDERS)
    assert [e["type"] for e in events.since(connection, "0-0")] == ["enqueued"] * 4  # quietly: it never left


def test_the_doorbell_rings_for_a_push_by_any_writer_and_names_the_queue(connection):
    """An idle worker blocks on the bell; plain RQ's enqueue (no event of ours) rings it."""
    bell = dequeue.Doorbell(connection, [Queue(q, connection=connection).key for q in QUEUES] + [keys.PAUSED_QUEUES])
    bell.arm()
    try:
        assert bell.wait(0.2) == set()  # nothing happened: it waited, it did not poll
        Queue("low", connection=connection).enqueue(jobs.noop)
        assert "rq:queue:low" in bell.wait(10)
        connection.sadd(keys.PAUSED_QUEUES, "high")
        assert keys.PAUSED_QUEUES in bell.wait(10)
    finally:
        bell.close()


def test_an_idle_worker_takes_a_job_pushed_to_any_of_its_queues(connection, redis_url):
    process = subprocess.Popen([sys.executable, "-m", "demo", "worker", "--redis-url", redis_url, "--kind", "simple",
                                "--name", "idle", "--queues", ",".join(QUEUES)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: connection.exists("rq:worker:idle"), 20, message="the worker to start")
        for queue in ("low", "high", "default"):
            job = Queue(queue, connection=connection).enqueue(jobs.noop)
            wait_for(lambda: job.get_status() == JobStatus.FINISHED, 20, 0.05, f"the idle worker to run a job on {queue}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert not connection.exists(keys.HELD.format("idle")) and not connection.smembers(keys.HOLDERS)


def test_random_kills_of_busy_workers_lose_nothing(connection, redis_url):
    """The audit's case: SIGKILL busy forking workers at random, settle them as serve does."""
    rng = random.Random(15)
    # 0.1 s per run: the workers are still busy for the first several kills, even on a fast machine.
    batch = [enqueue(connection, record, i, 0.1, queue=QUEUES[i % 3], retry=Retry(max=3)) for i in range(150)]
    workers = {}
    # ``record`` lives in tests/: the workers must be able to import it, or every
    # run of it fails on its own and exhausts its retries, no kill needed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}

    def start():
        name = f"busy-{uuid.uuid4().hex[:6]}"
        workers[name] = subprocess.Popen(
            [sys.executable, "-m", "demo", "worker", "--redis-url", redis_url, "--kind", "fork", "--name", name,
             "--queues", ",".join(QUEUES)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        # A kill before the worker is up would test nothing: wait until it is (it takes jobs from then on).
        wait_for(lambda: connection.exists(f"rq:worker:{name}") or workers[name].poll() is not None, 30, 0.02,
                 f"worker {name} to start")
        assert workers[name].poll() is None, f"worker {name} exited with {workers[name].returncode}"

    try:
        for _ in range(3):
            start()
        for _ in range(20):  # each step bounded: a start waits at most 30 s
            time.sleep(rng.uniform(0.1, 0.5))
            name = rng.choice(sorted(workers))
            workers[name].send_signal(signal.SIGKILL)
            workers.pop(name).wait()
            recover_abandoned(connection, name, f"worker {name} died: signal 9")
            start()
    finally:
        for process in workers.values():
            process.send_signal(signal.SIGTERM)
        for process in workers.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    LiveSimpleWorker(QUEUES, connection=connection).work(burst=True)

    history = events.since(connection, "0-0")
    abandoned = {e["job"]: e for e in history if e["type"] == "abandoned"}
    ran = {i.decode() for i in connection.lrange(RAN, 0, -1)}
    # No run failed by itself: every setback was a kill, reported as one.
    assert [(e["type"], e.get("info")) for e in history if e["type"] in ("failed", "retry")] == []
    assert abandoned, "no kill caught a worker holding a job: the test exercised nothing"
    for job in batch:
        status = job.get_status()
        assert status == JobStatus.FINISHED or (status == JobStatus.FAILED and job.id in abandoned), (job.id, status)
        assert status != JobStatus.FINISHED or job.id in ran
        assert _everywhere(connection, job.id) == []


def test_serves_supervisor_puts_the_job_back_as_soon_as_it_sees_the_death(connection, redis_url, tmp_path):
    """The path ``serve`` takes: its supervisor notices the death and settles the job."""
    from demo.runtime.supervisor import Child, Supervisor

    (job,) = _batch(connection, 1)
    supervisor = Supervisor(redis_url, QUEUES, tmp_path / "logs")
    name = f"supervised-{uuid.uuid4().hex[:6]}"
    argv = [sys.executable, str(SCRIPT), "--redis-url", redis_url, "--name", name, "--moment", "taken",
            "--queues", ",".join(QUEUES)]
    child = supervisor.add(Child(name, argv, kind="fork"))
    try:
        child.process.wait(60)
        died = time.monotonic()
        supervisor.check()  # serve runs this every 0.5 s
        settled = time.monotonic() - died
        assert _everywhere(connection, job.id) == ["queue default"]
        (event,) = [e for e in events.since(connection, "0-0") if e["type"] == "abandoned"]
        assert event["outcome"] == "requeued" and "signal 9" in event["info"]
    finally:
        supervisor.stop(timeout=10)
    print(f"settled {settled * 1000:.0f} ms after the death was seen")
