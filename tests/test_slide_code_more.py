"""The slide code files the talk added (signup.py, snippets.py), run for real.

Same rules as test_slide_code.py: a real Redis, a real RQ worker, a real SMTP
sink; every region shown on a slide is executed here.
"""

import importlib
from pathlib import Path

import pytest
from rq import SimpleWorker

CODE = Path(__file__).resolve().parent.parent / "slides" / "code"
ADDED = {"signup", "snippets"}


@pytest.fixture
def slide_code(monkeypatch):
    monkeypatch.syspath_prepend(str(CODE))
    return lambda name: importlib.import_module(name)


@pytest.fixture
def smtp_sink():
    """An SMTP server on a free loopback port that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from demo.db import free_port

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_the_added_files_exist():
    assert ADDED <= {p.stem for p in CODE.glob("*.py")}


def test_signup_answers_at_once_and_a_worker_sends_the_email(slide_code, connection, redis_url, smtp_sink):
    port, received = smtp_sink
    module = slide_code("signup")
    module.app.config.update(REDIS_URL=redis_url, SMTP_PORT=port)
    response = module.app.test_client().post("/signup", data={"email": "ada@example.test", "name": "Ada"})
    assert response.status_code == 202 and b"Check your inbox" in response.data
    assert received == []  # nothing sent during the request
    (job_id,) = connection.lrange("rq:queue:default", 0, -1)
    from rq.job import Job

    job = Job.fetch(job_id.decode(), connection=connection)
    assert job.retries_left == 3 and job.retry_intervals == [10, 30, 60]
    SimpleWorker(["default"], connection=connection).work(burst=True)
    (envelope,) = received
    assert envelope.rcpt_tos == ["ada@example.test"]
    assert "Subject: Welcome, Ada!" in envelope.content.decode()


def test_snippets_highlight_in_a_job(slide_code, connection, redis_url):
    module = slide_code("snippets")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    created = client.post("/snippets", data={"code": "def f(): pass", "language": "python"})
    assert created.status_code == 303
    page = created.headers["Location"]
    pending = client.get(page)
    assert pending.status_code == 202 and b"refresh" in pending.data
    SimpleWorker(["default"], connection=connection).work(burst=True)
    done = client.get(page)
    assert done.status_code == 200
    assert done.data.startswith(b"<pre>") and b'<span class="k">def</span>' in done.data


def test_a_snippet_that_cannot_be_highlighted_says_so(slide_code, connection, redis_url):
    module = slide_code("snippets")
    module.app.config["REDIS_URL"] = redis_url
    client = module.app.test_client()
    page = client.post("/snippets", data={"code": "x", "language": "no-such-language"}).headers["Location"]
    SimpleWorker(["default"], connection=connection).work(burst=True)
    failed = client.get(page)
    assert failed.status_code == 500 and b"Could not highlight" in failed.data
