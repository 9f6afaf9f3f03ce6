"""``python -m demo smtp``: the SMTP sink email jobs send to (aiosmtpd).

A real SMTP server on a loopback port, run without aiosmtpd's Controller
(this process is the server: ``serve`` supervises it like a worker). Every
mail it accepts is parsed, stored in Redis (``keys.MAILBOX``, newest first,
at most ``keys.MAILBOX_MAX``) and announced with a ``mail`` event on the
lifecycle stream, so the mailbox page updates through the same Socket.IO
path as the dashboard. Nothing is relayed anywhere.
"""

import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import sys
import time

import redis
from aiosmtpd.smtp import SMTP

from . import child
from .. import keys
from ..live import events
from ..db import make_client

log = logging.getLogger("demo.smtp")

#: Largest mail the sink takes (bytes); bigger ones get SMTP's 552.
MAX_MESSAGE = 256 * 1024

#: Longest text or HTML part kept per mail (characters).
MAX_PART = 64 * 1024


def _clip(text, limit=MAX_PART):
    return text if len(text) <= limit else text[:limit] + "\n… (cut)"


def _part(message, subtype):
    body = message.get_body((subtype,))
    if body is None:
        return None
    try:
        return _clip(body.get_content())
    except (LookupError, ValueError):  # unknown charset, broken encoding
        return _clip(body.get_payload(decode=True).decode("utf-8", "replace"))


def parse(content, mail_from, rcpt_tos):
    """What the mailbox keeps of one received mail (all strings)."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    return {
        "mail_from": mail_from or "",
        "rcpt_tos": list(rcpt_tos),
        "subject": str(message.get("Subject", ""))[:300],
        "from": str(message.get("From", ""))[:300],
        "to": str(message.get("To", ""))[:300],
        "date": str(message.get("Date", ""))[:100],
        "message_id": str(message.get("Message-ID", ""))[:300],
        "text": _part(message, "plain"),
        "html": _part(message, "html"),
        "size": len(content),
    }


def store(connection, record):
    """Keep ``record`` in the mailbox and announce it; return its id."""
    record = dict(record, id=str(connection.incr(keys.MAILBOX_SEQ)), received=time.time())
    with connection.pipeline() as pipe:
        pipe.lpush(keys.MAILBOX, json.dumps(record))
        pipe.ltrim(keys.MAILBOX, 0, keys.MAILBOX_MAX - 1)
        events.publish(connection, "mail", pipeline=pipe, mail=record["id"],
                       info=record["subject"] or "(no subject)", to=", ".join(record["rcpt_tos"]))
        pipe.execute()
    return record["id"]


class MailboxHandler:
    """aiosmtpd handler: parse and store each mail (Redis calls run in a thread)."""

    def __init__(self, connection):
        self.connection = connection

    async def handle_DATA(self, server, session, envelope):
        try:
            record = parse(envelope.content, envelope.mail_from, envelope.rcpt_tos)
        except Exception:  # a mail we cannot read is refused, not half-stored
            log.exception("could not parse a mail from %s", envelope.mail_from)
            return "554 5.6.0 message could not be parsed"
        try:
            mail_id = await asyncio.to_thread(store, self.connection, record)
        except redis.RedisError as exc:
            log.warning("could not store a mail: %s", exc)
            return "451 4.3.0 mailbox unavailable, try again later"
        log.info("mail %s from %s to %s: %s", mail_id, envelope.mail_from, ", ".join(envelope.rcpt_tos),
                 record["subject"])
        return f"250 2.0.0 stored as mail {mail_id}"


async def _serve(connection, host, port, parent_pid):
    loop = asyncio.get_running_loop()
    handler = MailboxHandler(connection)
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_MESSAGE, enable_SMTPUTF8=True,
                     hostname="ohmyqueue.sink", ident="Oh My Queue SMTP sink"),
        host=host, port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"SMTP sink listening on smtp://{host}:{port}", flush=True)
    async with server:
        while not stop.is_set():
            if parent_pid and os.getppid() != parent_pid:
                log.warning("serve (pid %s) is gone: stopping", parent_pid)
                break
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
            except asyncio.TimeoutError:
                pass
    print("SMTP sink stopped.", flush=True)


def run_smtp(args):
    """Entry point of ``python -m demo smtp``; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    url = child.redis_url("smtp", args.redis_url, wait=args.wait_redis)
    if url is None:
        return 1
    connection = make_client(url, socket_timeout=5)
    try:
        asyncio.run(_serve(connection, args.host, args.port, args.parent_pid))
    except OSError as exc:
        print(f"smtp: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0
