"""Fair shares of the audience cap: no cookie and no address can take the queue from everyone else."""

import pytest
from rq import Queue

from demo import keys
from demofixtures import post


def _phone(app, address, cookie=True):
    """A test client as a phone at ``address`` (with its visitor cookie, unless ``cookie`` is False)."""
    client = app.test_client(use_cookies=cookie)
    client.environ_base["REMOTE_ADDR"] = address
    if cookie:
        client.get("/demo/schedule")
    return client


@pytest.fixture
def app(app):
    # The defaults: a cap of 50, a visitor's share 5, an address's 10, the audience 300 s ahead.
    app.config.update(DEMO_RATE_LIMIT=100, DEMO_RATE_LIMIT_PER_IP=1000)
    return app


def test_a_fresh_cookie_per_request_stops_at_the_addresses_share_and_others_still_get_in(app, connection):
    codes, errors = [], set()
    for _ in range(30):  # the audit's attack: a new visitor for every reminder, each as far ahead as allowed
        response = post(_phone(app, "10.0.0.66"), "/demo/schedule", {"delay": 300, "note": "mine"})
        codes.append(response.status_code)
        if response.status_code != 202:
            errors.add(response.get_json()["error"])
    assert codes == [202] * 10 + [429] * 20
    assert errors == {"your network already has 10 jobs waiting or running, your fair share of the queue; "
                      "send another when one has finished"}
    assert connection.zcard(keys.AUDIENCE_OPEN) == 10  # refused ones gave their place back

    for n in range(1, 9):  # the rest of the room, one phone per address as on a venue's Wi-Fi
        assert post(_phone(app, f"10.0.1.{n}"), "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202


def test_a_cookieless_client_is_its_address(app, connection):
    cookieless = _phone(app, "10.0.0.9", cookie=False)
    codes = [post(cookieless, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code for _ in range(12)]
    assert codes == [202] * 5 + [429] * 7  # the visitor "ip:10.0.0.9" holds its share of 5


def test_one_visitor_holds_its_share_and_gets_a_place_back_when_a_job_ends(app, connection, run_worker):
    phone = _phone(app, "10.0.0.5")
    codes = [post(phone, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]
    refused = post(phone, "/demo/submit", {"kind": "wait", "seconds": 1})
    assert refused.get_json()["error"].startswith("you already have 5 jobs waiting or running")
    assert refused.headers["Retry-After"] == "10"
    assert len(Queue("low", connection=connection)) == 5

    run_worker("simple", queues=["low"])  # they finish: the share is free again
    assert post(phone, "/demo/submit", {"kind": "wait", "seconds": 1}).status_code == 202


def test_shares_follow_the_cap(app, connection):
    app.config.update(DEMO_AUDIENCE_CAP=200)  # shares 20 and 40
    phone = _phone(app, "10.0.0.5")
    codes = [post(phone, "/demo/schedule", {"delay": 60}).status_code for _ in range(21)]
    assert codes == [202] * 20 + [429]


def test_a_share_refusal_costs_no_rate_limit(app, connection):
    app.config.update(DEMO_AUDIENCE_CAP=10, DEMO_RATE_LIMIT=3)  # a visitor's share is 1
    phone = _phone(app, "10.0.0.5")
    assert post(phone, "/demo/schedule", {"delay": 60}).status_code == 202
    assert [post(phone, "/demo/schedule", {"delay": 60}).status_code for _ in range(5)] == [429] * 5
    assert len(connection.zrange(keys.RATE_LIMIT.format("visitor", _visitor_id(connection)), 0, -1)) == 1


def _visitor_id(connection):
    (key,) = [k.decode() for k in connection.scan_iter(keys.AUDIENCE_HELD.format("visitor", "*"))]
    return key.rsplit(":", 1)[1]


def test_the_audience_schedules_at_most_five_minutes_ahead_and_the_presenter_an_hour(app, client,
                                                                                    presenter_client):
    refused = post(client, "/demo/schedule", {"delay": 3600, "note": "in an hour"})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "delay must be a number from 1 to 300 s"
    assert 'max="300"' in client.get("/demo/schedule").get_data(as_text=True)
    assert post(presenter_client, "/demo/schedule", {"delay": 3600}).status_code == 202
    assert 'max="3600"' in presenter_client.get("/demo/schedule").get_data(as_text=True)


def test_the_presenter_holds_no_share(app, presenter_client, connection):
    app.config.update(DEMO_AUDIENCE_CAP=1)
    codes = [post(presenter_client, "/demo/schedule", {"delay": 600}).status_code for _ in range(5)]
    assert codes == [202] * 5
    assert list(connection.scan_iter(keys.AUDIENCE_HELD.format("*", "*"))) == []
