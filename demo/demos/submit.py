"""Audience jobs: visitors send jobs from their phones and watch them run.

Two kinds: a snippet to highlight, or "make me wait N seconds" (at most
DEMO_WAIT_MAX). Each visitor gets a server-made nickname shown with their
jobs; the rate limit and the global cap (see ``audience``) answer with a
clear message. Audience jobs go to the ``low`` queue, behind the
presenter's, and get one retry, so a worker killed mid-job costs nothing.

The 202 says where the job stands (``line``): its place in line and how
many workers are busy. A page may name each submission (``request``): sent
again after a lost answer, it gets the job the first try made, not a second.
"""

import re

from flask import jsonify, request
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from .. import jobs, keys
from ..db import get_redis
from . import audience, bp, highlight
from .common import Refused, json_body, number, page, setting, status_of
from .line import place_in_line

#: A page's name for one submission, and how long (seconds) a second try finds its job.
REQUEST_ID, REQUEST_TTL = re.compile(r"^[A-Za-z0-9_-]{8,40}$"), 3600


@bp.get("/submit")
def submit():
    """The audience's page, made for phones: send a job, watch yours run."""
    who = audience.visitor()
    return page("demos/submit.html", nick=who.nick, wait_max=setting("DEMO_WAIT_MAX"),
                rate=setting("DEMO_RATE_LIMIT"), window=setting("DEMO_RATE_WINDOW"),
                popular=highlight.POPULAR, snippet_max=setting("DEMO_SNIPPET_MAX"))


@bp.post("/submit")
def submit_job():
    """Enqueue a visitor's job: ``{"kind": "wait", "seconds": n}`` or a snippet (202).

    With ``"request": id`` (8 to 40 letters, digits, - or _), a second try of
    the same submission answers with the first try's job.
    """
    data = json_body()
    connection = get_redis()
    request_id = data.get("request")
    if request_id is not None and not (isinstance(request_id, str) and REQUEST_ID.match(request_id)):
        raise Refused(400, "request must be 8 to 40 letters, digits, - or _")
    tried = keys.AUDIENCE_REQUEST.format(audience.visitor().id, request_id) if request_id else None
    if tried and not connection.set(tried, "", nx=True, ex=REQUEST_TTL):
        earlier = (connection.get(tried) or b"").decode()
        if not earlier:
            raise Refused(409, "this job is still being sent: it shows up under your jobs in a moment")
        try:
            job = Job.fetch(earlier, connection=connection)
        except NoSuchJobError:
            raise Refused(410, "that job was sent earlier and has expired since") from None
        return _accepted(connection, job, audience.visitor().nick)
    try:
        who, job = _enqueue(connection, data)
    except BaseException:
        if tried:
            connection.delete(tried)  # refused or failed: not accepted, so a retry may try again
        raise
    if tried:
        connection.set(tried, job.id, ex=REQUEST_TTL)
    return _accepted(connection, job, who.nick)


def _enqueue(connection, data):
    if data.get("kind") == "wait":
        seconds = number(data, "seconds", 1, setting("DEMO_WAIT_MAX"))
        return audience.submit(connection, jobs.wait, seconds, demo="submit", retry=Retry(max=1),
                               timeout=int(seconds) + 30, result_ttl=3600, failure_ttl=3600)
    if data.get("kind") == "highlight":
        return highlight.enqueue_highlight(connection, data)
    raise Refused(400, "kind is 'wait' or 'highlight'")


def _accepted(connection, job, nick):
    """The 202: the job, and where it stands (its place in line, busy workers)."""
    return jsonify(job=job.id, nick=nick, queue=job.origin, status=status_of(job),
                   **place_in_line(connection, job.id, job.origin)), 202


#: How "my jobs" names each kind of job (from its arguments).
LABELS = {
    "demo.jobs.wait": lambda args: f"wait {args[0]:g} s",
    "demo.jobs.highlight": lambda args: f"{args[1]} snippet",
    "demo.jobs.slow_report": lambda args: f"background, {args[0]:g} s task",
    "demo.jobs.send_welcome_email": lambda args: f"welcome email to {args[0]}",
    "demo.jobs.flaky": lambda args: f"fails {args[0]}×",
    "demo.jobs.reminder": lambda args: f"reminder: {args[0]}",
}


def label(job):
    try:
        return LABELS[job.func_name](job.args)
    except Exception:  # an unknown or unreadable job still gets a name
        return (job.func_name or "job").rsplit(".", 1)[-1]


@bp.get("/mine")
def mine():
    """The visitor's recent jobs (of one demo with ``?demo=``), newest first."""
    connection = get_redis()
    who = audience.visitor()
    demo = request.args.get("demo")
    found = [job for job in Job.fetch_many(audience.mine(connection, who), connection=connection)
             if job is not None and (demo is None or (job.meta or {}).get("demo") == demo)]
    return jsonify(nick=who.nick, jobs=[
        {"id": job.id, "func": job.func_name, "label": label(job), "status": status_of(job),
         "demo": (job.meta or {}).get("demo", ""), "progress": (job.meta or {}).get("progress")}
        for job in found])
