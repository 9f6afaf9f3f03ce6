"""After sending a job, the phone learns where it stands, and a second try never makes a second job (issue 10)."""

import pytest
from rq import Queue

from demo import keys
from demo.live import events
from demo.live.worker import LiveWorker
from demofixtures import post


def _wait(client, seconds=5, **extra):
    return post(client, "/demo/submit", {"kind": "wait", "seconds": seconds, **extra})


def test_the_answer_says_the_place_in_line_and_the_busy_workers(app, client, presenter_client, connection):
    client.get("/demo/submit")
    first = _wait(client).get_json()
    assert first["ahead"] == 0 and first["line"] == app.config["QUEUE_NAMES"] and first["status"] == "queued"
    assert first["workers"] == {"busy": 0, "total": 0}
    assert first["as_of"] == events.last_id(connection)
    assert _wait(client).get_json()["ahead"] == 1  # behind the first

    # The presenter's job goes to a queue the workers take first: it is ahead of every audience job.
    assert post(presenter_client, "/demo/submit", {"kind": "wait", "seconds": 1}).get_json()["ahead"] == 0
    worker = LiveWorker(app.config["QUEUE_NAMES"], connection=connection)
    worker.register_birth()
    try:
        worker.set_state("busy")
        third = _wait(client).get_json()
        assert third["ahead"] == 3 and third["workers"] == {"busy": 1, "total": 1}
        # A reconnecting page asks again: the job's status carries the same.
        again = client.get(f"/demo/jobs/{third['job']}").get_json()
        assert (again["ahead"], again["workers"], again["line"]) == (3, {"busy": 1, "total": 1}, third["line"])
        Queue("default", connection=connection).empty()
        assert client.get(f"/demo/jobs/{third['job']}").get_json()["ahead"] == 2
    finally:
        worker.register_death()


def test_a_second_try_of_a_submission_gets_the_first_job(client, connection):
    client.get("/demo/submit")
    first = _wait(client, request="phone-try-0001")
    again = _wait(client, request="phone-try-0001")
    assert first.status_code == again.status_code == 202
    assert again.get_json()["job"] == first.get_json()["job"]
    assert len(Queue("low", connection=connection)) == 1
    assert len(client.get("/demo/mine").get_json()["jobs"]) == 1
    other = _wait(client, request="phone-try-0002")
    assert other.get_json()["job"] != first.get_json()["job"] and len(Queue("low", connection=connection)) == 2


def test_a_refused_submission_may_be_tried_again(app, client, connection):
    app.config["DEMO_RATE_LIMIT"] = 1
    client.get("/demo/submit")
    assert _wait(client, request="phone-try-0001").status_code == 202
    assert _wait(client, request="phone-try-0002").status_code == 429
    assert not connection.keys(keys.AUDIENCE_REQUEST.format("*", "phone-try-0002"))  # not accepted: not remembered
    app.config["DEMO_RATE_LIMIT"] = 10
    assert _wait(client, request="phone-try-0002").status_code == 202


@pytest.mark.parametrize("request_id", ["short", "x" * 41, "has space ok", 12345678, ["phone-try-0001"]])
def test_a_bad_request_id_is_a_400(client, connection, request_id):
    response = _wait(client, request=request_id)
    assert response.status_code == 400 and "request must be 8 to 40" in response.get_json()["error"]
    assert len(Queue("low", connection=connection)) == 0


def test_a_try_while_the_first_is_still_being_sent_is_told_so(client, connection):
    client.get("/demo/submit")
    with client.session_transaction() as session:
        visitor = session["visitor"]
    connection.set(keys.AUDIENCE_REQUEST.format(visitor, "phone-try-0001"), "")  # the first try, mid-way
    response = _wait(client, request="phone-try-0001")
    assert response.status_code == 409 and "still being sent" in response.get_json()["error"]
    assert len(Queue("low", connection=connection)) == 0
