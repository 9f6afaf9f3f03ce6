"""What the audience is told: headers, no internals, no email addresses, a sign-in that goes nowhere else.

The signed-in presenter sees everything (pids, the Redis URL, a mail job's
recipient in its detail); the audience gets what its pages need.
"""

import json
import logging
import re
from urllib.parse import quote

import pytest
from rq.cron import CronScheduler

from demo import jobs, keys
from demo.extensions import socketio
from demo.live import events
from demo.live.enqueue import enqueue
from demo.live.worker import LiveSimpleWorker
from demo.security import MASK
from conftest import wait_for
from demofixtures import post, smtp_sink  # noqa: F401 (fixture)

ADDRESS = "ada.lovelace@example.com"
MASKED = MASK + "@example.com"


@pytest.fixture
def worker(connection):
    """A registered worker, as serve's would be."""
    registered = LiveSimpleWorker(["default", "low"], connection=connection, name="omq.fork.0.abc123")
    registered.register_birth()
    registered.set_state("idle")
    yield registered
    registered.register_death()


def _numbers_like_ports_or_pids(text, pid):
    return str(pid) in text or re.search(r"127\.0\.0\.1|redis://|:\d{4,5}\b", text)


# --- point 8: /healthz, /api/snapshot, the schedule page ---------------------------


def test_healthz_tells_the_audience_states_and_the_presenter_everything(client, presenter_client, worker):
    audience = client.get("/healthz").get_json()
    assert audience == {"version": audience["version"], "redis": {"ok": True}, "workers": [{"state": "idle"}]}
    assert not _numbers_like_ports_or_pids(json.dumps(audience), worker.pid)
    presenter = presenter_client.get("/healthz").get_json()
    assert presenter["redis"]["url"].startswith("redis://127.0.0.1:") and presenter["redis"]["version"]
    assert presenter["workers"] == [{"name": worker.name, "pid": worker.pid, "state": "idle"}]


def test_the_snapshot_over_http_shows_the_audience_no_pids_and_nobody_a_hostname(client, presenter_client, worker):
    audience = client.get("/api/snapshot").get_json()
    assert audience["workers"] == [{"name": worker.name, "state": "idle", "current_job": None,
                                    "queues": ["default", "low"], "done": 0, "failed": 0}]
    presenter = presenter_client.get("/api/snapshot").get_json()
    assert presenter["workers"][0]["pid"] == worker.pid and "hostname" not in presenter["workers"][0]
    assert worker.hostname not in json.dumps(audience) + json.dumps(presenter)


def test_the_schedule_page_names_the_cron_scheduler_and_its_pid_to_the_presenter_only(client, presenter_client,
                                                                                      connection):
    scheduler = CronScheduler(connection=connection)
    scheduler.register(jobs.tick, "default", interval=10, name=keys.CRON_TICK_NAME)
    scheduler.register_birth()
    scheduler.heartbeat()
    try:
        audience = client.get("/demo/schedule/cron").get_json()
        assert audience["found"] is True and audience["running"] is True and audience["interval"] == 10
        assert "scheduler" not in audience and "pid" not in audience
        presenter = presenter_client.get("/demo/schedule/cron").get_json()
        assert presenter["scheduler"] == scheduler.name and presenter["pid"] == scheduler.pid
    finally:
        scheduler.register_death()


# --- point 8: a mail job's address ----------------------------------------------------


def test_a_mail_jobs_address_reaches_no_audience_view_but_the_presenters_detail(
        app, client, presenter_client, connection, run_worker, smtp_sink, monkeypatch):
    monkeypatch.setenv("SMTP_URL", smtp_sink.url)
    response = post(client, "/demo/mail", {"name": "Ada", "to": ADDRESS})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    run_worker("simple", queues=["low"])
    wait_for(lambda: any(e["type"] == "mail" for e in events.since(connection, "0-0")), message="the sink's event")
    events_text = json.dumps(events.since(connection, "0-0"), ensure_ascii=False)
    assert events_text.count(MASKED) >= 2  # the sink's event and the job's result, masked

    other = app.test_client()  # someone else in the room, who can read the job's id off the dashboard
    viewer = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=other)
    viewer.emit("hello", {"since": None}, namespace=keys.LIVE_NAMESPACE, callback=True)
    detail_ack = viewer.emit("job", {"id": job_id}, namespace=keys.LIVE_NAMESPACE, callback=True)
    audience_views = {
        "the event stream": events_text,
        "the live snapshot": json.dumps(viewer.get_received(keys.LIVE_NAMESPACE)),
        "a job's detail over Socket.IO": json.dumps(detail_ack),
        "/api/snapshot": other.get("/api/snapshot").get_data(as_text=True),
        "/api/jobs/<id>": other.get(f"/api/jobs/{job_id}").get_data(as_text=True),
        "/demo/jobs/<id>": other.get(f"/demo/jobs/{job_id}").get_data(as_text=True),
        "the mailbox": other.get("/demo/mail/messages").get_data(as_text=True),
    }
    viewer.disconnect(keys.LIVE_NAMESPACE)
    mails = other.get("/demo/mail/messages").get_json()["mails"]
    audience_views["a mail"] = other.get(f"/demo/mail/messages/{mails[0]['id']}").get_data(as_text=True)
    assert detail_ack["ok"] is True and detail_ack["job"]["args"][0] == f"'{MASKED}'"
    leaks = [name for name, text in audience_views.items() if "ada.lovelace" in text]
    assert leaks == [], f"the address reached the audience through {leaks}"

    detail = presenter_client.get(f"/api/jobs/{job_id}").get_json()
    assert detail["args"][0] == repr(ADDRESS)
    assert ADDRESS in presenter_client.get(f"/demo/jobs/{job_id}").get_data(as_text=True)
    assert ADDRESS in client.get(f"/demo/jobs/{job_id}").get_data(as_text=True)  # its sender's own page
    assert presenter_client.get("/demo/mail/messages").get_json()["mails"][0]["rcpt_tos"] == [ADDRESS]


def test_an_smtp_error_naming_the_address_is_masked_in_the_stream(connection):
    job = enqueue(connection, jobs.wait, 1, queue="low")
    events.publish(connection, "failed", job, info=f"SMTPRecipientsRefused: {{'{ADDRESS}': (550, b'no such user')}}")
    (failed,) = [e for e in events.since(connection, "0-0") if e["type"] == "failed"]
    assert failed["info"] == f"SMTPRecipientsRefused: {{'{MASKED}': (550, b'no such user')}}"


# --- point 8: headers -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/dashboard", "/healthz", "/api/snapshot", "/static/app.css", "/nowhere",
                                 "/demo/submit", "/presenter?token=wrong", "/socket.io/?EIO=4&transport=polling"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


# --- point 8: logs ------------------------------------------------------------------------


def test_hostile_values_reach_the_log_cut_and_printable(client, caplog):
    caplog.set_level(logging.WARNING, logger="demo")
    hostile = "\r\n2030-01-01 presenter signed in\x1b[2J" + "x" * 5000
    client.post("/api/queues/" + quote(hostile, safe="") + "/pause", headers={"Accept": "application/json"})
    (record,) = [r for r in caplog.records if "refused presenter call" in r.getMessage()]
    line = record.getMessage()
    assert line.isprintable() and "\\r\\n2030-01-01 presenter signed in\\x1b[2J" in line
    assert len(line) < 500


# --- point 5: sign-in goes to a path on this server, or nowhere ------------------------------

#: ``next`` as an attacker would write it in a link (the query is percent-decoded once).
OPEN_REDIRECTS = ["//evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
                  "%2F%2Fevil.example", "/%2F/evil.example", "/%5Cevil.example", "%5C%5Cevil.example",
                  "/%5C/evil.example", "/\\evil.example", "https://evil.example/", "http:evil.example",
                  "javascript:alert(1)", "//evil.example/%2F..", "%20//evil.example", "///evil.example",
                  "/%E3%80%80/evil.example", "/%EF%BC%8F%EF%BC%8Fevil.example", "%EF%BC%8F%EF%BC%8Fevil.example",
                  "data:text/html,x", "evil.example", "/%00/evil.example", "/%7F", "/" + "x" * 3000]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_anywhere_but_a_local_path_is_refused_before_sign_in(client, target):
    response = client.get(f"/presenter?token=test-presenter-token&next={target}")
    assert response.status_code == 400, response.headers.get("Location")
    assert "next must be a path on this server" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert client.get("/healthz").get_json()["redis"].get("url") is None  # not signed in


@pytest.mark.parametrize("target, location", [
    ("/deck/?presenter", "/deck/?presenter"), ("/dashboard%3Fbig%3D1", "/dashboard?big=1"), ("/", "/"),
    ("/demo/workers%3Fembed%3D1%23top", "/demo/workers?embed=1#top"),
    # Encoded twice: the browser keeps %2F and %09 in the path, so they stay on this server (a 404).
    ("/%252F%252Fevil.example", "/%2F%2Fevil.example"), ("/%2509/evil.example", "/%09/evil.example")])
def test_a_local_next_is_followed(client, target, location):
    response = client.get(f"/presenter?token=test-presenter-token&next={target}")
    assert response.status_code == 302 and response.headers["Location"] == location
