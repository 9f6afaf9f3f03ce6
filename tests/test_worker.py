"""Our worker class and enqueue path write events; plain RQ interoperates."""

import subprocess
import sys

from rq import Queue, Retry
from rq.job import Job, JobStatus
from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue


def _types(connection, job_id):
    return [e["type"] for e in events.since(connection, "0-0") if e.get("job") == job_id]


def test_a_finished_job_emits_enqueued_started_finished_in_order(connection, run_worker):
    job = enqueue(connection, jobs.add, 2, 3)
    run_worker("simple")
    assert job.get_status() == JobStatus.FINISHED
    assert _types(connection, job.id) == ["enqueued", "started", "finished"]
    finished = events.since(connection, "0-0")[-1]
    assert finished["info"] == "5" and finished["queue"] == "default" and finished["func"] == "demo.jobs.add"


def test_event_ids_only_grow(connection, run_worker):
    for n in range(5):
        enqueue(connection, jobs.add, n, n)
    run_worker("fork")
    ids = [e["id"] for e in events.since(connection, "0-0")]
    assert len(ids) == 15
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))


def test_forking_worker_reports_its_work_horse_pid(connection, run_worker):
    job = enqueue(connection, jobs.add, 1, 1)
    worker = run_worker("fork")
    started = [e for e in events.since(connection, "0-0") if e["type"] == "started"][0]
    assert started["worker"] == worker.name
    assert int(started["pid"]) != worker.pid  # the work-horse, a child process
    assert job.get_status() == JobStatus.FINISHED


def test_failure_and_retry_events(connection, run_worker):
    job = enqueue(connection, jobs.fail, "boom", retry=Retry(max=1))
    run_worker("simple")
    assert job.get_status() == JobStatus.FAILED
    evs = [e for e in events.since(connection, "0-0") if e.get("job") == job.id]
    assert [e["type"] for e in evs] == ["enqueued", "started", "retry", "started", "failed"]
    assert "RuntimeError: boom" in evs[-1]["info"]


def test_progress_events_carry_the_fraction(connection, run_worker):
    job = enqueue(connection, jobs.wait, 0.2, 4)
    run_worker("simple")
    progress = [e["progress"] for e in events.since(connection, "0-0") if e["type"] == "progress"]
    assert progress == [0.25, 0.5, 0.75, 1.0]
    assert Job.fetch(job.id, connection=connection).meta["progress"] == 1.0


def test_scheduled_job_emits_scheduled(connection):
    job = enqueue(connection, jobs.noop, delay=60)
    assert job.get_status() == JobStatus.SCHEDULED
    (event,) = events.since(connection, "0-0")
    assert event["type"] == "scheduled" and float(event["at"]) > event["ts"] + 59


def test_stock_rq_worker_runs_a_job_the_app_enqueued(connection, redis_url):
    job = enqueue(connection, jobs.add, 20, 22)
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", redis_url, "default"],
                   check=True, capture_output=True, timeout=60)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == 42


def test_our_worker_runs_a_job_enqueued_with_plain_rq(connection, run_worker):
    job = Queue("default", connection=connection).enqueue(jobs.add, 1, 2)
    run_worker("fork")
    assert job.return_value() == 3
    # No enqueued event (plain RQ wrote none), but the worker's own events are there.
    assert _types(connection, job.id) == ["started", "finished"]


def test_paused_queue_is_skipped_by_our_workers(connection, run_worker):
    import time

    from demo import keys
    from demo.live.worker import PausableQueue

    connection.sadd(keys.PAUSED_QUEUES, "low")
    time.sleep(PausableQueue.PAUSE_CHECK)  # a pause takes effect within this time
    low = enqueue(connection, jobs.noop, queue="low")
    default = enqueue(connection, jobs.noop)
    run_worker("simple")
    assert default.get_status() == JobStatus.FINISHED
    assert low.get_status() == JobStatus.QUEUED
    connection.srem(keys.PAUSED_QUEUES, "low")
    time.sleep(PausableQueue.PAUSE_CHECK)
    run_worker("simple")
    assert low.get_status() == JobStatus.FINISHED
