"""The talk's choreography: controls the demo slides' notes tell the presenter to press."""

import pytest
from playwright.sync_api import expect
from rq import Queue

from demo import keys
from demo.live import actions
from test_dashboard import WAIT, open_dashboard


def test_the_presenter_enqueues_a_burst_and_every_dashboard_hears_of_it(presenter_socket, socket_client, connection):
    ack = presenter_socket.emit("action", {"op": "burst", "queue": "default", "count": 10}, namespace="/live",
                                callback=True)
    assert ack["ok"] is True and len(ack["jobs"]) == 10
    queue = Queue("default", connection=connection)
    assert sorted(queue.job_ids) == sorted(ack["jobs"])
    for job in queue.jobs:
        low, high = actions.BURST_SECONDS
        assert job.func_name == "demo.jobs.wait" and low <= job.args[0] <= high and job.meta["nick"] == "presenter"
    enqueued = [f for _, f in connection.xrange(keys.EVENTS_STREAM) if f[b"type"] == b"enqueued"]
    assert len(enqueued) == 10  # written with the jobs, so every dashboard sees them arrive


@pytest.mark.parametrize("body, message", [
    ({"op": "burst", "queue": "nope"}, "unknown queue 'nope'"),
    ({"op": "burst", "queue": "default", "count": 0}, "give 'count' as a whole number from 1 to 50"),
    ({"op": "burst", "queue": "default", "count": 51}, "give 'count' as a whole number from 1 to 50"),
    ({"op": "burst", "queue": "default", "count": "10"}, "give 'count' as a whole number from 1 to 50"),
])
def test_a_bad_burst_is_refused_and_enqueues_nothing(presenter_socket, connection, body, message):
    ack = presenter_socket.emit("action", body, namespace="/live", callback=True)
    assert ack["ok"] is False and ack["error"].startswith(message)
    assert connection.keys("rq:queue:*") == []


def test_the_audience_cannot_enqueue_a_burst(socket_client, client, connection):
    ack = socket_client.emit("action", {"op": "burst", "queue": "default"}, namespace="/live", callback=True)
    assert ack["ok"] is False and "presenter only" in ack["error"]
    assert client.post("/api/queues/default/burst", json={"count": 5}).status_code == 403
    assert connection.keys("rq:queue:*") == []


def test_the_burst_over_http_for_the_presenter(presenter_client, connection):
    response = presenter_client.post("/api/queues/low/burst", json={"count": 3})
    assert response.status_code == 200 and len(response.get_json()["jobs"]) == 3
    assert Queue("low", connection=connection).count == 3


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_slides_burst_button_fills_the_lanes(new_page, serve, connection):
    server = serve(workers=1)
    audience = open_dashboard(new_page(), server)
    presenter = open_dashboard(new_page(), server, presenter=True)
    expect(audience.locator('[data-action="burst"]')).to_have_count(0)
    presenter.locator('.queue[data-queue="high"] [data-action="burst"]').click()
    lanes = audience.locator('.queue[data-queue="high"] .card')
    expect(lanes).to_have_count(10, timeout=WAIT)
    expect(audience.locator('.queue[data-queue="high"] .lane-finished .card').first).to_be_visible(timeout=WAIT)
    assert audience.script_errors == [] and presenter.script_errors == []
