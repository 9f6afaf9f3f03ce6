"""Compose and send the welcome email with the standard library only.

``welcome()`` builds a multipart message (text and HTML parts, the name
escaped in the HTML); ``send()`` delivers it to the server an ``SMTP_URL``
names:

- ``smtp://host:port``: plain SMTP (the embedded sink on loopback);
- ``smtp+starttls://user:password@host:587``: upgraded with STARTTLS;
- ``smtps://user:password@host:465``: TLS from the first byte.

User and password are percent-decoded; log lines never show the password.
"""

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

#: Scheme -> (default port, how TLS is used).
SCHEMES = {"smtp": (25, None), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}

#: Seconds a connection or a reply may take.
TIMEOUT = 10


def parse_url(url):
    """``(host, port, tls, user, password)`` of an SMTP URL; ValueError when bad."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"SMTP URL scheme must be one of {', '.join(SCHEMES)}, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("SMTP URL has no host")
    default_port, tls = SCHEMES[parts.scheme]
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, parts.port or default_port, tls, user, password


def welcome(to, name, sender):
    """The welcome email for ``name`` at ``to``, from ``sender``."""
    message = EmailMessage()
    message["Subject"] = f"Welcome to the queue, {name}!"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="ohmyqueue.example")
    message.set_content(
        f"Hi {name},\n\n"
        "this email was rendered and sent by a background job: the web request\n"
        "only put the job on a Redis queue and answered at once; an RQ worker\n"
        "did the slow part (talking to the SMTP server).\n\n"
        "-- Oh My Queue\n"
    )
    safe = html.escape(name)
    message.add_alternative(
        "<!doctype html><html><body style=\"font-family:sans-serif\">"
        f"<h1>Hi {safe}!</h1>"
        "<p>This email was rendered and sent by a <strong>background job</strong>: the web request "
        "only put the job on a Redis queue and answered at once; an RQ worker did the slow part.</p>"
        "<p>&mdash; Oh My Queue</p></body></html>",
        subtype="html",
    )
    return message


def send(message, url, timeout=TIMEOUT):
    """Deliver ``message`` to the server ``url`` names; smtplib raises on failure."""
    host, port, tls, user, password = parse_url(url)
    if tls == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if user:
            client.login(user, password or "")
        client.send_message(message)
