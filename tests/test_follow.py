"""The presenter drives, the audience follows: /deck sockets, the deck page, /join, ::qr."""

import logging
import re
import time
from pathlib import Path

import pytest
import requests
import segno

from conftest import wait_for
from demo import keys
from demo.extensions import socketio
from demo.talk.follow import key_fingerprint, read_state
from demo.runtime.serve import public_base
from slidekit import BuildError, build

DECK = Path(__file__).parent / "decks" / "follow"
NS = keys.DECK_NAMESPACE


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    """The fixture deck, built: 5 slides; slide index 1 has 2 steps, index 2 a dashboard widget."""
    out = tmp_path_factory.mktemp("follow") / "site"
    build(str(DECK), str(out))
    return out


@pytest.fixture
def app(app, site_dir):
    app.config["SITE_DIR"] = str(site_dir)
    return app


PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"


def sign_in(app, user_agent=None):
    client = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    assert client.get("/presenter?token=test-presenter-token", headers=headers).status_code == 302
    return client


class Deck:
    """A Socket.IO test client on /deck with what it received, in order."""

    def __init__(self, app, http_client, auth=None):
        self.sio = socketio.test_client(app, namespace=NS, flask_test_client=http_client, auth=auth)
        self.messages = []

    def pull(self):
        self.messages += [(m["name"], m["args"][0]) for m in self.sio.get_received(NS)]
        return self.messages

    def of(self, name):
        return [payload for kind, payload in self.pull() if kind == name]

    def role(self):
        return self.of("driver")[-1]["role"]

    def state(self):
        return self.of("state")[-1]

    def move(self, seq, h, f=0, panel=None):
        return self.sio.emit("move", {"seq": seq, "h": h, "f": f, "panel": panel}, namespace=NS, callback=True)

    def emit(self, name, data=None):
        return self.sio.emit(name, data or {}, namespace=NS, callback=True)

    def close(self):
        if self.sio.is_connected(NS):
            self.sio.disconnect(NS)


@pytest.fixture
def sockets(app):
    """Factory: ``sockets()`` for an audience socket, ``sockets(http_client)`` for a given session."""
    made = []

    def make(http_client=None, auth=None):
        deck = Deck(app, http_client or app.test_client(), auth)
        made.append(deck)
        return deck

    yield make
    for deck in made:
        deck.close()


@pytest.fixture
def presenter(app, sockets):
    deck = sockets(sign_in(app))
    assert deck.role() == "driver"
    return deck


# --- auth and roles -------------------------------------------------------------


def test_first_presenter_session_drives_and_the_audience_follows(presenter, sockets):
    audience = sockets()
    assert audience.role() == "audience"
    assert presenter.move(1, 1, 2) == {"ok": True, "seq": 1}
    state = audience.state()
    assert (state["seq"], state["h"], state["f"], state["panel"]) == (1, 1, 2, None)
    assert presenter.state()["h"] == 1  # the driver's other tabs learn the number too


def test_an_audience_move_is_refused_logged_and_changes_nothing(presenter, sockets, connection, caplog):
    presenter.move(1, 3)
    audience, other = sockets(), sockets()
    other.pull()
    with caplog.at_level(logging.WARNING):
        ack = audience.move(99, 0)
    assert ack["ok"] is False and "presenter only" in ack["error"]
    assert read_state(connection)["h"] == 3 and read_state(connection)["seq"] == 1
    assert other.of("state")[-1]["h"] == 3 and len(other.of("state")) == 1  # nothing new was sent
    assert any("refused deck move from audience socket" in r.getMessage() for r in caplog.records)


def test_an_audience_socket_cannot_take_over(presenter, sockets):
    audience = sockets()
    ack = audience.emit("takeover")
    assert ack["ok"] is False and "presenter only" in ack["error"]
    assert presenter.move(1, 1)["ok"] is True  # the driver still drives


def test_a_wrong_token_gives_no_presenter_session(app, sockets):
    client = app.test_client()
    assert client.get("/presenter?token=not-the-token").status_code == 403
    deck = sockets(client)
    assert deck.role() == "audience"
    assert deck.move(1, 1)["ok"] is False


# --- late join and reconnect ------------------------------------------------------


def test_a_late_joiner_gets_the_live_state_at_once(presenter, sockets):
    presenter.move(1, 1, 1)
    presenter.move(2, 2, 0, "dashboard")
    late = sockets()
    names = [name for name, _ in late.pull()]
    assert names == ["driver", "state"]  # on connect, before anyone moves again
    assert {k: late.state()[k] for k in ("seq", "h", "f", "panel")} == {"seq": 2, "h": 2, "f": 0, "panel": "dashboard"}


def test_a_reconnecting_client_lands_on_the_live_slide(presenter, sockets):
    audience = sockets()
    presenter.move(1, 1)
    assert audience.state()["h"] == 1
    audience.sio.disconnect(NS)
    presenter.move(2, 1, 1)
    presenter.move(3, 4)
    audience.sio.connect(NS)
    assert audience.state()["h"] == 4 and audience.state()["seq"] == 3


def test_before_any_move_the_state_is_the_first_slide(sockets):
    state = sockets().state()
    assert (state["seq"], state["h"], state["f"], state["panel"]) == (0, 0, 0, None)


# --- sequence numbers and validation ------------------------------------------


def test_stale_moves_are_dropped_with_an_ack_saying_so(presenter, sockets, connection):
    audience = sockets()
    assert presenter.move(5, 3)["ok"] is True
    for seq in (5, 4):
        ack = presenter.move(seq, 1)
        assert ack["ok"] is False and ack["stale"] is True
        assert ack["state"]["seq"] == 5 and ack["state"]["h"] == 3
    assert read_state(connection)["h"] == 3
    assert [s["h"] for s in audience.of("state")] == [0, 3]  # the connect state, then one move


@pytest.mark.parametrize("move, message", [
    ({"seq": 1, "h": 5, "f": 0}, "has 5 slides"),
    ({"seq": 1, "h": 1, "f": 3}, "has 2 steps"),
    ({"seq": 1, "h": 0, "f": 0, "panel": "dashboard"}, "shows no widget 'dashboard'"),
    ({"seq": 1, "h": 2, "f": 0, "panel": "<script>"}, "panel must be a widget name"),
    ({"seq": 0, "h": 1, "f": 0}, "seq must be between"),
    ({"seq": True, "h": 1, "f": 0}, "seq must be a whole number"),
    ({"seq": 1, "h": -1, "f": 0}, "h must be a whole number"),
    ({"seq": 1, "h": "2", "f": 0}, "h must be a whole number"),
    ("next", "give {seq, h, f, panel}"),
])
def test_moves_outside_the_built_deck_are_refused(presenter, connection, move, message):
    ack = presenter.emit("move", move)
    assert ack["ok"] is False and message in ack["error"]
    assert read_state(connection)["seq"] == 0


def test_without_deck_json_moves_are_checked_against_caps(app, presenter, tmp_path):
    app.config["SITE_DIR"] = str(tmp_path)  # no deck.json here
    assert presenter.move(1, 40, 7, "anything")["ok"] is True
    assert "beyond" in presenter.move(2, 10_000)["error"]


# --- one driver -----------------------------------------------------------------


def test_a_second_session_waits_until_it_takes_over_and_the_first_is_told(app, presenter, sockets):
    audience = sockets()
    phone = sockets(sign_in(app))
    assert phone.role() == "standby"
    refused = phone.move(1, 1)
    assert refused["ok"] is False and refused["role"] == "standby"

    ack = phone.emit("takeover")
    assert ack["ok"] is True and ack["role"] == "driver"
    told = presenter.of("driver")[-1]
    assert told["role"] == "standby" and "taken over" in told["reason"]
    assert phone.role() == "driver"

    assert presenter.move(1, 1)["ok"] is False  # the laptop follows now
    assert phone.move(1, 2)["ok"] is True
    assert audience.state()["h"] == 2 and presenter.state()["h"] == 2


def test_every_tab_of_the_replaced_session_is_told(app, sockets):
    laptop = sign_in(app)
    tab, presenter_view = sockets(laptop), sockets(laptop)
    assert tab.role() == presenter_view.role() == "driver"
    sockets(sign_in(app)).emit("takeover")
    assert tab.role() == presenter_view.role() == "standby"


def test_the_driver_keeps_its_seat_across_a_reconnect(app, presenter, sockets):
    standby = sockets(sign_in(app))
    presenter.sio.disconnect(NS)
    presenter.sio.connect(NS)
    assert presenter.role() == "driver" and standby.role() == "standby"
    assert presenter.move(1, 1)["ok"] is True


def test_a_driver_signed_with_an_old_secret_key_does_not_block_the_seat(app, connection, sockets):
    # serve makes a new secret key per start: sessions from before can never come back.
    connection.hset(keys.DECK_DRIVER.format(keys.DECK_ID),
                    mapping={"id": "gone", "key": key_fingerprint("an old key"), "since": 0})
    assert sockets(sign_in(app)).role() == "driver"


def test_a_live_driver_is_not_replaced_by_claiming(app, connection, presenter, sockets):
    sockets(sign_in(app))
    stored = connection.hget(keys.DECK_DRIVER.format(keys.DECK_ID), "key").decode()
    assert stored == key_fingerprint(app.config["SECRET_KEY"])
    assert presenter.move(1, 1)["ok"] is True


# --- the seat follows the person (issue 10) ----------------------------------------


def test_a_new_sign_in_takes_the_seat_of_a_driver_with_no_socket_left(app, sockets):
    laptop = sockets(sign_in(app))
    assert laptop.role() == "driver"
    laptop.close()  # the tab is closed
    phone = sockets(sign_in(app, PHONE))
    assert phone.role() == "driver"  # no "Take over" needed
    assert phone.move(1, 1)["ok"] is True
    laptop.sio.connect(NS)  # the laptop comes back: it follows the phone now
    assert laptop.role() == "standby" and laptop.of("driver")[-1]["holder"] == "phone"


def test_a_driver_with_a_socket_keeps_its_seat_against_a_new_sign_in(app, presenter, sockets):
    phone = sockets(sign_in(app, PHONE))
    assert phone.role() == "standby" and phone.of("driver")[-1]["holder"] == "laptop"
    assert phone.emit("takeover", {"if_free": True}) == {
        "ok": False, "error": "the laptop session drives: take over to drive", "role": "standby",
        "holder": "laptop", "state": phone.state()}
    assert presenter.move(1, 1)["ok"] is True


def test_the_page_says_what_it_runs_on(app, sockets):
    phone = sockets(sign_in(app), auth={"device": "phone"})  # a touch screen the size of a phone
    assert phone.role() == "driver"
    laptop = sockets(sign_in(app, PHONE), auth={"device": "laptop"})  # whatever its user agent says
    assert laptop.of("driver")[-1]["holder"] == "phone"
    laptop.emit("takeover")
    assert phone.of("driver")[-1]["role"] == "standby"
    phone.sio.disconnect(NS)
    phone.sio.connect(NS, auth={"device": "bogus"})  # not a device: the sign-in's guess stands
    assert phone.of("driver")[-1]["holder"] == "laptop"


def test_an_older_session_takes_a_seat_only_after_the_driver_has_been_gone_a_while(app, sockets):
    laptop = sockets(sign_in(app))
    phone = sockets(sign_in(app, PHONE))
    assert phone.emit("takeover")["ok"] is True  # the phone drives; the laptop signed in before that
    phone.close()  # its screen locks
    assert laptop.emit("takeover", {"if_free": True})["holder"] == "phone"  # ask, don't take
    laptop.close()
    laptop.sio.connect(NS)
    assert laptop.role() == "standby"  # a reconnect is not a new sign-in

    app.config["DECK_SEAT_GRACE"] = 0.3
    time.sleep(0.35)
    assert laptop.emit("takeover", {"if_free": True})["ok"] is True
    assert laptop.role() == "driver"
    phone.sio.connect(NS)
    assert phone.role() == "standby"


def test_the_sockets_of_a_crashed_server_process_stop_holding_the_seat(app, connection, sockets):
    driver_key, presence = keys.DECK_DRIVER.format(keys.DECK_ID), keys.DECK_PRESENCE.format(keys.DECK_ID)
    connection.hset(driver_key, mapping={"id": "old", "key": key_fingerprint(app.config["SECRET_KEY"]),
                                         "since": int(time.time() * 1000) + 60_000, "device": "laptop"})
    connection.zadd(presence, {"old deadprocess": time.time() * 1000 - 1})  # its entry lapsed
    assert sockets(sign_in(app)).role() == "driver"


def test_presence_lists_presenter_sessions_only_and_forgets_them_when_they_leave(app, connection, presenter, sockets):
    presence = keys.DECK_PRESENCE.format(keys.DECK_ID)
    sockets()  # the audience is never recorded
    members = [m.decode().split()[0] for m in connection.zrange(presence, 0, -1)]
    assert len(members) == 1
    presenter.close()
    assert connection.zcard(presence) == 0
    assert connection.hget(keys.DECK_DRIVER.format(keys.DECK_ID), "gone") is not None


# --- the deck page, /join and ::qr --------------------------------------------


def test_the_deck_page_carries_the_live_plugin_and_its_assets_exist(client):
    page = client.get("/deck/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<!-- omq:inject -->" not in html
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+)"', html):
        assert client.get(src).status_code == 200, src
    assert '/static/live/deck-live.js' in html and '/vendor/socket.io.min.js' in html
    assert client.get("/deck/deck/deck.js").status_code == 200  # the rest of site/ as before


def test_join_shows_the_audience_url_and_a_matching_qr_code(client):
    page = client.get("/join", base_url="http://talk.local:5000").get_data(as_text=True)
    assert "http://talk.local:5000/deck/" in page
    svg = client.get("/join/qr.svg", base_url="http://talk.local:5000")
    assert svg.mimetype == "image/svg+xml"
    assert svg.data == _qr("http://talk.local:5000/deck/")
    assert client.get("/join.json", base_url="http://talk.local:5000").get_json() == {"url": "http://talk.local:5000/deck/"}


def test_join_uses_public_url_when_set(app, client):
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"
    assert "http://192.168.1.20:5000/deck/" in client.get("/join").get_data(as_text=True)
    assert client.get("/join/qr.svg").data == _qr("http://192.168.1.20:5000/deck/")
    assert "embed" in client.get("/join?embed=1").get_data(as_text=True)  # the ::widget join frame


def _qr(url):
    import io

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=3, dark="#000", light="#fff",
                                    omitsize=True, xmldecl=False, title=f"QR code: {url}")
    return buffer.getvalue()


def test_qr_directive_renders_an_image_of_the_server_code_and_a_placeholder(site_dir):
    html = (site_dir / "index.html").read_text()
    figure = re.search(r'<figure class="qr"[^>]*>.*?</figure>', html, re.S).group(0)
    assert 'data-qr="join/qr.svg"' in figure and "<img" in figure and " hidden" in figure
    assert "Scan to follow along" in figure


@pytest.mark.parametrize("line, message", [
    ("::qr size=20", "between 80 and 1000"),
    ("::qr big", "takes no words"),
    ("::qr colour=red", "has no option 'colour'"),
])
def test_qr_directive_refuses_bad_input(tmp_path, line, message):
    (tmp_path / "talk.md").write_text(f"# QR\n\n{line}\n")
    with pytest.raises(BuildError) as info:
        build(str(tmp_path), str(tmp_path / "out"))
    (problem,) = info.value.lines()
    assert "talk.md:3: " in problem and message in problem


def test_serve_on_all_interfaces_puts_the_lan_address_in_join(serve):
    server = serve(workers=0, extra=("--host", "0.0.0.0"))
    url = requests.get(server.base + "/join.json", timeout=5).json()["url"]
    assert url == public_base("0.0.0.0", server.port) + "/deck/"


@pytest.mark.slow
def test_a_room_joining_at_once_all_land_on_the_live_slide(serve, site_dir):
    """300 phones at once: a burst of connect handlers that each read Redis; none may be turned away."""
    import json

    import socketio as sio_client
    import websocket

    server = serve(workers=0, env={"SITE_DIR": str(site_dir)})
    http = requests.Session()
    http.get(f"{server.base}/presenter?token={server.token}", allow_redirects=False, timeout=5)
    presenter = sio_client.Client(reconnection=False)
    presenter.connect(server.base, namespaces=[NS], transports=["websocket"],
                      headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in http.cookies)})
    url = server.base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    phones = []
    try:
        assert presenter.call("move", {"seq": 1, "h": 3, "f": 0, "panel": None}, namespace=NS, timeout=10)["ok"]
        for _ in range(300):  # the Engine.IO handshakes first, one by one ...
            phones.append(websocket.create_connection(url, timeout=30))
            assert phones[-1].recv().startswith("0")
        for phone in phones:  # ... then every Socket.IO connect at once
            phone.send(f"40{NS},")

        def first_answer(phone):  # the first 'state' or 'error' this phone is sent
            while True:
                message = phone.recv()
                if message.startswith(f"42{NS},"):
                    name, payload = json.loads(message[len(NS) + 3:])
                    if name in ("state", "error"):
                        return payload.get("h", payload)

        assert [first_answer(phone) for phone in phones] == [3] * 300
    finally:
        for phone in phones:
            phone.close()
        presenter.disconnect()


@pytest.mark.slow
def test_two_server_processes_on_one_message_queue_agree(serve, site_dir, redis_url):
    """The state lives in Redis and emits cross the message queue: any process serves any socket."""
    import socketio as sio_client

    env = {"SITE_DIR": str(site_dir), "SOCKETIO_MESSAGE_QUEUE": redis_url, "SECRET_KEY": "shared-between-processes"}
    first, second = serve(workers=0, env=env), serve(workers=0, env=env)
    opened = []

    def deck_client(server, signed_in=False):
        headers = {}
        if signed_in:
            http = requests.Session()
            http.get(f"{server.base}/presenter?token={server.token}", allow_redirects=False, timeout=5)
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        client, inbox = sio_client.Client(reconnection=False), {"state": [], "driver": []}
        for name in inbox:
            client.on(name, lambda data, name=name: inbox[name].append(data), namespace=NS)
        client.connect(server.base, namespaces=[NS], transports=["websocket"], headers=headers)
        opened.append(client)
        return client, inbox

    try:
        laptop, laptop_inbox = deck_client(first, signed_in=True)
        audience, audience_inbox = deck_client(second)
        assert laptop.call("move", {"seq": 1, "h": 2, "f": 0, "panel": "dashboard"}, namespace=NS, timeout=10)["ok"]
        wait_for(lambda: any(s["h"] == 2 for s in audience_inbox["state"]), message="the move on the other process")

        _, late_inbox = deck_client(second)
        wait_for(lambda: late_inbox["state"], message="the late joiner's state")
        assert late_inbox["state"][0]["h"] == 2

        phone, _ = deck_client(second, signed_in=True)
        assert phone.call("takeover", {}, namespace=NS, timeout=10)["ok"]
        wait_for(lambda: any(d["role"] == "standby" for d in laptop_inbox["driver"]), message="the laptop told")
        assert laptop.call("move", {"seq": 2, "h": 0, "f": 0, "panel": None}, namespace=NS, timeout=10)["ok"] is False
    finally:
        for client in opened:
            client.disconnect()
