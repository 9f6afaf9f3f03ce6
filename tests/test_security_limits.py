"""Socket.IO events are rate-limited per connection; a connection that keeps flooding is cut off."""

import pytest

from demo import keys
from demo.extensions import socketio


@pytest.fixture
def app(app):
    # A small budget that does not refill during the test: 5 events, then 3 strikes.
    app.config.update(SOCKET_EVENT_RATE=0.001, SOCKET_EVENT_BURST=5, SOCKET_FLOOD_STRIKES=3)
    return app


def _job(sio, namespace=keys.LIVE_NAMESPACE):
    return sio.emit("job", {"id": "nope"}, namespace=namespace, callback=True)


def test_events_over_the_budget_are_answered_slow_down_without_running_their_handler(app, client):
    sio = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=client)
    answers = [_job(sio) for _ in range(6)]
    assert [a["error"] for a in answers[:5]] == ["no job with id 'nope'"] * 5  # the handler ran
    assert answers[5]["ok"] is False and answers[5]["error"].startswith("too many messages: slow down")
    assert answers[5]["retry_after"] > 0
    assert sio.is_connected(keys.LIVE_NAMESPACE)


def test_a_connection_that_keeps_flooding_is_disconnected_and_a_new_one_starts_afresh(app, client):
    sio = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=client)
    answers = [_job(sio) for _ in range(5 + 4)]  # the budget, three strikes, and one more
    assert [a["error"][:30] for a in answers[5:8]] == ["too many messages: slow down ("] * 3
    assert answers[8]["error"] == "too many messages: this connection is closed"
    assert not sio.is_connected(keys.LIVE_NAMESPACE)  # (on a real server its transport is closed too)
    fresh = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=client)
    assert fresh.is_connected(keys.LIVE_NAMESPACE) and _job(fresh)["error"] == "no job with id 'nope'"
    fresh.disconnect(keys.LIVE_NAMESPACE)


def test_the_deck_namespace_shares_the_limit(app, client):
    sio = socketio.test_client(app, namespace=keys.DECK_NAMESPACE, flask_test_client=client)
    answers = [sio.emit("state", {}, namespace=keys.DECK_NAMESPACE, callback=True) for _ in range(6)]
    assert all(a["ok"] for a in answers[:5]) and answers[5]["error"].startswith("too many messages")
    sio.disconnect(keys.DECK_NAMESPACE)


def test_the_presenter_gets_ten_times_the_budget(app, presenter_client):
    sio = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=presenter_client)
    answers = [_job(sio) for _ in range(51)]
    assert [a["error"] for a in answers[:50]] == ["no job with id 'nope'"] * 50
    assert answers[50]["error"].startswith("too many messages")
    sio.disconnect(keys.LIVE_NAMESPACE)


def test_the_console_namespace_shares_the_limit(app, client):
    sio = socketio.test_client(app, namespace=keys.CONSOLE_NAMESPACE, flask_test_client=client)
    answers = [sio.emit(keys.CONSOLE_HELLO_EVENT, {}, namespace=keys.CONSOLE_NAMESPACE, callback=True)
               for _ in range(6)]
    assert all(a["ok"] for a in answers[:5]) and answers[5]["error"].startswith("too many messages")
    sio.disconnect(keys.CONSOLE_NAMESPACE)
