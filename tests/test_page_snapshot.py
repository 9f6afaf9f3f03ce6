"""The dashboard page carries its first snapshot: the state now, inert as data."""

import json
import re

from demo import jobs
from demo.live import events
from demo.live.enqueue import enqueue

HOSTILE = "</script><img src=x onerror=alert(1)>"


def _carried(body):
    found = re.search(r'<script type="application/json" id="omq-snapshot">(.*?)</script>', body, re.S)
    assert found, "the page carries no snapshot"
    return json.loads(found.group(1))


def test_the_dashboard_page_carries_the_state_and_its_last_event(client, connection):
    job = enqueue(connection, jobs.noop, queue="high")
    body = client.get("/dashboard").get_data(as_text=True)
    snapshot = _carried(body)
    assert snapshot["last"] == events.last_id(connection)
    assert snapshot["counts"]["high"]["queued"] == 1
    assert snapshot["lanes"]["high"]["queued"] == [job.id]


def test_a_hostile_nick_stays_data_in_the_carried_snapshot(client, connection):
    job = enqueue(connection, jobs.noop, meta={"nick": HOSTILE})
    body = client.get("/dashboard").get_data(as_text=True)
    assert "</script><img" not in body
    assert _carried(body)["cards"][job.id]["nick"] == HOSTILE


def test_without_redis_the_page_still_comes_without_a_snapshot(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    from demo.db import init_app

    init_app(app)  # clients on a port nothing listens on
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert 'id="omq-snapshot"' not in response.get_data(as_text=True)
