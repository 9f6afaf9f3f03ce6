"""Blocking vs background: inline on a small pool with a timeout, or a job."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rq import Queue

from conftest import wait_for
from demo import keys
from demo.live.wiring import start_watcher
from demofixtures import job_events, post


def _demo_messages(sio):
    return [m["args"][0] for m in sio.get_received("/live") if m["name"] == keys.DEMO_EVENT]


def test_inline_runs_the_task_in_the_request_and_records_its_time(client, connection):
    response = post(client, "/demo/blocking/inline", {"seconds": 0.2})
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"]["summary"] == "report ready after 0.2 s"
    assert body["sample"]["path"] == "inline" and body["sample"]["ok"] is True
    assert body["sample"]["ms"] >= 200  # the request really waited for the work
    stored = [json.loads(s) for s in connection.lrange(keys.BLOCKING_SAMPLES, 0, -1)]
    assert stored == [body["sample"]]


def test_inline_past_the_timeout_gets_the_504_the_slides_describe(app, client, connection):
    app.config["DEMO_REQUEST_TIMEOUT"] = 0.5
    response = post(client, "/demo/blocking/inline", {"seconds": 5})
    assert response.status_code == 504
    body = response.get_json()
    assert body["error"].startswith("504 Gateway Timeout: no response within 0.5 s")
    assert "background job" in body["error"]
    assert body["sample"]["ok"] is False and body["sample"]["ms"] < 5000  # cut off, not finished
    assert json.loads(connection.lindex(keys.BLOCKING_SAMPLES, 0))["ok"] is False


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


def test_every_sample_and_the_pool_are_pushed_to_every_viewer(client, socket_client):
    socket_client.get_received("/live")
    post(client, "/demo/blocking/inline", {"seconds": 0.1})
    post(client, "/demo/blocking/background", {"seconds": 0.1})
    messages = _demo_messages(socket_client)
    samples = [m["sample"]["path"] for m in messages if "sample" in m]
    assert samples == ["inline", "background"]
    pools = [m["pool"] for m in messages if "pool" in m and "sample" not in m]
    assert {"size": 2, "busy": 1, "waiting": 0} in pools  # the slot was taken, then given back
    assert pools[-1] == {"size": 2, "busy": 0, "waiting": 0}
    history = client.get("/demo/blocking/samples").get_json()
    assert [s["path"] for s in history["samples"]] == ["inline", "background"]  # oldest first


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
def test_requests_past_the_pool_wait_in_line_and_time_out(serve):
    """Three 3-second tasks on 2 slots with a 5-second timeout: the third waits, then times out."""
    server = serve(workers=0, env={"DEMO_REQUEST_TIMEOUT": "5"})

    def inline(_):
        response = requests.post(server.base + "/demo/blocking/inline", json={"seconds": 3}, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(inline, range(3)))
    assert sorted(code for code, _ in results) == [200, 200, 504]
    # The one cut off is the one that had to wait: at least 3 s in line plus 3 s of work > 5 s.
    (late,) = [body for code, body in results if code == 504]
    assert "no response within 5 s" in late["error"]
    assert all(body["sample"]["queued"] is False for code, body in results if code == 200)
    answered = requests.post(server.base + "/demo/blocking/background", json={"seconds": 1}, timeout=10)
    assert answered.status_code == 202
