"""Email: a job renders and sends a welcome email (the lesson's ActionMailer).

The job (``jobs.send_welcome_email``) uses the standard library's email and
smtplib to reach the server in SMTP_URL: the SMTP sink ``serve`` runs on a
loopback port, or a real relay. The mailbox page lists what the sink
received, live: the sink writes a ``mail`` event to the lifecycle stream.

Anyone may mail the reserved example domains (DEMO_MAIL_OPEN_DOMAINS); only
the presenter may mail other addresses, so a real relay never becomes an
open one.
"""

import json
import re

from flask import jsonify
from rq import Retry

from .. import jobs, keys
from ..db import get_redis, redact_url
from ..security import mask_deep
from ..talk.presenter import is_presenter
from . import audience, bp
from .common import Refused, json_body, page, setting, text

#: A plain address: no display name, no quoting, a dotted domain.
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+)$")

#: Fields the mailbox list shows (the bodies come with one mail).
SUMMARY = ("id", "received", "subject", "from", "to", "rcpt_tos", "size")


def open_domains():
    return [d.strip().lower() for d in setting("DEMO_MAIL_OPEN_DOMAINS").split(",") if d.strip()]


def recipient_of(data, presenter):
    """The request's address; 400 unless plain, 403 if the audience may not mail it."""
    to = text(data, "to", 254)
    match = ADDRESS.match(to)
    if not match:
        raise Refused(400, f"{to!r} is not a plain email address like ada@example.com")
    if not presenter and match.group(1).lower() not in open_domains():
        raise Refused(403, f"the audience may only mail addresses at {', '.join(open_domains())} "
                           "(they land in the demo's own mailbox)")
    return to


def _mails(connection):
    """The mailbox, newest first; the audience sees recipients masked (``…@example.com``).

    The sender is the demo's own (DEMO_MAIL_FROM): no one's private address.
    """
    mails = [json.loads(raw) for raw in connection.lrange(keys.MAILBOX, 0, keys.MAILBOX_MAX - 1)]
    if is_presenter():
        return mails
    return [{name: value if name == "from" else mask_deep(value) for name, value in mail.items()} for mail in mails]


@bp.get("/mail")
def mail():
    """The email page: a form for the welcome email and the live mailbox."""
    url = setting("SMTP_URL") or ""
    # Where mail goes (host, port) is the presenter's to know; the audience is told what kind of server.
    return page("demos/mail.html", smtp=redact_url(url), show_url=is_presenter(), domains=open_domains(),
                relay=bool(url) and not setting("DEMO_SMTP_SINK"))


@bp.post("/mail")
def mail_submit():
    """Enqueue the welcome email job (202)."""
    data = json_body()
    name = text(data, "name", 60)
    who = audience.visitor()
    to = recipient_of(data, who.presenter)
    who, job = audience.submit(get_redis(), jobs.send_welcome_email, to, name, setting("DEMO_MAIL_FROM"),
                               demo="mail", retry=Retry(max=3, interval=[1, 2, 4]), timeout=60,
                               result_ttl=3600)
    return jsonify(job=job.id, nick=who.nick), 202


@bp.get("/mail/messages")
def mail_messages():
    """The newest mails the sink received, newest first, without their bodies."""
    return jsonify(mails=[{k: m.get(k) for k in SUMMARY} for m in _mails(get_redis())])


@bp.get("/mail/messages/<mail_id>")
def mail_message(mail_id):
    """One received mail with its text and HTML parts (as text: pages escape them)."""
    for message in _mails(get_redis()):
        if message.get("id") == mail_id:
            return jsonify(message)
    raise Refused(404, f"no mail {mail_id[:20]!r} in the mailbox (it keeps the newest {keys.MAILBOX_MAX})")
