"""Code highlighting: a job colours a snippet; bad input is refused before any job."""

import pytest
from rq import Queue

from demo.demos.highlight import aliases
from demofixtures import job_events, post

SNIPPET = 'def greet(name):\n    """<script>alert(1)</script>"""\n    return f"Hi {name}"\n'


def _queued(connection):
    return len(Queue("low", connection=connection))


def test_a_snippet_is_highlighted_by_a_worker_and_stays_text(client, connection, run_worker):
    response = post(client, "/demo/highlight", {"code": SNIPPET, "language": "Python"})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    run_worker("simple", queues=["low"])
    detail = client.get(f"/demo/jobs/{job_id}").get_json()
    assert detail["status"] == "finished"
    result = detail["result"]
    assert result["language"] == "Python" and result["summary"].startswith("3 lines of Python highlighted")
    assert "".join(text for _, text in result["tokens"]) == SNIPPET  # nothing added, nothing lost
    assert ["k", "def"] in result["tokens"] and ["nf", "greet"] in result["tokens"]
    # The markup someone typed is one piece of a string token, as text.
    assert any("<script>alert(1)</script>" in text and css.startswith("s") for css, text in result["tokens"])
    finished = [e for e in job_events(connection, job_id) if e["type"] == "finished"]
    assert "highlighted" in finished[0]["info"]  # what the dashboard shows


def test_windows_newlines_are_normalised_before_the_job(client, run_worker):
    job_id = post(client, "/demo/highlight", {"code": "a = 1\r\nb = 2\r\n", "language": "python"}).get_json()["job"]
    run_worker("simple", queues=["low"])
    tokens = client.get(f"/demo/jobs/{job_id}").get_json()["result"]["tokens"]
    assert "".join(t for _, t in tokens) == "a = 1\nb = 2\n"


def test_an_unknown_language_is_400_with_close_matches(client, connection):
    response = post(client, "/demo/highlight", {"code": "x = 1", "language": "pyhton"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["suggestions"][0] == "python" and all(s in aliases() for s in body["suggestions"])
    assert body["error"].startswith("unknown language 'pyhton'; did you mean python")
    response = post(client, "/demo/highlight", {"code": "x = 1", "language": "qqqqzzzz"})
    assert response.status_code == 400 and response.get_json()["suggestions"] == []
    assert "try python, ruby or javascript" in response.get_json()["error"]
    assert _queued(connection) == 0


def test_a_snippet_over_the_limit_is_413_with_the_limit_in_the_message(client, connection):
    code = "é" * 2049  # 4098 bytes of UTF-8: the limit counts bytes, not characters
    response = post(client, "/demo/highlight", {"code": code, "language": "python"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "snippet too long: 4,098 bytes; the limit is 4,096 bytes"
    assert post(client, "/demo/highlight", {"code": "x" * 4096, "language": "text"}).status_code == 202


def test_a_body_over_the_app_limit_is_413_json(client, connection):
    response = post(client, "/demo/highlight", {"code": "x" * 70_000, "language": "python"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413
    assert _queued(connection) == 0


@pytest.mark.parametrize("body, message", [
    ({"language": "python"}, "code is missing: paste a snippet to highlight"),
    ({"code": "   ", "language": "python"}, "code is missing: paste a snippet to highlight"),
    ({"code": ["x"], "language": "python"}, "code is missing: paste a snippet to highlight"),
    ({"code": "x"}, "language is missing"),
    ({"code": "x", "language": 3}, "language must be text"),
    ({"code": "x", "language": "p" * 41}, "language is too long: at most 40 characters"),
    ({"code": "x", "language": "py\nthon"}, "language must be one line of printable text"),
])
def test_bad_snippet_requests_are_400(client, connection, body, message):
    response = post(client, "/demo/highlight", body)
    assert response.status_code == 400 and response.get_json()["error"] == message
    assert _queued(connection) == 0


def test_the_page_and_its_style(client):
    page = client.get("/demo/highlight?embed=1")
    assert page.status_code == 200 and b'class="topbar"' not in page.data  # embedded: no top bar
    css = client.get("/demo/highlight/style.css")
    assert css.mimetype == "text/css" and b".hl .k" in css.data
    assert "python" in client.get("/demo/highlight/languages").get_json()["aliases"]
