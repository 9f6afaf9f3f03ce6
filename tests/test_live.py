"""The live pipeline: snapshot, ordered deltas, replay, reconciliation, auth."""

import subprocess
import sys

import pytest
from rq import Queue

from conftest import wait_for
from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue
from demo.live.wiring import start_watcher


def _received(sio, name):
    return [m["args"][0] for m in sio.get_received("/live") if m["name"] == name]


class Inbox:
    """Collects what a test client receives, across several reads."""

    def __init__(self, sio):
        self.sio, self.messages = sio, []

    def pull(self):
        self.messages += [(m["name"], m["args"][0]) for m in self.sio.get_received("/live")]
        return self

    def of(self, name):
        return [payload for kind, payload in self.pull().messages if kind == name]

    def events(self):
        return [e for delta in self.of("delta") for e in delta["events"]]


def _id(entry_id):
    return tuple(int(p) for p in entry_id.split("-"))


def test_hello_without_an_id_gets_a_snapshot_with_exact_counts(socket_client, connection):
    for _ in range(3):
        enqueue(connection, jobs.noop)
    Queue("high", connection=connection).enqueue(jobs.noop)
    ack = socket_client.emit("hello", {}, namespace="/live", callback=True)
    assert ack["mode"] == "snapshot"
    (snap,) = _received(socket_client, "snapshot")
    assert snap["counts"]["default"]["queued"] == 3 and snap["counts"]["high"]["queued"] == 1
    assert snap["last"] == events.last_id(connection)
    assert len(snap["lanes"]["default"]["queued"]) == 3
    assert all(snap["cards"][i]["func"] == "demo.jobs.noop" for i in snap["lanes"]["default"]["queued"])


def test_a_jobs_events_reach_the_client_in_order_with_no_gap(app, socket_client, connection, run_worker):
    socket_client.emit("hello", {}, namespace="/live", callback=True)
    inbox = Inbox(socket_client)
    last = inbox.of("snapshot")[0]["last"]
    start_watcher(app)
    wait_for(lambda: app.extensions["omq.watcher"].last_sent is not None, message="watcher primed")
    job = enqueue(connection, jobs.wait, 0.2, 2)
    run_worker("simple")
    wait_for(lambda: any(e["type"] == "finished" for e in inbox.events()), message="finished event")
    deltas = inbox.of("delta")
    for delta in deltas:  # each delta continues where the previous one ended
        assert delta["prev"] == last
        last = delta["last"]
    types = [e["type"] for e in inbox.events() if e.get("job") == job.id]
    assert types == ["enqueued", "started", "progress", "progress", "finished"]
    assert deltas[-1]["counts"]["default"]["finished"] == 1


def test_reconnect_with_last_id_replays_exactly_the_missed_events(app, socket_client, connection, run_worker):
    first = enqueue(connection, jobs.add, 1, 1)
    run_worker("simple")
    seen_up_to = events.last_id(connection)
    socket_client.disconnect("/live")
    second = enqueue(connection, jobs.add, 2, 2)
    run_worker("simple")
    socket_client.connect("/live")
    ack = socket_client.emit("hello", {"since": seen_up_to}, namespace="/live", callback=True)
    assert ack == {"ok": True, "mode": "replay", "count": 3}
    (delta,) = _received(socket_client, "delta")
    assert delta["prev"] == seen_up_to and delta["replay"] is True
    assert [(e["type"], e["job"]) for e in delta["events"]] == [
        ("enqueued", second.id), ("started", second.id), ("finished", second.id)]
    assert first.id not in {e["job"] for e in delta["events"]}


def test_an_id_older_than_the_stream_gets_a_snapshot(socket_client, connection):
    enqueue(connection, jobs.noop)
    ack = socket_client.emit("hello", {"since": "1-0"}, namespace="/live", callback=True)
    assert ack["mode"] == "snapshot"


@pytest.mark.parametrize("payload", [{"since": "<script>"}, {"since": 12}, "junk", None, {"since": "9" * 500}])
def test_malformed_hello_gets_a_snapshot_not_a_crash(socket_client, payload):
    ack = socket_client.emit("hello", payload, namespace="/live", callback=True)
    assert ack["mode"] == "snapshot"


def test_unknown_job_detail_is_a_clear_error(socket_client):
    ack = socket_client.emit("job", {"id": "nope"}, namespace="/live", callback=True)
    assert ack == {"ok": False, "error": "no job with id 'nope'"}
    ack = socket_client.emit("job", ["not", "a", "dict"], namespace="/live", callback=True)
    assert ack["ok"] is False and "give {id" in ack["error"]


def test_job_detail_escapes_nothing_but_truncates_arguments(socket_client, connection, run_worker):
    job = enqueue(connection, jobs.add, "<b>" * 200, "x")
    run_worker("simple")
    ack = socket_client.emit("job", {"id": job.id}, namespace="/live", callback=True)
    detail = ack["job"]
    assert detail["status"] == "finished" and len(detail["args"][0]) <= 200
    assert detail["result"].startswith("<b><b>")  # raw text, not a repr: the page escapes it


def test_an_audience_socket_cannot_act(socket_client, connection):
    job = enqueue(connection, jobs.noop)
    ack = socket_client.emit("action", {"op": "cancel", "job": job.id}, namespace="/live", callback=True)
    assert ack["ok"] is False and "presenter only" in ack["error"]
    assert job.get_status() == "queued"


def test_the_presenter_socket_can_act(presenter_socket, connection):
    job = enqueue(connection, jobs.noop)
    ack = presenter_socket.emit("action", {"op": "cancel", "job": job.id}, namespace="/live", callback=True)
    assert ack == {"ok": True, "job": job.id}
    assert job.get_status() == "canceled"
    assert events.since(connection, "0-0")[-1]["type"] == "canceled"
    ack = presenter_socket.emit("action", {"op": "explode"}, namespace="/live", callback=True)
    assert ack["ok"] is False and "unknown action" in ack["error"]


def test_a_plain_rq_worker_job_shows_up_through_reconciliation(app, socket_client, connection, redis_url):
    socket_client.emit("hello", {}, namespace="/live", callback=True)
    inbox = Inbox(socket_client)
    watcher = start_watcher(app)
    wait_for(lambda: watcher.last_sent is not None, message="watcher primed")
    job = Queue("default", connection=connection).enqueue(jobs.add, 4, 5)  # plain RQ: no event
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", redis_url, "default"],
                   check=True, capture_output=True, timeout=60)
    wait_for(lambda: any(e["type"] == "seen" and e["job"] == job.id and e["status"] == "finished"
                         for e in inbox.events()), message="reconciliation to report the job")
    wait_for(lambda: any(c["counts"]["default"]["finished"] == 1 for c in inbox.of("counts")),
             message="corrected counts")


def test_http_actions_are_presenter_only(client, presenter_client, connection):
    job = enqueue(connection, jobs.noop)
    response = client.post(f"/api/jobs/{job.id}/cancel")
    assert response.status_code == 403 and "presenter only" in response.get_json()["error"]
    response = presenter_client.post(f"/api/jobs/{job.id}/cancel")
    assert response.status_code == 200 and job.get_status() == "canceled"
    response = presenter_client.post("/api/jobs/nope/requeue")
    assert response.status_code == 400 and response.get_json()["error"] == "no job with id 'nope'"


def test_cross_site_posts_are_refused(presenter_client, connection):
    job = enqueue(connection, jobs.noop)
    response = presenter_client.post(f"/api/jobs/{job.id}/cancel", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "cross-site" in response.get_json()["error"]
    assert job.get_status() == "queued"


def test_wrong_presenter_token_is_refused(client):
    response = client.get("/presenter?token=guess")
    assert response.status_code == 403
    assert b"test-presenter-token" not in response.data


@pytest.mark.parametrize("job_id", ["<img src=x>", "a b", "x" * 101])
def test_a_job_id_rq_would_never_make_is_not_found_not_a_crash(client, presenter_client, socket_client, job_id):
    from urllib.parse import quote

    for url in (f"/api/jobs/{quote(job_id)}", f"/demo/jobs/{quote(job_id)}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "no job with id" in response.get_json()["error"]
    ack = socket_client.emit("job", {"id": job_id}, namespace="/live", callback=True)
    assert ack["ok"] is False and "no job with id" in ack["error"]
    response = presenter_client.post(f"/api/jobs/{quote(job_id)}/requeue")
    assert response.status_code == 400 and "no job with id" in response.get_json()["error"]
