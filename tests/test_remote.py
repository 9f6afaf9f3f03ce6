"""The phone remote in one step, and the presenter's loopback warning (issue 10)."""

import base64
import hashlib
from urllib.parse import urlsplit

import pytest

from demo import keys
from demo.extensions import socketio
from demo.talk.pages import LOOPBACK_WARNING, is_loopback_host, qr_svg

TOKEN = "test-presenter-token"


def deck_socket(app, client):
    return socketio.test_client(app, namespace=keys.DECK_NAMESPACE, flask_test_client=client)


def role_of(sio):
    return [m["args"][0] for m in sio.get_received(keys.DECK_NAMESPACE) if m["name"] == "driver"][-1]["role"]


def new_code(client):
    response = client.post("/remote/code", json={}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_the_printed_remote_link_signs_a_phone_in_and_opens_the_speaker_view(app, client):
    response = client.get(f"/remote?token={TOKEN}")
    assert response.status_code == 302 and response.headers["Location"] == "/deck/?presenter"
    sio = deck_socket(app, client)
    assert role_of(sio) == "driver"  # the first presenter session: it drives
    sio.disconnect(keys.DECK_NAMESPACE)


@pytest.mark.parametrize("query, message", [
    ("?token=wrong", "wrong presenter token"),
    ("", "open the Remote link that serve printed"),
    ("?code=not-a-code-at-all", "expired or was used already"),
])
def test_the_remote_refuses_the_audience_with_a_message(client, query, message):
    response = client.get("/remote" + query)
    assert response.status_code == 403 and message in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session.get("presenter") is not True


def test_a_signed_in_presenter_going_to_remote_gets_the_speaker_view(presenter_client):
    assert presenter_client.get("/remote").headers["Location"] == "/deck/?presenter"


def test_the_qr_code_is_a_one_time_link_that_signs_a_phone_in(app, presenter_client, connection):
    laptop = deck_socket(app, presenter_client)
    made = new_code(presenter_client)
    assert made["expires_in"] == app.config["DEMO_REMOTE_CODE_TTL"]
    url = urlsplit(made["url"])
    assert url.path == "/remote" and url.query.startswith("code=")
    assert base64.b64decode(made["qr"].split(",", 1)[1]) == qr_svg(made["url"])
    assert TOKEN not in repr(made)
    code = url.query[len("code="):]
    stored = keys.REMOTE_CODE.format(hashlib.sha256(code.encode()).hexdigest())
    assert 0 < connection.ttl(stored) <= app.config["DEMO_REMOTE_CODE_TTL"]
    assert code.encode() not in b"".join(connection.keys("*"))  # kept as a hash only

    phone = app.test_client()
    response = phone.get(f"/remote?{url.query}")
    assert response.status_code == 302 and response.headers["Location"] == "/deck/?presenter"
    paired = [m for m in laptop.get_received(keys.DECK_NAMESPACE) if m["name"] == keys.DECK_REMOTE_EVENT]
    assert paired and paired[-1]["args"][0] == {"paired": True}
    phone_socket = deck_socket(app, phone)
    assert role_of(phone_socket) == "standby"  # the laptop is here and drives

    again = app.test_client().get(f"/remote?{url.query}")
    assert again.status_code == 403 and "used already" in again.get_data(as_text=True)
    laptop.disconnect(keys.DECK_NAMESPACE)
    phone_socket.disconnect(keys.DECK_NAMESPACE)


def test_only_the_presenter_may_make_a_remote_code(client, connection):
    response = client.post("/remote/code", json={}, headers={"Accept": "application/json"})
    assert response.status_code == 403 and "presenter only" in response.get_json()["error"]
    assert not connection.keys(keys.REMOTE_CODE.format("*"))


# --- the loopback warning ----------------------------------------------------------


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("192.168.1.20", False), ("talk.local", False),
])
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_join_warns_the_presenter_only_when_phones_cannot_reach_the_address(app, client, presenter_client):
    local = "http://localhost:5000"  # where the presenter signed in (the cookie is for that host)
    assert LOOPBACK_WARNING not in client.get("/join", base_url=local).get_data(as_text=True)
    assert "warning" not in client.get("/join.json", base_url=local).get_json()
    page = presenter_client.get("/join", base_url=local).get_data(as_text=True)
    assert "Phones can&#39;t reach this address" in page and "--host 0.0.0.0" in page
    assert presenter_client.get("/join.json", base_url=local).get_json()["warning"] == LOOPBACK_WARNING
    assert "Phones can" in presenter_client.get("/join?embed=1", base_url=local).get_data(as_text=True)

    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"  # serve --host 0.0.0.0
    assert "warning" not in presenter_client.get("/join.json", base_url=local).get_json()
    assert "Phones can" not in presenter_client.get("/join", base_url=local).get_data(as_text=True)
    assert new_code(presenter_client)["url"].startswith("http://192.168.1.20:5000/remote?code=")


def test_the_remote_code_warns_when_phones_cannot_reach_it(presenter_client):
    made = new_code(presenter_client)
    assert made["url"].startswith("http://localhost/remote?code=") and made["warning"] == LOOPBACK_WARNING
