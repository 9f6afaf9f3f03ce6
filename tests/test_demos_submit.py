"""Audience jobs: nicknames, rate limit, global cap, bad input, and nothing lost."""

import os
import re
import signal

import pytest
import requests
from rq import Queue, Worker
from rq.job import Job
from rq.registry import CanceledJobRegistry, FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from conftest import wait_for
from demo import keys
from demo.demos.audience import ADJECTIVES, ANIMALS
from demofixtures import TERMINAL, api, job_events, post, status

NICK = re.compile(rf"^({'|'.join(ADJECTIVES)}) ({'|'.join(ANIMALS)})$")


def _low(connection):
    return len(Queue("low", connection=connection))


def test_a_visitor_gets_a_server_made_nickname_shown_with_their_jobs(client, connection):
    client.get("/demo/submit")  # the page gives the visitor an id in the signed session
    first = post(client, "/demo/submit", {"kind": "wait", "seconds": 3, "nick": "<img src=x onerror=alert(1)>"})
    assert first.status_code == 202
    nick = first.get_json()["nick"]
    assert NICK.match(nick)
    job = Job.fetch(first.get_json()["job"], connection=connection)
    assert job.meta["nick"] == nick and job.origin == "low"  # audience jobs wait behind the presenter's
    assert job_events(connection, job.id)[0]["nick"] == nick
    second = post(client, "/demo/submit", {"kind": "wait", "seconds": 2})
    assert second.get_json()["nick"] == nick  # stable for the visitor
    assert nick in client.get("/demo/submit").data.decode()
    mine = client.get("/demo/mine").get_json()
    assert [j["id"] for j in mine["jobs"]] == [second.get_json()["job"], job.id]
    assert all(j["status"] == "queued" for j in mine["jobs"])


def test_my_jobs_are_only_mine(app, client, connection):
    post(client, "/demo/submit", {"kind": "wait", "seconds": 3})
    other = app.test_client()
    other.get("/demo/submit")
    assert other.get("/demo/mine").get_json()["jobs"] == []


def test_the_per_visitor_rate_limit_says_when_to_come_back(app, client, connection):
    app.config["DEMO_RATE_LIMIT"] = 3
    client.get("/demo/submit")
    for _ in range(3):
        assert post(client, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202
    refused = post(client, "/demo/submit", {"kind": "wait", "seconds": 1})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"].startswith("slow down: at most 3 submissions per 60 s; try again in ")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and body["retry_after"] == int(refused.headers["Retry-After"])
    assert _low(connection) == 3
    other = app.test_client()  # another visitor (same IP, under the looser per-IP ceiling)
    other.get("/demo/submit")
    assert post(other, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202


def test_without_a_cookie_the_limit_falls_back_to_the_ip(app, connection):
    app.config["DEMO_RATE_LIMIT"] = 2
    cookieless = app.test_client(use_cookies=False)  # a fresh session on every request
    codes = [post(cookieless, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]


def test_the_per_ip_ceiling_holds_across_visitors(app, connection):
    app.config.update(DEMO_RATE_LIMIT=5, DEMO_RATE_LIMIT_PER_IP=2)
    codes = []
    for _ in range(3):
        visitor = app.test_client()
        visitor.get("/demo/submit")
        codes.append(post(visitor, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code)
    assert codes == [202, 202, 429]


def test_the_global_cap_refuses_clearly_and_frees_up_when_jobs_end(app, client, connection, run_worker):
    app.config["DEMO_AUDIENCE_CAP"] = 2
    visitors = []
    for n in range(3):
        visitor = app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"  # three phones: none meets its own share
        visitor.get("/demo/submit")
        visitors.append(visitor)
    assert [post(v, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code for v in visitors[:2]] == [202, 202]
    full = post(visitors[2], "/demo/submit", {"kind": "wait", "seconds": 1})
    assert full.status_code == 503
    assert full.get_json()["error"].startswith("the queue is full: 2 audience jobs are waiting or running")
    assert _low(connection) == 2 and connection.zcard(keys.AUDIENCE_OPEN) == 2
    run_worker("simple", queues=["low"])
    assert post(visitors[2], "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202
    assert connection.zcard(keys.AUDIENCE_OPEN) == 1  # the finished ones were pruned


def test_the_presenter_is_not_limited(app, presenter_client, connection):
    app.config.update(DEMO_RATE_LIMIT=1, DEMO_AUDIENCE_CAP=1)
    for _ in range(3):
        response = post(presenter_client, "/demo/submit", {"kind": "wait", "seconds": 1})
        assert response.status_code == 202 and response.get_json()["queue"] == "default"


@pytest.mark.parametrize("raw", ['{"kind": "wait", "seconds": -5}', '{"kind": "wait", "seconds": 0}',
                                 '{"kind": "wait", "seconds": 0.5}', '{"kind": "wait", "seconds": 31}',
                                 '{"kind": "wait", "seconds": 1e308}', '{"kind": "wait", "seconds": "abc"}',
                                 '{"kind": "wait", "seconds": null}', '{"kind": "wait", "seconds": true}',
                                 '{"kind": "wait", "seconds": {}}', '{"kind": "wait", "seconds": NaN}',
                                 '{"kind": "wait", "seconds": "-Infinity"}', '{"kind": "wait"}'])
def test_negative_huge_or_non_numeric_durations_are_400(client, connection, raw):
    response = client.post("/demo/submit", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "seconds must be a number from 1 to 30 s"
    assert _low(connection) == 0


def test_refused_input_does_not_use_up_the_rate_limit(app, client, connection):
    app.config["DEMO_RATE_LIMIT"] = 1
    assert post(client, "/demo/submit", {"kind": "wait", "seconds": -1}).status_code == 400
    assert post(client, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202


def test_snippets_from_phones_go_through_the_highlighter(client, connection, run_worker):
    response = post(client, "/demo/submit", {"kind": "highlight", "language": "ruby", "code": "puts 1"})
    assert response.status_code == 202
    run_worker("simple", queues=["low"])
    assert client.get(f"/demo/jobs/{response.get_json()['job']}").get_json()["result"]["language"] == "Ruby"
    refused = post(client, "/demo/submit", {"kind": "highlight", "language": "rubyy", "code": "puts 1"})
    assert refused.status_code == 400 and "ruby" in refused.get_json()["suggestions"]
    assert post(client, "/demo/submit", {"kind": "email"}).get_json()["error"] == "kind is 'wait' or 'highlight'"


def test_cross_site_submissions_are_refused_before_anything_happens(client, connection):
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = post(client, "/demo/submit", {"kind": "wait", "seconds": 1}, **headers)
        assert response.status_code == 403 and "cross-site" in response.get_json()["error"]
    assert _low(connection) == 0 and connection.keys(keys.RATE_LIMIT.format("*", "*")) == []


def test_an_unknown_job_is_404(client):
    response = client.get("/demo/jobs/no-such-job")
    assert response.status_code == 404 and "no job with id 'no-such-job'" in response.get_json()["error"]


def _kill_early(connection, candidates):
    """SIGKILL the worker running one of ``candidates`` early in the job; return the job id.

    Early (at most a third done), so the worker is surely dead before the
    job could end: serve must settle it.
    """
    def early():
        for worker in Worker.all(connection=connection):
            job_id = worker.get_current_job_id()
            if job_id in candidates:
                job = Job.fetch(job_id, connection=connection)
                if job.get_status() == "started" and (job.meta.get("progress") or 0) <= 0.35:
                    return worker, job_id
        return None

    worker, job_id = wait_for(early, 60, 0.02, "a worker early in an audience job")
    os.kill(worker.pid, signal.SIGKILL)
    return job_id


def _abandoned(connection, job_id, count):
    """Wait for the ``count``-th ``abandoned`` event of the job; return them all."""
    def settled():
        found = [e for e in job_events(connection, job_id) if e["type"] == "abandoned"]
        return found if len(found) >= count else None

    return wait_for(settled, 30, 0.1, "serve to settle the killed job")


@pytest.mark.slow
def test_nothing_is_lost_when_workers_are_killed_mid_job(serve, connection):
    """Every accepted submission ends in exactly one terminal state, SIGKILL or not."""
    server = serve(workers=2, env={"DEMO_RATE_LIMIT": "1000", "DEMO_AUDIENCE_CAP": "1000"})
    visitor = requests.Session()
    accepted = []
    for _ in range(8):
        code, body = api(visitor, server, "POST", "/demo/submit", {"kind": "wait", "seconds": 3})
        assert code == 202, body
        accepted.append(body["job"])

    # Killed once: its one retry runs it again. Killed again: no retry left, it fails.
    victim = _kill_early(connection, accepted)
    first = _abandoned(connection, victim, 1)
    assert first[0]["outcome"] == "retried"
    assert _kill_early(connection, [victim]) == victim
    second = _abandoned(connection, victim, 2)
    assert second[1]["outcome"] == "failed"

    def all_ended():
        return all(status(connection, job_id) in TERMINAL for job_id in accepted)

    wait_for(all_ended, 120, 0.2, "every accepted job to end")
    outcomes = {}
    for job_id in accepted:
        job = Job.fetch(job_id, connection=connection)
        registries = [r(job.origin, connection=connection) for r in
                      (FinishedJobRegistry, FailedJobRegistry, CanceledJobRegistry)]
        assert sum(job_id in r for r in registries) == 1, job_id
        assert job_id not in StartedJobRegistry(job.origin, connection=connection)
        history = job_events(connection, job_id)
        endings = [e for e in history if e["type"] in ("finished", "failed", "canceled")
                   or (e["type"] == "abandoned" and e.get("outcome") == "failed")]
        assert len(endings) == 1, (job_id, [e["type"] for e in history])
        outcomes[job_id] = status(connection, job_id)
    assert outcomes.pop(victim) == "failed"
    assert set(outcomes.values()) == {"finished"}


def test_each_page_can_bring_back_its_jobs_after_a_reload(client, presenter_client, connection):
    client.get("/demo/retries")
    post(client, "/demo/retries", {"fail_times": 1})
    post(client, "/demo/schedule", {"delay": 60, "note": "tea"})
    post(presenter_client, "/demo/highlight", {"code": "x", "language": "python"})
    retries = client.get("/demo/mine?demo=retries").get_json()["jobs"]
    assert [(j["label"], j["status"]) for j in retries] == [("fails 1×", "queued")]
    assert [j["label"] for j in client.get("/demo/mine").get_json()["jobs"]] == ["reminder: tea", "fails 1×"]
    assert [j["label"] for j in presenter_client.get("/demo/mine?demo=highlight").get_json()["jobs"]] == [
        "python snippet"]
