"""Audience jobs: visitors send jobs from their phones and watch them run.

Two kinds: a snippet to highlight, or "make me wait N seconds" (at most
DEMO_WAIT_MAX). Each visitor gets a server-made nickname shown with their
jobs; the rate limit and the global cap (see ``audience``) answer with a
clear message. Audience jobs go to the ``low`` queue, behind the
presenter's, and get one retry, so a worker killed mid-job costs nothing.
"""

from flask import jsonify, request
from rq import Retry
from rq.job import Job

from .. import jobs
from ..db import get_redis
from . import audience, bp, highlight
from .common import Refused, json_body, number, page, setting, status_of


@bp.get("/submit")
def submit():
    """The audience's page, made for phones: send a job, watch yours run."""
    who = audience.visitor()
    return page("demos/submit.html", nick=who.nick, wait_max=setting("DEMO_WAIT_MAX"),
                rate=setting("DEMO_RATE_LIMIT"), window=setting("DEMO_RATE_WINDOW"),
                popular=highlight.POPULAR, snippet_max=setting("DEMO_SNIPPET_MAX"))


@bp.post("/submit")
def submit_job():
    """Enqueue a visitor's job: ``{"kind": "wait", "seconds": n}`` or a snippet (202)."""
    data = json_body()
    connection = get_redis()
    if data.get("kind") == "wait":
        seconds = number(data, "seconds", 1, setting("DEMO_WAIT_MAX"))
        who, job = audience.submit(connection, jobs.wait, seconds, demo="submit", retry=Retry(max=1),
                                   timeout=int(seconds) + 30, result_ttl=3600, failure_ttl=3600)
    elif data.get("kind") == "highlight":
        who, job = highlight.enqueue_highlight(connection, data)
    else:
        raise Refused(400, "kind is 'wait' or 'highlight'")
    return jsonify(job=job.id, nick=who.nick, queue=job.origin), 202


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
