"""Email: a job sends a welcome email to the real SMTP sink; the mailbox shows it."""

import json
import smtplib
from email.message import EmailMessage

import pytest
import requests
from rq import Queue

from conftest import wait_for
from demo import jobs, keys, mailer
from demo.security import mask_addresses
from demo.live import events
from demofixtures import api, post, presenter_session, smtp_sink  # noqa: F401 (fixture)
from test_serve import _children, _cmdline


def _mails(connection):
    return [json.loads(m) for m in connection.lrange(keys.MAILBOX, 0, -1)]


def test_the_welcome_email_arrives_with_text_and_escaped_html(client, connection, run_worker, smtp_sink,
                                                              monkeypatch):
    monkeypatch.setenv("SMTP_URL", smtp_sink.url)
    response = post(client, "/demo/mail", {"name": "<b>Ada</b>", "to": "ada@example.com"})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    run_worker("simple", queues=["low"])
    detail = client.get(f"/demo/jobs/{job_id}").get_json()
    assert detail["status"] == "finished", detail["error"]
    assert detail["result"]["summary"] == "welcome email sent to ada@example.com"  # its sender sees it whole

    (mail,) = wait_for(lambda: _mails(connection), message="the mail in the mailbox")
    assert mail["rcpt_tos"] == ["ada@example.com"] and mail["subject"] == "Welcome to the queue, <b>Ada</b>!"
    assert "Hi <b>Ada</b>," in mail["text"]
    assert "<h1>Hi &lt;b&gt;Ada&lt;/b&gt;!</h1>" in mail["html"] and "<b>Ada" not in mail["html"]
    listed = client.get("/demo/mail/messages").get_json()["mails"]
    assert [m["id"] for m in listed] == [mail["id"]] and "text" not in listed[0]  # bodies come one by one
    assert listed[0]["rcpt_tos"] == [mask_addresses("ada@example.com")]  # the audience sees no addresses
    assert client.get(f"/demo/mail/messages/{mail['id']}").get_json()["html"] == mail["html"]
    announced = wait_for(lambda: [e for e in events.since(connection, "0-0") if e["type"] == "mail"],
                         message="the sink's mail event")
    assert [(e["mail"], e["to"]) for e in announced] == [(mail["id"], mask_addresses("ada@example.com"))]


def test_the_audience_may_only_mail_the_example_domains(client, presenter_client, connection, run_worker,
                                                        smtp_sink, monkeypatch):
    monkeypatch.setenv("SMTP_URL", smtp_sink.url)
    response = post(client, "/demo/mail", {"name": "Eve", "to": "eve@gmail.com"})
    assert response.status_code == 403 and "example.com, example.org, example.net" in response.get_json()["error"]
    assert len(Queue("low", connection=connection)) == 0
    response = post(presenter_client, "/demo/mail", {"name": "Grace", "to": "grace@navy.mil"})
    assert response.status_code == 202
    run_worker("simple", queues=["default"])  # the presenter's jobs go to default
    wait_for(lambda: [m["rcpt_tos"] for m in _mails(connection)] == [["grace@navy.mil"]], message="the mail")


@pytest.mark.parametrize("body, message", [
    ({"name": "Ada", "to": "not-an-address"}, "'not-an-address' is not a plain email address like ada@example.com"),
    ({"name": "Ada", "to": "ada@localhost"}, "'ada@localhost' is not a plain email address like ada@example.com"),
    ({"name": "Ada", "to": "Ada <ada@example.com>"}, "is not a plain email address"),
    ({"name": "Ada", "to": "ada@example.com\r\nBcc: x@example.org"}, "to must be one line of printable text"),
    ({"name": "Ada\nBcc: x@example.org", "to": "ada@example.com"}, "name must be one line of printable text"),
    ({"name": "", "to": "ada@example.com"}, "name is missing"),
    ({"name": "A" * 61, "to": "ada@example.com"}, "name is too long: at most 60 characters"),
])
def test_bad_mail_requests_are_400(client, connection, body, message):
    response = post(client, "/demo/mail", body)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert len(Queue("low", connection=connection)) == 0


def test_the_sink_keeps_the_newest_mails_only(smtp_sink, connection):
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as smtp:
        for n in range(keys.MAILBOX_MAX + 3):
            message = EmailMessage()
            message["Subject"], message["From"], message["To"] = f"mail {n}", "a@example.com", "b@example.com"
            message.set_content("hello")
            smtp.send_message(message)
    subjects = [m["subject"] for m in _mails(connection)]
    assert len(subjects) == keys.MAILBOX_MAX
    assert subjects[0] == f"mail {keys.MAILBOX_MAX + 2}" and subjects[-1] == "mail 3"  # newest first


def test_the_sink_refuses_a_mail_over_its_size_limit(smtp_sink, connection):
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "big", "a@example.com", "b@example.com"
    message.set_content("x" * 300_000)
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPException) as refused:
            smtp.send_message(message)
    assert "552" in str(refused.value)
    assert _mails(connection) == []


def test_a_mail_job_without_smtp_url_fails_clearly(monkeypatch):
    monkeypatch.delenv("SMTP_URL", raising=False)
    with pytest.raises(RuntimeError, match="SMTP_URL is not set"):
        jobs.send_welcome_email("ada@example.com", "Ada", "x@example.com")


def test_the_mail_page_names_where_mail_goes(app, client, presenter_client):
    app.config["SMTP_URL"] = "smtp+starttls://user:secret@smtp.example.net:587"
    page = presenter_client.get("/demo/mail").data.decode()
    assert "smtp+starttls://user:***@smtp.example.net:587" in page and "secret" not in page
    assert "mail goes to the relay" in page
    audience = client.get("/demo/mail").data.decode()  # the audience is not told the relay's host and port
    assert "the relay" in audience and "smtp.example.net" not in audience and "587" not in audience
    app.config.update(SMTP_URL="smtp://127.0.0.1:8025", DEMO_SMTP_SINK=True)  # serve's own sink
    page = presenter_client.get("/demo/mail").data.decode()
    assert "a real SMTP server on this machine" in page and "mail goes to the relay" not in page
    assert "smtp://127.0.0.1:8025" in page and "8025" not in client.get("/demo/mail").data.decode()


@pytest.mark.parametrize("url, parsed", [
    ("smtp://127.0.0.1:8025", ("127.0.0.1", 8025, None, None, None)),
    ("smtp://mail.example.com", ("mail.example.com", 25, None, None, None)),
    ("smtp+starttls://ada%40example.com:p%3Ass@smtp.example.com", ("smtp.example.com", 587, "starttls",
                                                                   "ada@example.com", "p:ss")),
    ("smtps://u:pw@smtp.example.com:2465", ("smtp.example.com", 2465, "tls", "u", "pw")),
])
def test_smtp_urls_name_host_port_tls_and_credentials(url, parsed):
    assert mailer.parse_url(url) == parsed


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(ValueError):
        mailer.parse_url(url)


@pytest.mark.slow
def test_with_smtp_url_serve_sends_to_that_server_and_runs_no_sink(serve, smtp_sink, connection):
    server = serve(workers=1, env={"SMTP_URL": smtp_sink.url})  # the test's sink plays the relay
    assert f"Mail:      relay {smtp_sink.url}" in server.output()
    assert not [p for p in _children(server.process.pid) if "demo smtp" in _cmdline(p)]
    page = presenter_session(server).get(f"{server.base}/demo/mail", timeout=5).text
    assert "mail goes to the relay" in page and smtp_sink.url in page  # the relay's address: presenter only
    code, body = api(requests.Session(), server, "POST", "/demo/mail", {"name": "Lin", "to": "lin@example.org"})
    assert code == 202
    wait_for(lambda: [m["rcpt_tos"] for m in _mails(connection)] == [["lin@example.org"]], 30, message="the mail")
