"""Blocking vs background: inline on the slides' app in a real gunicorn, or a job."""

import json
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rq import Queue

from conftest import ROOT, wait_for
from demo import keys
from demo.db import free_port
from demo.demos.blocking import gunicorn_state
from demo.live.wiring import start_watcher
from demo.runtime import gunicorn_conf
from demofixtures import job_events, post


def _demo_messages(sio):
    return [m["args"][0] for m in sio.get_received("/live") if m["name"] == keys.DEMO_EVENT]


def _web_events(connection):
    return [{k.decode(): v.decode() for k, v in fields.items()}
            for _, fields in connection.xrange(keys.EVENTS_STREAM) if fields[b"type"] == b"web"]


def _workers(connection):
    return {int(pid): json.loads(value) for pid, value in connection.hgetall(keys.BLOCKING_GUNICORN).items()}


@pytest.fixture
def gunicorn(app, connection, redis_url, tmp_path):
    """``gunicorn(timeout=None)``: the demo's real gunicorn (the slides' app and config) for ``app``."""
    started = []

    def start(timeout=None):
        port = free_port()
        log = open(tmp_path / "gunicorn.log", "wb")
        process = subprocess.Popen(gunicorn_conf.command(port, timeout), cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "REDIS_URL": redis_url})
        started.append((process, log))
        wait_for(lambda: process.poll() is None and len(_workers(connection)) == 2, 20, 0.1, "gunicorn's 2 workers")
        app.config["DEMO_GUNICORN_URL"] = f"http://127.0.0.1:{port}"
        return process

    yield start
    for process, log in started:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        log.close()


def _inline(app, seconds):
    """One inline request from its own test client (they run in parallel)."""
    response = post(app.test_client(), "/demo/blocking/inline", {"seconds": seconds})
    return response.status_code, response.get_json()


def test_inline_runs_the_slide_app_in_a_gunicorn_worker(app, client, connection, gunicorn):
    gunicorn()
    response = post(client, "/demo/blocking/inline", {"seconds": 0.3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"]["words"] == 3000  # the slide's count_words, run by gunicorn
    assert body["sample"]["path"] == "inline" and body["sample"]["ok"] is True
    assert body["sample"]["ms"] >= 300  # the request really waited for the work
    assert [json.loads(s) for s in connection.lrange(keys.BLOCKING_SAMPLES, 0, -1)] == [body["sample"]]
    (busy,) = [e for e in _web_events(connection) if e["state"] == "busy"]
    assert busy["info"] == "POST /report/inline?seconds=0.3"
    assert any(e["state"] == "idle" and e["pid"] == busy["pid"] for e in _web_events(connection)[-2:])


def test_the_running_gunicorn_is_the_slides_config(gunicorn, connection):
    assert (gunicorn_conf.workers, gunicorn_conf.timeout, gunicorn_conf.bind) == (2, 30, "127.0.0.1:8000")
    assert "--timeout" not in gunicorn_conf.command(8000)  # the file's timeout, unless the talk sets one
    gunicorn()
    workers = _workers(connection)
    assert len(workers) == 2 and {w["timeout"] for w in workers.values()} == {30}


def test_a_third_request_waits_in_gunicorns_backlog(app, connection, gunicorn):
    gunicorn()
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(_inline, app, 1.5) for _ in range(3)]
        # While both workers are busy, the third request is in flight but no worker has it.
        seen = wait_for(lambda: (lambda s: s if s["busy"] == 2 and s["inflight"] == 3 else None)(
            gunicorn_state(connection)), 10, 0.02, "both workers busy and a third request in flight")
        results = [f.result() for f in futures]
    assert seen["waiting"] == 1
    assert [code for code, _ in results] == [200, 200, 200]
    waits = sorted(body["sample"]["waited_ms"] for _, body in results)
    assert waits[2] >= waits[1] + 1000  # the third waited about one task (1.5 s) longer for a worker
    assert gunicorn_state(connection)["inflight"] == 0


def test_past_gunicorns_timeout_the_worker_is_killed(client, connection, gunicorn):
    gunicorn(timeout=2)
    before = set(_workers(connection))
    response = post(client, "/demo/blocking/inline", {"seconds": 8})
    assert response.status_code == 502
    body = response.get_json()
    assert body["error"].startswith("502 Bad Gateway: gunicorn killed the worker after its 2 s timeout")
    assert body["sample"]["ok"] is False and body["sample"]["ms"] < 6000
    (timeout,) = [e for e in _web_events(connection) if e["state"] == "timeout"]
    assert timeout["info"] == f"WORKER TIMEOUT (pid:{timeout['pid']})"  # gunicorn's own words
    assert int(timeout["pid"]) in before
    # gunicorn replaces the worker it killed: two workers again, one of them new.
    after = wait_for(lambda: (lambda w: w if len(w) == 2 and int(timeout["pid"]) not in w else None)(
        _workers(connection)), 15, 0.1, "a new worker")
    assert len(set(after) - before) == 1


def test_past_the_proxys_timeout_the_visitor_gets_504_and_the_worker_keeps_working(
        app, client, connection, gunicorn):
    gunicorn()
    app.config["DEMO_REQUEST_TIMEOUT"] = 1
    response = post(client, "/demo/blocking/inline", {"seconds": 2.5})
    assert response.status_code == 504
    assert response.get_json()["error"].startswith("504 Gateway Timeout: no answer within 1 s")
    assert [w["state"] for w in _workers(connection).values()].count("busy") == 1  # still busy, for nobody
    wait_for(lambda: all(w["state"] == "idle" for w in _workers(connection).values()), 10, 0.1, "the worker done")


def test_without_its_gunicorn_the_inline_path_says_so(client, connection):
    response = post(client, "/demo/blocking/inline", {"seconds": 1})
    assert response.status_code == 503 and "gunicorn is not running" in response.get_json()["error"]


def test_background_answers_202_at_once_and_the_result_is_pushed_when_ready(
        app, client, connection, run_worker, socket_client):
    watcher = start_watcher(app)
    wait_for(lambda: watcher.last_sent is not None, message="watcher primed")
    response = post(client, "/demo/blocking/background", {"seconds": 0.3})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    assert response.get_json()["sample"]["path"] == "background"
    assert [e["type"] for e in job_events(connection, job_id)] == ["enqueued"]  # nothing ran in the request

    run_worker("simple", queues=["low"])
    pushed = lambda: [e for m in socket_client.get_received("/live") if m["name"] == "delta"  # noqa: E731
                      for e in m["args"][0]["events"] if e.get("job") == job_id]
    seen = []
    wait_for(lambda: seen.extend(pushed()) or any(e["type"] == "finished" for e in seen), message="finished pushed")
    detail = client.get(f"/demo/jobs/{job_id}").get_json()
    assert detail["status"] == "finished"
    assert detail["result"]["summary"] == "report ready after 0.3 s"


def test_every_sample_and_the_requests_in_flight_are_pushed_to_every_viewer(client, socket_client, gunicorn):
    gunicorn()
    socket_client.get_received("/live")
    post(client, "/demo/blocking/inline", {"seconds": 0.1})
    post(client, "/demo/blocking/background", {"seconds": 0.1})
    messages = _demo_messages(socket_client)
    samples = [m["sample"]["path"] for m in messages if "sample" in m]
    assert samples == ["inline", "background"]
    inflight = [m["pool"]["inflight"] for m in messages if "pool" in m]
    assert inflight == [1, 0]  # sent to gunicorn, then answered
    assert len(messages[0]["pool"]["workers"]) == 2
    history = client.get("/demo/blocking/samples").get_json()
    assert [s["path"] for s in history["samples"]] == ["inline", "background"]  # oldest first
    assert history["pool"]["router_timeout"] == 30


@pytest.mark.parametrize("raw", ['{"seconds": -1}', '{"seconds": 0}', '{"seconds": "abc"}', '{"seconds": ""}',
                                 '{"seconds": null}', '{"seconds": true}', '{"seconds": [5]}', '{"seconds": 1e9}',
                                 '{"seconds": NaN}', '{"seconds": Infinity}', '{}', '[5]'])
@pytest.mark.parametrize("path", ["inline", "background"])
def test_bad_durations_are_400(client, connection, path, raw):
    response = client.post(f"/demo/blocking/{path}", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("seconds must be a number from 0.1 to 60 s", "send a JSON object")
    assert len(Queue("low", connection=connection)) == 0


def test_cross_site_and_non_json_posts_are_refused(client, connection):
    response = post(client, "/demo/blocking/background", {"seconds": 1}, Origin="http://evil.example")
    assert response.status_code == 403 and "cross-site" in response.get_json()["error"]
    response = client.post("/demo/blocking/background", data={"seconds": "1"})  # a plain HTML form
    assert response.status_code == 415 and "send JSON" in response.get_json()["error"]
    assert len(Queue("low", connection=connection)) == 0


@pytest.mark.slow
def test_serve_talk_runs_the_blocking_demos_gunicorn_with_the_talks_timeouts(serve):
    server = serve(workers=0, extra=["--talk"])
    pool = wait_for(lambda: (lambda p: p if len(p["workers"]) == 2 else None)(
        requests.get(server.base + "/demo/blocking/samples", timeout=5).json()["pool"]), 20, 0.2, "gunicorn up")
    assert pool["timeout"] == 8 and pool["router_timeout"] == 10  # what the slide says
    assert "Blocking:  gunicorn (slides/code/app.py, 2 sync workers, timeout 8)" in server.output()
    answered = requests.post(server.base + "/demo/blocking/inline", json={"seconds": 0.5}, timeout=10)
    assert answered.status_code == 200 and answered.json()["result"]["words"] == 3000
    page = requests.get(server.base + "/demo/blocking", timeout=5).text
    assert "timeout 8 s" in page and "10 s" in page
