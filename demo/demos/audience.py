"""Who is submitting, and whether they may: visitor, nickname, limits.

A visitor is a random id kept in the signed session cookie (a visitor
cannot forge one); a request without the cookie counts as its IP address.
Each visitor gets a nickname made here from that id (adjective + animal),
never from anything a client sends. Before a job is accepted:

- per visitor, at most DEMO_RATE_LIMIT submissions per DEMO_RATE_WINDOW
  seconds (a sliding window in a Redis sorted set per visitor), and a looser
  DEMO_RATE_LIMIT_PER_IP per IP (phones at a venue share one address);
- globally, at most DEMO_AUDIENCE_CAP audience jobs open (queued, scheduled
  or running), counted in ``keys.AUDIENCE_OPEN``;
- of those, no visitor holds more than its fair share (DEMO_SHARE_VISITOR of
  the cap) and no IP address more than its own (DEMO_SHARE_ADDRESS), counted
  in ``keys.AUDIENCE_HELD``: a client minting a fresh cookie per request
  still meets its address's share, and the rest of the cap stays open to
  everyone else.

The presenter is not limited: their jobs are the talk.
"""

import hashlib
import math
import secrets
import time
import uuid
from dataclasses import dataclass

from flask import request, session
from rq.job import Job

from .. import keys
from ..live.enqueue import enqueue
from ..talk.presenter import is_presenter
from . import bp
from .common import Refused, setting

ADJECTIVES = (
    "brave", "calm", "clever", "cosmic", "curious", "daring", "eager", "fancy", "gentle", "happy",
    "jolly", "keen", "lively", "lucky", "mellow", "mighty", "nimble", "plucky", "quick", "quiet",
    "rapid", "shiny", "sleepy", "snappy", "sunny", "swift", "tidy", "witty", "zany", "zesty",
    "bold", "cheery",
)
ANIMALS = (
    "alpaca", "badger", "beaver", "bison", "camel", "cheetah", "dolphin", "falcon", "ferret", "gecko",
    "heron", "ibis", "koala", "lemur", "llama", "lynx", "marmot", "narwhal", "otter", "owl",
    "panda", "pelican", "puffin", "quokka", "raccoon", "salmon", "sloth", "tapir", "walrus", "wombat",
    "yak", "zebra",
)

#: Statuses after which a job no longer counts against the global cap.
TERMINAL = {"finished", "failed", "canceled", "stopped"}

#: Most jobs a visitor's "my jobs" list keeps, and for how long (seconds).
MINE_MAX, MINE_TTL = 30, 86_400

#: Seconds a client's set of held jobs outlives its last submission.
HELD_TTL = 86_400

#: A job whose hash is missing counts as gone only once it is this old (seconds):
#: until then it may be being enqueued right now.
YOUNG = 60

#: Jobs of this queue are the audience's; the presenter's go to ``default``.
AUDIENCE_QUEUE = "low"


@dataclass(frozen=True)
class Visitor:
    id: str
    nick: str
    presenter: bool

    @property
    def queue(self):
        """Audience jobs wait behind the presenter's: workers take ``default`` first."""
        return "default" if self.presenter else AUDIENCE_QUEUE


def nickname(visitor_id):
    """A stable, harmless nickname for ``visitor_id`` (adjective + animal)."""
    digest = hashlib.blake2b(visitor_id.encode(), digest_size=4).digest()
    return f"{ADJECTIVES[digest[0] % len(ADJECTIVES)]} {ANIMALS[digest[1] % len(ANIMALS)]}"


@bp.before_request
def _give_an_id():
    """Any demo page gives a new visitor an id, so its nickname holds from the start."""
    if request.method == "GET" and not isinstance(session.get("visitor"), str) and not is_presenter():
        session["visitor"] = secrets.token_urlsafe(12)


def visitor():
    """This request's visitor.

    A submission without the cookie counts as its IP address (and gets an id
    for next time), so a client that drops cookies cannot reset its limit.
    """
    if is_presenter():
        return Visitor("presenter", "presenter", True)
    visitor_id = session.get("visitor")
    if not isinstance(visitor_id, str):
        session["visitor"] = secrets.token_urlsafe(12)
        visitor_id = "ip:" + (request.remote_addr or "unknown")
    return Visitor(visitor_id, nickname(visitor_id), False)


def admit(connection, job_id=None):
    """Check the limits for one submission; return the visitor.

    With ``job_id`` the submission is a job and also takes a place under the
    global cap and in the visitor's and the address's shares of it. Raises
    Refused (429 or 503); a refused submission does not count against any
    limit.
    """
    who = visitor()
    if who.presenter:
        return who
    address = request.remote_addr or "unknown"
    window = setting("DEMO_RATE_WINDOW")
    taken = []
    try:
        taken.append(_hit(connection, keys.RATE_LIMIT.format("ip", address),
                          setting("DEMO_RATE_LIMIT_PER_IP"), window, "too many submissions from your network"))
        taken.append(_hit(connection, keys.RATE_LIMIT.format("visitor", who.id), setting("DEMO_RATE_LIMIT"),
                          window, "slow down"))
        if job_id is not None:
            cap = setting("DEMO_AUDIENCE_CAP")
            taken.append(_hold(connection, keys.AUDIENCE_HELD.format("visitor", who.id), job_id,
                               share(cap, "DEMO_SHARE_VISITOR"), "you already have"))
            taken.append(_hold(connection, keys.AUDIENCE_HELD.format("address", address), job_id,
                               share(cap, "DEMO_SHARE_ADDRESS"), "your network already has"))
            _take_place(connection, job_id, cap)
    except Refused:
        for key, member in taken:
            connection.zrem(key, member)
        raise
    return who


def share(cap, name):
    """A client's fair share of ``cap``: the fraction ``name`` of it, at least one job."""
    return max(1, math.floor(cap * setting(name)))


def new_job_id():
    return str(uuid.uuid4())


def _hit(connection, key, limit, window, headline):
    """Count one submission in ``key``'s sliding window; Refused 429 past ``limit``."""
    now = time.time()
    member = f"{now:.6f}:{secrets.token_hex(4)}"
    with connection.pipeline() as pipe:
        pipe.zremrangebyscore(key, 0, now - window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        pipe.expire(key, int(window) + 1)
        _, _, count, oldest, _ = pipe.execute()
    if count > limit:
        connection.zrem(key, member)
        wait = max(1, int(oldest[0][1] + window - now + 0.999)) if oldest else int(window)
        raise Refused(429, f"{headline}: at most {limit} submissions per {window:g} s; try again in {wait} s",
                      headers={"Retry-After": str(wait)}, retry_after=wait)
    return key, member


def _hold(connection, key, job_id, limit, holder):
    """Count ``job_id`` among the open jobs ``key``'s client holds; Refused 429 past ``limit``.

    Added first, counted second (like the cap): the share is never exceeded.
    Returns ``(key, job_id)`` so that a later refusal can give the place back.
    """
    with connection.pipeline() as pipe:
        pipe.zadd(key, {job_id: time.time()})
        pipe.expire(key, HELD_TTL)
        pipe.zcard(key)
        held = pipe.execute()[-1]
    if held > limit and prune(connection, key) > limit:
        connection.zrem(key, job_id)
        raise Refused(429, f"{holder} {limit} job{'s' * (limit != 1)} waiting or running, "
                           "your fair share of the queue; send another when one has finished",
                      headers={"Retry-After": "10"}, retry_after=10)
    return key, job_id


def _take_place(connection, job_id, cap):
    """Count ``job_id`` as open; Refused 503 when that makes more than ``cap``.

    Added first, counted second: concurrent submissions may both be refused
    near the cap, but the cap is never exceeded.
    """
    connection.zadd(keys.AUDIENCE_OPEN, {job_id: time.time()})
    if connection.zcard(keys.AUDIENCE_OPEN) > cap and prune(connection) > cap:
        connection.zrem(keys.AUDIENCE_OPEN, job_id)
        raise Refused(503, f"the queue is full: {cap} audience jobs are waiting or running; "
                           "try again when some have finished", headers={"Retry-After": "10"}, retry_after=10)


def prune(connection, key=keys.AUDIENCE_OPEN):
    """Drop finished (or vanished) jobs from the set ``key``; return how many stay."""
    entries = connection.zrange(key, 0, -1, withscores=True)
    ids = [i.decode() for i, _ in entries]
    with connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    # A job whose hash is missing is gone (expired, deleted) unless it was
    # only just added and is being enqueued right now.
    young = time.time() - YOUNG
    over = [job_id for job_id, (_, score), raw in zip(ids, entries, statuses)
            if (raw is not None and raw.decode() in TERMINAL) or (raw is None and score < young)]
    if over:
        connection.zrem(key, *over)
    return len(ids) - len(over)


def remember(connection, who, job):
    """Add ``job`` to the visitor's "my jobs" list (pages restore it after a reload)."""
    key = keys.AUDIENCE_MINE.format(who.id)
    with connection.pipeline() as pipe:
        pipe.lpush(key, job.id)
        pipe.ltrim(key, 0, MINE_MAX - 1)
        pipe.expire(key, MINE_TTL)
        pipe.execute()


def mine(connection, who):
    """Ids of the visitor's recent jobs, newest first."""
    return [i.decode() for i in connection.lrange(keys.AUDIENCE_MINE.format(who.id), 0, MINE_MAX - 1)]


def owns(connection, job_id):
    """Whether ``job_id`` is one of this request's visitor's recent jobs."""
    return job_id in mine(connection, visitor())


def submit(connection, func, *args, demo, **options):
    """Admit one job and enqueue it with the visitor's nickname; return (visitor, job).

    The job goes to the visitor's queue (the presenter's to ``default``, the
    audience's to ``low``) through the app's enqueue path, so its events
    reach every dashboard. ``options`` are RQ's (``retry``, ``timeout``...).
    """
    job_id = new_job_id()
    who = admit(connection, job_id)
    job = enqueue(connection, func, *args, queue=who.queue, job_id=job_id,
                  meta={"nick": who.nick, "demo": demo}, **options)
    remember(connection, who, job)
    return who, job
