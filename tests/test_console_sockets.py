"""The console page and its Socket.IO namespace: visitors by cookie, the presenter mirrored to everyone."""

import re

import pytest

from consolefixtures import console, console_app, sandbox, sandbox_server  # noqa: F401
from demo import keys
from demo.extensions import socketio

NS = keys.CONSOLE_NAMESPACE


@pytest.fixture
def connect(console_app):
    """``connect(http_client)``: a Socket.IO client of /console with that browser's cookies."""
    made = []

    def make(http):
        http.get("/demo/redis")  # the page gives a new visitor their id
        sio = socketio.test_client(console_app, namespace=NS, flask_test_client=http)
        made.append(sio)
        return sio

    yield make
    for sio in made:
        if sio.is_connected(NS):
            sio.disconnect(NS)


def run(sio, line, **extra):
    return sio.emit(keys.CONSOLE_RUN_EVENT, {"line": line, **extra}, namespace=NS, callback=True)


def texts(answer):
    return [block["text"] for block in answer["output"]]


def entries(sio):
    return [m["args"][0] for m in sio.get_received(NS) if m["name"] == keys.CONSOLE_ENTRY_EVENT]


def test_the_page_is_a_terminal_that_embeds(console_app, client):
    page = client.get("/demo/redis")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-demo="redis"' in html and 'data-mode="sandbox"' in html and 'id="line"' in html
    assert 'data-examples="SET name fido|GET name|' in html
    assert "topbar" in html and "Presenter's console" in html
    embedded = client.get("/demo/redis?embed=1&mode=queue").get_data(as_text=True)
    assert "topbar" not in embedded and 'data-mode="queue"' in embedded
    assert "/static/console/console.js" in html
    assert "Try Redis" in client.get("/demo/").get_data(as_text=True)


def test_two_browsers_have_their_own_sandboxes(console_app, connect):
    alice, bob = connect(console_app.test_client()), connect(console_app.test_client())
    assert texts(run(alice, "SET name fido")) == ["OK"]
    assert texts(run(bob, "GET name")) == ["(nil)"]
    assert texts(run(bob, "SET name rex")) == ["OK"]
    assert texts(run(alice, "KEYS *")) == ['1) "name"']
    assert texts(run(alice, "GET name")) == ['"fido"']
    assert entries(bob) == []  # an audience member's commands are theirs alone


def test_the_presenters_commands_reach_every_console_page_in_order(console_app, connect, presenter_client, client):
    audience = connect(client)
    presenter = connect(presenter_client)
    first = run(presenter, "SET name fido")
    second = run(presenter, "GET name")
    assert texts(second) == ['"fido"']
    got = entries(audience)
    assert [(e["line"], e["mode"], [o["text"] for o in e["output"]]) for e in got] == [
        ("SET name fido", "sandbox", ["OK"]), ("GET name", "sandbox", ['"fido"'])]
    assert got[0]["id"] == first["entry"] and got[1]["id"] == second["entry"] and got[1]["prev"] == got[0]["id"]
    # QUEUE mode and CLEAR are mirrored too.
    run(presenter, "LRANGE rq:queue:low 0 -1", mode="queue")
    run(presenter, "CLEAR")
    later = entries(audience)
    assert later[0]["mode"] == "queue" and later[0]["output"][0]["text"] == "(empty array)"
    assert later[1]["clear"] is True
    assert "test-presenter-token" not in repr([first, second, got, later])  # the token never travels


def test_a_page_that_reconnects_gets_exactly_what_it_missed(console_app, connect, presenter_client, client):
    presenter = connect(presenter_client)
    known = run(presenter, "SET a 1")["entry"]
    missed = [run(presenter, f"SET b{n} 2")["entry"] for n in range(3)]
    audience = connect(client)
    hello = audience.emit(keys.CONSOLE_HELLO_EVENT, {"since": known}, namespace=NS, callback=True)
    assert hello["ok"] and hello["complete"] is True and hello["presenter"] is False
    assert [e["id"] for e in hello["entries"]] == missed
    fresh = audience.emit(keys.CONSOLE_HELLO_EVENT, {"since": None}, namespace=NS, callback=True)
    assert fresh["complete"] is False and [e["id"] for e in fresh["entries"]] == [known, *missed]
    lost = audience.emit(keys.CONSOLE_HELLO_EVENT, {"since": "1-0"}, namespace=NS, callback=True)
    assert lost["complete"] is False and len(lost["entries"]) == 4  # fell behind: the latest, from scratch
    junk = audience.emit(keys.CONSOLE_HELLO_EVENT, {"since": "<script>"}, namespace=NS, callback=True)
    assert junk["ok"] and junk["complete"] is False


def test_the_transcript_is_capped(console_app, connect, presenter_client, connection):
    console_app.config.update(SOCKET_EVENT_BURST=1000)  # 350 runs at once: past the per-connection event limit
    presenter = connect(presenter_client)
    for n in range(keys.CONSOLE_TRANSCRIPT_MAXLEN + 150):
        run(presenter, "PING")
    assert connection.xlen(keys.CONSOLE_TRANSCRIPT) < keys.CONSOLE_TRANSCRIPT_MAXLEN + 150


@pytest.mark.parametrize("payload", [None, "GET x", {"line": 5}, {"nope": 1}, {"line": "x", "a": 1, "b": 2, "c": 3,
                                                                               "d": 4}])
def test_malformed_runs_get_a_clear_answer(console_app, connect, client, payload):
    sio = connect(client)
    answer = sio.emit(keys.CONSOLE_RUN_EVENT, payload, namespace=NS, callback=True)
    assert answer == {"ok": False, "error": "run: give {line: text, mode: sandbox | queue, step: number}"}
    assert texts(run(sio, "PING", mode="<b>", step="x")) == ["PONG"]


def test_without_a_sandbox_the_console_says_how_to_get_one(app, client):
    assert app.config["CONSOLE_SANDBOX_URL"] is None
    sio = socketio.test_client(app, namespace=NS, flask_test_client=client)
    (text,) = texts(run(sio, "GET name"))
    assert re.fullmatch(r"\(error\) the sandbox is not running: start the demo with 'python -m demo serve'", text)
    sio.disconnect(NS)
