"""Failures and retries: rq's Retry with intervals, Failed with a traceback, requeue."""

import pytest
import requests
from rq.job import Job
from rq.registry import FailedJobRegistry

from demofixtures import api, job_events, post, presenter_session, wait_status

pytestmark = pytest.mark.slow

#: Short intervals so the test does not wait 2 + 4 + 8 s.
FAST = {"DEMO_RETRY_INTERVALS": "1,1,1"}


def test_a_job_that_fails_twice_retries_after_each_interval_then_succeeds(serve, connection):
    server = serve(workers=1, env=FAST)
    code, body = api(requests.Session(), server, "POST", "/demo/retries", {"fail_times": 2})
    assert code == 202 and body["retries"] == 3 and body["intervals"] == [1, 1, 1]
    wait_status(connection, body["job"], "finished", timeout=60)

    history = job_events(connection, body["job"])
    assert [e["type"] for e in history] == ["enqueued", "started", "retry", "started", "retry", "started", "finished"]
    retries = [e for e in history if e["type"] == "retry"]
    assert [e["left"] for e in retries] == ["2", "1"]
    assert all(float(e["at"]) > e["ts"] for e in retries)  # when the next attempt is due: the countdown
    assert "attempt 1: the payment API timed out" in retries[0]["info"]
    detail = requests.get(f"{server.base}/demo/jobs/{body['job']}", timeout=5).json()
    assert detail["result"] == {"summary": "succeeded on attempt 3", "attempts": 3}
    assert detail["attempts"] == 3


def test_out_of_retries_it_lands_in_failed_and_the_presenter_requeues_it(serve, connection):
    server = serve(workers=1, env=FAST)
    audience = requests.Session()
    code, body = api(audience, server, "POST", "/demo/retries", {"fail_times": 4})
    job_id = body["job"]
    wait_status(connection, job_id, "failed", timeout=60)

    job = Job.fetch(job_id, connection=connection)
    assert job_id in FailedJobRegistry(job.origin, connection=connection)
    detail = requests.get(f"{server.base}/demo/jobs/{job_id}", timeout=5).json()
    assert "Traceback" in detail["error"] and "ConnectionError: attempt 4: the payment API timed out" in detail["error"]
    assert [e["type"] for e in job_events(connection, job_id)].count("started") == 4  # 1 try + 3 retries

    code, refused = api(audience, server, "POST", f"/api/jobs/{job_id}/requeue")
    assert code == 403 and "presenter only" in refused["error"]
    code, _ = api(presenter_session(server), server, "POST", f"/api/jobs/{job_id}/requeue")
    assert code == 200
    wait_status(connection, job_id, "finished", timeout=30)
    detail = requests.get(f"{server.base}/demo/jobs/{job_id}", timeout=5).json()
    assert detail["result"]["summary"] == "succeeded on attempt 5"


@pytest.mark.parametrize("value", [-1, 7, 2.5, "two", True, None, [2]])
def test_bad_failure_counts_are_400(client, connection, value):
    response = post(client, "/demo/retries", {"fail_times": value})
    assert response.status_code == 400
    assert response.get_json()["error"] == "fail_times must be a whole number from 0 to 6"


def test_the_page_shows_the_retry_policy_and_requeue_only_to_the_presenter(client, presenter_client):
    audience_page = client.get("/demo/retries").data.decode()
    assert "retry=Retry(max=3, interval=[2, 4, 8])" in audience_page
    assert "requeue it" not in audience_page
    assert "requeue it and it runs again" in presenter_client.get("/demo/retries").data.decode()
