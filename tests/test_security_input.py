"""Bad input gets a 4xx with a message, never a 500: every route, query parameter and Socket.IO event.

The sweep sends hostile values (deep nesting, huge numbers, control
characters, invalid UTF-8, wrong types, oversized text) to every route of
the app, as the audience and as the presenter, and to every Socket.IO event
handler of both namespaces, and counts the answers that are server errors.
The only 5xx allowed is a 503 that says why (the audience cap is full).
"""

import json
import re
from urllib.parse import quote

import pytest

from demo import keys
from demo.extensions import socketio
from demo.security import MAX_INT_DIGITS, MAX_JSON_DEPTH, loads, local_path

DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
JUST_TOO_DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
HUGE = "9" * 400

#: Values a client may put anywhere: path segments, query values, JSON fields.
STRINGS = ["", " ", "x" * 5000, "../../../etc/passwd", "/\\evil.example", "//evil.example",
           "\t/evil.example", "\r\nSet-Cookie: evil=1", "\x00", "\x1b[31mred", "<script>alert(1)</script>",
           "{{7*7}}", "%s%s%s%n", "' OR 1=1 --", "\u202eevil", "\U0001f600" * 100, "-1", "0", HUGE, "-" + HUGE,
           "1e400", "NaN", "Infinity", "null", "true", "[]", "{}", "9999-12-31T23:59:59+00:00", "0-0", "1-"]
#: Raw query strings and path segments that are not valid UTF-8 or percent-encoding.
RAW = ["%ff%fe", "%", "%zz", "%00", "%0d%0a", "%09", "%252F%252F"]
#: JSON values of every type, hostile ones first.
JSON_VALUES = [f"{HUGE}", f"-{HUGE}", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1.5e-400",
               DEEP_ARRAY, DEEP_OBJECT, JUST_TOO_DEEP, "null", "true", "false", "[]", "{}", '[[[["x"]]]]',
               json.dumps("x" * 20_000), json.dumps("\r\n\x00\t"), json.dumps("\udcff"), "-1", "0", "0.0001",
               json.dumps({"op": "pause", "queue": "low"}), json.dumps(["a", "b"])]
#: Every field any view or event reads from a body.
FIELDS = ["kind", "seconds", "language", "code", "name", "to", "note", "delay", "at", "fail_times", "batch",
          "legs", "workers", "count", "op", "job", "queue", "id", "since", "seq", "h", "f", "panel", "demo",
          "request", "work", "if_free"]
#: Every query parameter any view reads, and one none reads.
PARAMS = ["embed", "big", "next", "token", "code", "demo", "since", "presenter", "x"]
ACCEPTS = ["application/json", "text/html", "*/*;q=nan", "application/json;q=1e400", ""]


def _bodies():
    """JSON bodies: each hostile value alone, and in every field."""
    yield from JSON_VALUES
    yield "{" * 3 + "not json"
    yield b'{"name": "\xff\xfe"}'
    for field in FIELDS:
        for value in JSON_VALUES:
            yield f'{{"{field}": {value}}}'
    yield json.dumps({"kind": "wait", "seconds": "9" * 400})
    yield f'{{"kind": "wait", "seconds": {HUGE}}}'
    yield f'{{"kind": "highlight", "language": {HUGE}, "code": "x"}}'
    yield f'{{"batch": 10, "legs": [{{"kind": "fork", "workers": {HUGE}}}]}}'
    yield f'{{"batch": 10, "legs": {DEEP_ARRAY}}}'


def _urls(app):
    """Every route with each hostile value in each of its path arguments."""
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        if rule.endpoint == "static":
            yield methods, "/static/" + quote("../../demo/config.py", safe="/")
            continue
        values = [quote(s, safe="") for s in STRINGS] + RAW if rule.arguments else [None]
        for value in values:
            url = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", lambda _: value, rule.rule) if value is not None else rule.rule
            yield methods, url


@pytest.fixture
def app(app):
    app.config.update(PROPAGATE_EXCEPTIONS=False, SOCKET_EVENT_RATE=1e6, SOCKET_EVENT_BURST=1e6,
                      DEMO_TASK_MAX_SECONDS=0.5)
    return app


def _problem(response):
    """Why ``response`` is not an acceptable answer to hostile input, or None."""
    code = response.status_code
    if code >= 500 and not (code == 503 and response.headers.get("Retry-After")):
        return f"{code}"
    if 400 <= code < 500 and not response.get_data(as_text=True).strip():
        return f"{code} without a message"
    return None


def _sweep(client):
    app = client.application
    failures, sent = [], 0

    def check(method, url, **kwargs):
        nonlocal sent
        sent += 1
        response = client.open(url, method=method, **kwargs)
        problem = _problem(response)
        if problem:
            failures.append(f"{problem}: {method} {url[:120]} {str(kwargs)[:160]}")

    for methods, url in _urls(app):
        for method in methods:
            if method == "GET":
                check(method, url)
                for accept in ACCEPTS:
                    check(method, url, headers={"Accept": accept})
            else:
                check(method, url, data=DEEP_ARRAY, content_type="application/json")
                check(method, url, data="seconds=1", content_type="application/x-www-form-urlencoded")
                check(method, url, data=b"\xff\xfe", content_type="application/json; charset=utf-8")
                check(method, url, data="x" * 70_000, content_type="application/json")  # over MAX_CONTENT_LENGTH
    # Query parameters on every GET route, and bodies on every POST route, without path tricks.
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint != "pages.deck":
            continue
        url = rule.rule.replace("<path:path>", "")
        if "GET" in rule.methods:
            for value in [quote(s, safe="") for s in STRINGS] + RAW:  # every parameter at once: each view reads its own
                check("GET", f"{url}?" + "&".join(f"{name}={value}" for name in PARAMS))
                if rule.endpoint == "pages.presenter_login":  # past the token check, to reach next
                    check("GET", f"{url}?token=test-presenter-token&next={value}")
        if "POST" in rule.methods:
            for body in _bodies():
                check("POST", url, data=body, content_type="application/json",
                      headers={"Accept": "application/json"})
    return failures, sent


def test_no_route_answers_a_server_error_to_the_audience(app, client):
    client.get("/demo/submit")  # a visitor with a cookie, like a phone
    failures, sent = _sweep(client)
    assert sent > 3000
    assert failures == [], f"{len(failures)} of {sent} hostile requests got a server error:\n" + "\n".join(failures[:40])


def test_no_route_answers_a_server_error_to_the_presenter(app, presenter_client):
    failures, sent = _sweep(presenter_client)
    assert sent > 3000
    assert failures == [], f"{len(failures)} of {sent} hostile requests got a server error:\n" + "\n".join(failures[:40])


# --- the cases the audit named --------------------------------------------------


@pytest.mark.parametrize("body, reason", [
    (DEEP_ARRAY, "nested too deeply"),
    (DEEP_OBJECT, "nested too deeply"),
    ('{"kind": "wait", "seconds": ' + JUST_TOO_DEEP + "}", "nested too deeply"),
    ('{"kind": "wait", "seconds": ' + HUGE + "}", "number too large"),
    ('{"kind": "wait", "seconds": -' + "9" * (MAX_INT_DIGITS + 1) + "}", "number too large"),
])
def test_deep_json_and_huge_integers_are_a_400_that_says_why(client, connection, body, reason):
    response = client.post("/demo/submit", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("send a JSON object (") and reason in response.get_json()["error"]
    assert connection.llen("rq:queue:low") == 0


def test_json_just_deep_enough_is_still_read(client, connection):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "1" + "]" * (MAX_JSON_DEPTH - 1)
    response = client.post("/demo/submit", data=f'{{"kind": "wait", "seconds": {nested}}}',
                           content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "seconds must be a number from 1 to 30 s"


def test_a_20_digit_number_is_read_and_refused_by_range_not_by_a_crash(client):
    response = client.post("/demo/schedule", json={"delay": 10**19})
    assert response.status_code == 400 and "delay must be a number from 1 to" in response.get_json()["error"]


@pytest.mark.parametrize("target", ["/deck/\r\nSet-Cookie: x=1", "/\r\n//evil.example", "/\n/evil.example"])
def test_line_breaks_in_next_are_a_400_and_nobody_is_signed_in(app, client, target):
    response = client.get(f"/presenter?token=test-presenter-token&next={quote(target, safe='/')}")
    assert response.status_code == 400 and "next must be a path on this server" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers and "Location" not in response.headers
    assert "presenter" not in client.get("/dashboard").get_data(as_text=True).split("<main", 1)[0]


# --- Socket.IO events -------------------------------------------------------------

#: Handlers every namespace must have (a sweep that found none would pass without testing).
EXPECTED_EVENTS = {keys.LIVE_NAMESPACE: {"hello", "job", "action"}, keys.DECK_NAMESPACE: {"state", "move", "takeover"}}


def _events():
    """Every event handler of every namespace the server has (new ones are swept too), and one none has."""
    found = {namespace: sorted(name[3:] for name in dir(handler)
                               if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
                               and callable(getattr(handler, name)))
             for namespace, handler in socketio.server.namespace_handlers.items()}
    for namespace, names in EXPECTED_EVENTS.items():
        assert names <= set(found.get(namespace, ())), f"{namespace}: {found.get(namespace)}"
    return {namespace: [*names, "x"] for namespace, names in found.items()}


def _payloads():
    """Hostile payloads a Socket.IO packet can carry (those its decoder refuses are tested below)."""
    for value in _socket_values():
        try:
            loads(json.dumps(value))
        except ValueError:
            continue
        yield value


def _socket_values():
    yield from (json.loads(v) for v in JSON_VALUES if v not in (DEEP_ARRAY, DEEP_OBJECT))
    yield from STRINGS
    for field in FIELDS:
        for value in [10**19, -(10**19), 1e308, float("inf"), None, True, [], {}, "x" * 10_000, "\r\n\x00", [[[[1]]]]]:
            yield {field: value}
    yield {"op": "scale", "count": 10**19, "kind": "fork"}
    yield {"op": "requeue", "job": "../x"}
    yield {"seq": 2**53, "h": 0, "f": 0, "panel": None}
    yield {"seq": 1, "h": 10**19, "f": -1, "panel": "../../x"}


@pytest.mark.parametrize("role", ["audience", "presenter"])
def test_no_socket_event_handler_fails_on_hostile_payloads(app, client, presenter_client, role):
    http = presenter_client if role == "presenter" else client
    failures, sent = [], 0
    for namespace, names in _events().items():
        sio = socketio.test_client(app, namespace=namespace, flask_test_client=http)
        assert sio.is_connected(namespace)
        for name in names:
            for payload in _payloads():
                sent += 1
                try:
                    ack = sio.emit(name, payload, namespace=namespace, callback=True)
                except Exception as exc:  # a handler that raised: the client would get no answer
                    failures.append(f"{namespace} {name} {str(payload)[:80]}: {type(exc).__name__}: {exc}")
                    continue
                if name != "x" and not (isinstance(ack, dict) and "ok" in ack):
                    failures.append(f"{namespace} {name} {str(payload)[:80]}: answered {str(ack)[:80]}")
        sio.get_received(namespace)
        sio.disconnect(namespace)
    assert sent > 500
    assert failures == [], f"{len(failures)} of {sent} hostile events failed:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("payload, reason", [(DEEP_ARRAY, "nested too deeply"), (JUST_TOO_DEEP, "nested too deeply"),
                                             (HUGE, "number too large"), ('"\\udcff"', "lone surrogate")])
def test_a_socket_packet_the_decoder_refuses_reaches_no_handler(app, client, payload, reason):
    sio = socketio.test_client(app, namespace=keys.LIVE_NAMESPACE, flask_test_client=client)
    sio.get_received(keys.LIVE_NAMESPACE)
    with pytest.raises(ValueError, match=reason):  # the server drops the packet (one log line)
        socketio.server._handle_eio_message(sio.eio_sid, f'2/live,["hello",{payload}]')
    assert sio.get_received(keys.LIVE_NAMESPACE) == []
    assert sio.emit("hello", {"since": None}, namespace=keys.LIVE_NAMESPACE, callback=True)["ok"] is True
    sio.disconnect(keys.LIVE_NAMESPACE)


def test_local_path_is_the_only_next_allowed():
    assert local_path("/deck/?presenter") == "/deck/?presenter"
    assert local_path("/dashboard?big=1#x") == "/dashboard?big=1#x"
