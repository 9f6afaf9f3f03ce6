"""The one watcher per deployment: tail the event stream, fan out to rooms.

It blocks on ``XREAD`` after the last id it has sent, so an event reaches
the dashboards as soon as it is written. Under a burst it batches: a client
gets at most one delta every ``DELTA_INTERVAL`` seconds, carrying every
event since the previous one plus the exact counts. Every
``RECONCILE_INTERVAL`` seconds it reads the counts (a few commands per queue,
never per viewer or per job) and the newest ids of each lane; a job it has
not heard of (run by a plain ``rq worker``, or enqueued with plain RQ APIs)
is written to the stream as a ``seen`` event, so it reaches every client by
the same path and is replayable. A card the clients show whose job is gone
(``rq empty``, a delete through RQ's API or rq-dashboard, its result TTL) is
removed the same way, with a ``vanished`` event.

With several server processes joined by the Socket.IO message queue, a
Redis lock makes sure only one of them runs the watcher.
"""

import logging
import os
import time
from collections import OrderedDict

import redis
from rq.job import Job

from .. import keys
from . import events, state

log = logging.getLogger(__name__)

#: How many job statuses the watcher remembers, to tell new jobs from known.
KNOWN_JOBS = 20_000

#: Seconds the watcher lock lives without renewal.
LOCK_TTL = 10

#: Most events one delta carries; a bigger burst goes out as several deltas.
MAX_BATCH = 2000

#: Longest blocking read of the stream (seconds): the watcher's client times
#: out past this plus the web tier's command timeout.
WATCHER_BLOCK = 1.0

#: Seconds between two worker lists sent to clients. Under a burst every
#: delta changes some worker; sending the list with each would double the
#: bytes every viewer receives and parses. The last change is always sent.
WORKERS_INTERVAL = 0.25


class Watcher:
    """Tails the stream in a background task started by ``start()``."""

    def __init__(self, socketio, connection, queue_names, *, lane_limit=25,
                 delta_interval=0.05, reconcile_interval=2.0, shared=True):
        self.socketio = socketio
        # Whether this process's pushes reach other processes' clients (a
        # message queue joins them): only then may one watcher serve them all,
        # chosen by the lock. Alone, a process needs its own watcher: another's
        # pushes would never reach its clients.
        self.shared = shared
        self.connection = connection
        self.queue_names = list(queue_names)
        self.lane_limit = lane_limit
        self.delta_interval = delta_interval
        self.reconcile_interval = reconcile_interval
        self.identity = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"
        self.last_sent = None
        # job id -> (lane the events leave it in, id of its newest event)
        self.known = OrderedDict()
        # What every client's lanes show, kept by the clients' own rules.
        self.shown = ShownLanes(lane_limit)
        self.redis_ok = None
        self.running = False
        self._task = None
        self._counts_sent = None
        self._next_reconcile = 0.0
        self._last_emit = 0.0
        self._workers_sent = None
        self._workers_at = 0.0
        self._workers_due = False

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        if self._task is None:
            self.running = True
            self._task = self.socketio.start_background_task(self.run)
        return self

    def stop(self, timeout=5.0):
        """Stop the loop, wait for it to end (at most one blocking read), free the lock."""
        self.running = False
        task, self._task = self._task, None
        if task is not None:
            try:
                task.join(timeout)
            except Exception:  # joining is a courtesy; never fail a shutdown on it
                pass

    def run(self):
        backoff = 0.2
        while self.running:
            try:
                if not self._hold_lock():
                    self.socketio.sleep(LOCK_TTL / 3)
                    continue
                if self.last_sent is None:
                    self._prime()
                self._set_redis_ok(True)
                self._loop_once()
                backoff = 0.2
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self._set_redis_ok(False, exc)
                self.socketio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            except Exception:  # a bad event must never stop the watcher
                log.exception("watcher: unexpected error; continuing")
                self.socketio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
        self._release_lock()

    def _release_lock(self):
        """Let another server's watcher take over at once instead of after LOCK_TTL."""
        if not self.shared:
            return
        try:
            if self.connection.get(keys.WATCHER_LOCK) == self.identity.encode():
                self.connection.delete(keys.WATCHER_LOCK)
        except redis.RedisError:
            pass  # it expires by itself

    def _emit(self, event, payload):
        if self.running:  # a stopped watcher (tests, shutdown) stays silent
            self.socketio.emit(event, payload, namespace=keys.LIVE_NAMESPACE, to=keys.DASHBOARD_ROOM)

    def _hold_lock(self):
        if not self.shared:
            if self.redis_ok is not True:  # "Redis is back" only after a command answered
                self.connection.ping()
            return True
        ok = self.connection.set(keys.WATCHER_LOCK, self.identity, nx=True, ex=LOCK_TTL)
        if ok:
            return True
        holder = self.connection.get(keys.WATCHER_LOCK)
        if holder is not None and holder.decode() == self.identity:
            self.connection.expire(keys.WATCHER_LOCK, LOCK_TTL)
            return True
        return False

    def _set_redis_ok(self, ok, exc=None):
        if ok != self.redis_ok:
            if not ok:
                log.warning("watcher: Redis is unavailable (%s); retrying", exc)
            elif self.redis_ok is False:
                log.info("watcher: Redis is back")
            self.redis_ok = ok
            # The exception's class only: its text names the host and port.
            reason = exc.__class__.__name__ if exc is not None else ""
            self._emit(keys.STATUS_EVENT, {"redis": ok, "reason": reason})

    def _prime(self):
        """Start after the newest event, knowing the jobs already shown."""
        _counts, lanes, last, _stats = state.read_view(self.connection, self.queue_names, self.lane_limit)
        self.last_sent = last
        self.shown.load(lanes)
        for per_queue in lanes.values():
            for lane, ids in per_queue.items():
                for job_id in ids:
                    self._remember(job_id, lane, last)
        self._next_reconcile = 0.0
        self._last_emit = 0.0

    # -- the loop ------------------------------------------------------------

    def _loop_once(self):
        now = time.monotonic()
        wake = self._next_reconcile
        if self._workers_due:
            wake = min(wake, self._workers_at + WORKERS_INTERVAL)
        wait_ms = int(max(1, min(WATCHER_BLOCK * 1000, (wake - now) * 1000)))
        woken = events.read_blocking(self.connection, self.last_sent, block_ms=wait_ms, count=1)
        if woken:
            # Hold the batch open until the client-facing interval has passed.
            pause = self.delta_interval - (time.monotonic() - self._last_emit)
            if pause > 0:
                self.socketio.sleep(pause)
            self._drain()
        elif self._workers_due and time.monotonic() >= self._workers_at + WORKERS_INTERVAL:
            workers = self._workers_if_changed()
            if workers is not None:
                self._counts_sent, stats = state.read_counts(self.connection, self.queue_names, with_stats=True)
                self._emit(keys.COUNTS_EVENT, {"counts": self._counts_sent, "workers": workers,
                                               "summary": state.summary(self._counts_sent, stats, workers)})
        if time.monotonic() >= self._next_reconcile:
            self.reconcile()
            self._next_reconcile = time.monotonic() + self.reconcile_interval

    def _drain(self):
        """Send, without waiting, every event written up to now (several deltas after a burst)."""
        while True:
            entries, counts, stats = state.read_counts_since(self.connection, self.queue_names, self.last_sent,
                                                             MAX_BATCH)
            if not entries:
                return
            full = len(entries) == MAX_BATCH
            # A full batch has more behind it: its counts would be ahead of its events.
            self._send_delta([events.decode(i, f) for i, f in entries], None if full else counts, stats)
            if not full:
                return

    def _send_delta(self, batch, counts, stats=None):
        for event in batch:
            self.shown.apply(event, _lane_after(event) if event.get("job") else None)
            if event.get("job"):
                self._remember(event["job"], _lane_after(event), event["id"])
        workers = None
        if _touches_workers(batch) or self._workers_due:
            if time.monotonic() >= self._workers_at + WORKERS_INTERVAL:
                workers = self._workers_if_changed()
            else:
                self._workers_due = True  # sent by a later delta, or on its own when the burst ends
        payload = {"prev": self.last_sent, "last": batch[-1]["id"], "events": batch, "sent": time.time()}
        if counts is not None:
            payload["counts"] = counts
            self._counts_sent = counts
            if stats is not None:
                payload["summary"] = state.summary(counts, stats, workers if workers is not None else
                                                   (self._workers_sent or []))
        if workers is not None:
            payload["workers"] = workers
        # The interval runs from the start of a fan-out, not its end: sending
        # to a thousand viewers takes a while, and counting it would stretch
        # every period (and every event's wait) by that long.
        self._last_emit = time.monotonic()
        self._emit(keys.DELTA_EVENT, payload)
        self.last_sent = payload["last"]

    def _workers_if_changed(self):
        """The worker list if it changed since last sent (else None); marks it sent."""
        self._workers_due = False
        self._workers_at = time.monotonic()
        workers = state.read_workers(self.connection)
        if workers == self._workers_sent:
            return None
        self._workers_sent = workers
        return workers

    def _remember(self, job_id, lane, event_id):
        self.known[job_id] = (lane, event_id)
        self.known.move_to_end(job_id)
        while len(self.known) > KNOWN_JOBS:
            self.known.popitem(last=False)

    # -- reconciliation ------------------------------------------------------

    def reconcile(self):
        """Correct counts and workers; write ``seen`` events for unknown jobs.

        The lanes and the newest event id are read in one transaction, then
        every event up to that id is sent first. A job whose events (up to
        that id) leave it in another lane than the one it is in was changed
        behind our back (a plain ``rq worker``, RQ's scheduler, a dependency):
        that is the only case that makes a ``seen`` event. A job that moved
        after the read has a newer event, which already tells the clients.
        """
        counts, lanes, horizon, stats = state.read_view(self.connection, self.queue_names, self.lane_limit)
        horizon_key = events.id_key(horizon)
        if events.id_key(self.last_sent) < horizon_key:
            self._drain()
        unknown = {}
        for per_queue in lanes.values():
            for lane, ids in per_queue.items():
                for job_id in ids:
                    known = self.known.get(job_id)
                    if known is not None and (known[0] == lane or events.id_key(known[1]) > horizon_key):
                        continue
                    unknown[job_id] = lane
        if unknown:
            self._publish_seen(unknown)
        self._publish_vanished(self.shown.missing_from(lanes), horizon_key)
        workers = state.read_workers(self.connection)
        if counts != self._counts_sent or workers != self._workers_sent:
            self._counts_sent, self._workers_sent = counts, workers
            self._workers_at, self._workers_due = time.monotonic(), False
            self._emit(keys.COUNTS_EVENT, {"counts": counts, "workers": workers,
                                           "summary": state.summary(counts, stats, workers)})

    def _publish_seen(self, unknown):
        cards = state.fetch_cards(self.connection, unknown)
        with self.connection.pipeline() as pipe:
            for job_id, lane in unknown.items():
                card = cards.get(job_id)
                if card is None:
                    continue
                events.publish(self.connection, "seen", {"job": job_id, **card}, pipeline=pipe,
                               worker=card["worker"] or None, status=lane, info=card.get("info") or None,
                               progress=repr(card["progress"]) if card.get("progress") is not None else None)
            pipe.execute()
        # Remembered when the watcher reads them back from the stream.

    def _publish_vanished(self, candidates, horizon_key):
        """``vanished`` events for shown cards whose job no longer exists.

        ``candidates`` are the cards shown that the lanes just read do not
        have (at most lanes x limit of them): most moved on with an event
        after the read, or are only further down their lane; one round trip
        tells which of the rest are gone.
        """
        candidates = [job_id for job_id in candidates
                      if job_id not in self.known or events.id_key(self.known[job_id][1]) <= horizon_key]
        if not candidates:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in candidates:
                pipe.exists(Job.key_for(job_id))
            exists = pipe.execute()
        gone = [job_id for job_id, there in zip(candidates, exists) if not there]
        if not gone:
            return
        with self.connection.pipeline() as pipe:
            for job_id in gone:
                queue = self.shown.queue_of(job_id)
                events.publish(self.connection, "vanished", {"job": job_id, "queue": queue}, pipeline=pipe,
                               info="gone from Redis behind the dashboard's back (deleted, emptied or expired)")
            pipe.execute()
        # Forgotten when the watcher reads them back from the stream.


class ShownLanes:
    """The cards every dashboard shows, per queue and lane, newest first.

    The same rules as the page's store (static/dashboard/store.js): a card
    moving to a lane goes on top, a lane keeps ``limit`` cards, an event
    with no lane (deleted, vanished) removes the card, ``emptied`` clears the
    queued lane. Bounded: queues x lanes x ``limit`` ids.
    """

    def __init__(self, limit):
        self.limit = limit
        self.lanes = {}   # (queue, lane) -> [job id, newest first]
        self.where = {}   # job id -> (queue, lane)

    def load(self, lanes):
        self.lanes, self.where = {}, {}
        for queue, per_lane in lanes.items():
            for lane, ids in per_lane.items():
                self.lanes[(queue, lane)] = list(ids[: self.limit])
                for job_id in self.lanes[(queue, lane)]:
                    self.where[job_id] = (queue, lane)

    def queue_of(self, job_id):
        return self.where.get(job_id, ("", ""))[0]

    def apply(self, event, lane):
        job_id = event.get("job")
        if not job_id:
            if event.get("type") == "emptied":
                for gone in self.lanes.get((event.get("queue"), "queued"), []):
                    self.where.pop(gone, None)
                self.lanes[(event.get("queue"), "queued")] = []
            return
        current = self.where.get(job_id)
        queue = event.get("queue") or (current[0] if current else None)
        if lane is None:
            if current:
                self._drop(job_id, current)
            return
        if (queue, lane) not in self.lanes or current == (queue, lane):
            return
        if current:
            self._drop(job_id, current)
        cards = self.lanes[(queue, lane)]
        cards.insert(0, job_id)
        self.where[job_id] = (queue, lane)
        while len(cards) > self.limit:
            self.where.pop(cards.pop(), None)

    def _drop(self, job_id, place):
        self.where.pop(job_id, None)
        cards = self.lanes.get(place)
        if cards and job_id in cards:
            cards.remove(job_id)

    def missing_from(self, lanes):
        """Shown ids that ``lanes`` (a fresh read) does not have in the same place."""
        return [job_id for (queue, lane), ids in self.lanes.items()
                for job_id in ids if job_id not in lanes.get(queue, {}).get(lane, ())]


def _lane_after(event):
    """Which lane an event leaves its job in (None: the job is gone)."""
    kind = event["type"]
    if kind == "seen":
        return event.get("status") or None
    if kind == "retry":
        return "scheduled" if event.get("at") else "queued"
    if kind == "abandoned":
        return "queued" if event.get("outcome") in ("retried", "requeued") else "failed"
    return _EVENT_LANE.get(kind)


#: Which lane an event type leaves a job in.
_EVENT_LANE = {
    "enqueued": "queued", "requeued": "queued", "scheduled": "scheduled", "started": "started",
    "progress": "started", "finished": "finished", "failed": "failed", "canceled": "canceled",
    "deleted": None, "vanished": None,
}


def _touches_workers(batch):
    return any(e["type"] in ("started", "finished", "failed", "retry", "abandoned", "canceled") for e in batch)
