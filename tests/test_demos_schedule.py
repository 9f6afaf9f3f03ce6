"""Scheduled and recurring: enqueue_in / enqueue_at, and rq's cron under serve."""

import os
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from conftest import wait_for
from demofixtures import api, job_events, post, presenter_session, wait_status


def test_enqueue_in_puts_the_job_in_the_scheduled_registry_with_its_time(client, connection):
    before = time.time()
    response = post(client, "/demo/schedule", {"delay": 30, "note": "stand up"})
    assert response.status_code == 202
    body = response.get_json()
    assert before + 30 <= body["at"] <= time.time() + 30
    job = Job.fetch(body["job"], connection=connection)
    registry = ScheduledJobRegistry(job.origin, connection=connection)
    assert job.id in registry
    assert registry.get_scheduled_time(job).timestamp() == pytest.approx(body["at"], abs=1)
    (event,) = job_events(connection, job.id)
    assert event["type"] == "scheduled" and float(event["at"]) == pytest.approx(body["at"], abs=0.01)
    detail = client.get(f"/demo/jobs/{job.id}").get_json()
    assert detail["status"] == "scheduled" and detail["scheduled_for"] == pytest.approx(body["at"], abs=1)


def test_enqueue_at_takes_unix_seconds_or_an_iso_time_with_a_zone(client, connection):
    soon = datetime.now(timezone.utc) + timedelta(minutes=5)
    for at in (soon.timestamp(), soon.isoformat(), soon.strftime("%Y-%m-%dT%H:%M:%SZ")):
        response = post(client, "/demo/schedule", {"at": at})
        assert response.status_code == 202, response.get_json()
        assert response.get_json()["at"] == pytest.approx(soon.timestamp(), abs=1)


@pytest.mark.parametrize("body, message", [
    ({"delay": -5}, "delay must be a number from 1 to 300 s"),
    ({"delay": 0}, "delay must be a number from 1 to 300 s"),
    ({"delay": 10**9}, "delay must be a number from 1 to 300 s"),
    ({"delay": "soon"}, "delay must be a number from 1 to 300 s"),
    ({}, "delay must be a number from 1 to 300 s"),
    ({"at": "2020-01-01T00:00:00Z"}, "at must be in the future, at most 300 s from now"),
    ({"at": time.time() + 10 * 86400}, "at must be in the future, at most 300 s from now"),
    ({"at": "2030-01-01T12:00:00"}, "at must be Unix seconds or an ISO 8601 time with a zone"),
    ({"at": "tomorrow"}, "at must be Unix seconds or an ISO 8601 time with a zone"),
    ({"at": 1e300}, "at must be Unix seconds or an ISO 8601 time with a zone"),
    ({"at": True}, "at must be Unix seconds or an ISO 8601 time with a zone"),
    ({"delay": 10, "note": "x" * 81}, "note is too long: at most 80 characters"),
])
def test_bad_times_are_400(client, connection, body, message):
    response = post(client, "/demo/schedule", body)
    assert response.status_code == 400 and response.get_json()["error"].startswith(message)
    assert connection.zcard(ScheduledJobRegistry("low", connection=connection).key) == 0


@pytest.mark.slow
def test_scheduled_jobs_run_when_due_and_the_cron_tick_recurs_under_serve(serve, connection):
    server = serve(workers=1, env={"DEMO_TICK_INTERVAL": "1"})
    code, body = api(requests.Session(), server, "POST", "/demo/schedule", {"delay": 1, "note": "later"})
    assert code == 202
    wait_status(connection, body["job"], "finished", timeout=30)
    types = [e["type"] for e in job_events(connection, body["job"])]
    assert types[0] == "scheduled" and types[-2:] == ["started", "finished"]
    detail = requests.get(f"{server.base}/demo/jobs/{body['job']}", timeout=5).json()
    assert detail["result"]["summary"] == "reminder: later"

    presenter = presenter_session(server)  # the scheduler's pid is shown to the presenter only

    def cron():
        return presenter.get(f"{server.base}/demo/schedule/cron", timeout=5).json()

    def two_ticks_done():
        state = cron()
        return state if sum(t["status"] == "finished" for t in state["ticks"]) >= 2 else None

    state = wait_for(two_ticks_done, 30, 0.2, "two finished ticks")
    assert state["running"] is True and state["interval"] == 1 and state["next_at"]
    first_pid = state["pid"]

    # serve supervises the cron scheduler: killed, it comes back (a new process).
    os.kill(first_pid, signal.SIGKILL)

    def restarted():
        state = cron()
        return state if state.get("pid") not in (None, first_pid) and state["running"] else None

    state = wait_for(restarted, 30, 0.2, "a restarted cron scheduler")
    ticks_before = len(state["ticks"])
    wait_for(lambda: len(cron()["ticks"]) > ticks_before, 20, 0.2, "a tick from the new scheduler")
    assert "cron" in server.output() and "died" in server.output()
