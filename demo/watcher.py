"""The one watcher per deployment: tail the event stream, fan out to rooms.

It blocks on ``XREAD`` after the last id it has sent, so an event reaches
the dashboards as soon as it is written. Under a burst it batches: a client
gets at most one delta every ``DELTA_INTERVAL`` seconds, carrying every
event since the previous one plus the exact counts. Every
``RECONCILE_INTERVAL`` seconds it reads the counts (a few commands per queue,
never per viewer or per job) and the newest ids of each lane; a job it has
not heard of (run by a plain ``rq worker``, or enqueued with plain RQ APIs)
is written to the stream as a ``seen`` event, so it reaches every client by
the same path and is replayable.

With several server processes joined by the Socket.IO message queue, a
Redis lock makes sure only one of them runs the watcher.
"""

import logging
import os
import time
from collections import OrderedDict

import redis

from . import events, keys, state

log = logging.getLogger(__name__)

#: How many job statuses the watcher remembers, to tell new jobs from known.
KNOWN_JOBS = 20_000

#: Seconds the watcher lock lives without renewal.
LOCK_TTL = 10


class Watcher:
    """Tails the stream in a background task started by ``start()``."""

    def __init__(self, socketio, connection, queue_names, *, lane_limit=25,
                 delta_interval=0.05, reconcile_interval=2.0):
        self.socketio = socketio
        self.connection = connection
        self.queue_names = list(queue_names)
        self.lane_limit = lane_limit
        self.delta_interval = delta_interval
        self.reconcile_interval = reconcile_interval
        self.identity = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"
        self.last_sent = None
        self.known = OrderedDict()
        self.redis_ok = None
        self.running = False
        self._task = None
        self._last_reconciled = None

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
            task.join(timeout)

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
                self._set_redis_ok(False, str(exc))
                self.socketio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # a bad event must never stop the watcher
                log.exception("watcher: unexpected error; continuing")
                self.socketio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        self._release_lock()

    def _release_lock(self):
        try:
            if self.connection.get(keys.WATCHER_LOCK) == self.identity.encode():
                self.connection.delete(keys.WATCHER_LOCK)
        except redis.RedisError:
            pass  # it expires by itself

    def _hold_lock(self):
        ok = self.connection.set(keys.WATCHER_LOCK, self.identity, nx=True, ex=LOCK_TTL)
        if ok:
            return True
        holder = self.connection.get(keys.WATCHER_LOCK)
        if holder is not None and holder.decode() == self.identity:
            self.connection.expire(keys.WATCHER_LOCK, LOCK_TTL)
            return True
        return False

    def _set_redis_ok(self, ok, reason=""):
        if ok != self.redis_ok:
            self.redis_ok = ok
            payload = {"redis": ok, "reason": reason if not ok else ""}
            self.socketio.emit(keys.STATUS_EVENT, payload, namespace=keys.LIVE_NAMESPACE, to=keys.DASHBOARD_ROOM)

    def _prime(self):
        """Start after the newest event, knowing the jobs already shown."""
        self.last_sent = events.last_id(self.connection)
        lanes = state.read_lanes(self.connection, self.queue_names, self.lane_limit)
        for per_queue in lanes.values():
            for lane, ids in per_queue.items():
                for job_id in ids:
                    self._remember(job_id, lane)
        self._next_reconcile = 0.0
        self._last_emit = 0.0

    # -- the loop ------------------------------------------------------------

    def _loop_once(self):
        now = time.monotonic()
        wait_ms = int(max(1, min(1000, (self._next_reconcile - now) * 1000)))
        batch = events.read_blocking(self.connection, self.last_sent, block_ms=wait_ms)
        if batch:
            # Hold the batch open until the client-facing interval has passed.
            pause = self.delta_interval - (time.monotonic() - self._last_emit)
            if pause > 0:
                self.socketio.sleep(pause)
                more = events.read_blocking(self.connection, batch[-1]["id"], block_ms=None, count=5000)
                batch.extend(more)
            self._send_delta(batch)
        if time.monotonic() >= self._next_reconcile:
            self.reconcile()
            self._next_reconcile = time.monotonic() + self.reconcile_interval

    def _send_delta(self, batch):
        for event in batch:
            if event.get("job"):
                self._remember(event["job"], event["type"])
        counts = state.read_counts(self.connection, self.queue_names)
        payload = {
            "prev": self.last_sent,
            "last": batch[-1]["id"],
            "events": batch,
            "counts": counts,
            "workers": state.read_workers(self.connection) if _touches_workers(batch) else None,
            "sent": time.time(),
        }
        self.socketio.emit(keys.DELTA_EVENT, payload, namespace=keys.LIVE_NAMESPACE, to=keys.DASHBOARD_ROOM)
        self.last_sent = payload["last"]
        self._last_emit = time.monotonic()

    def _remember(self, job_id, status):
        self.known[job_id] = status
        self.known.move_to_end(job_id)
        while len(self.known) > KNOWN_JOBS:
            self.known.popitem(last=False)

    # -- reconciliation ------------------------------------------------------

    def reconcile(self):
        """Correct counts and workers; write ``seen`` events for unknown jobs."""
        counts = state.read_counts(self.connection, self.queue_names)
        workers = state.read_workers(self.connection)
        # Lanes and the stream's tail in one transaction: events written after
        # our last delta but before this read explain lane moves we have not
        # sent yet; they are not unknown jobs.
        lanes, tail = state.read_lanes(self.connection, self.queue_names, self.lane_limit, with_tail=True)
        known = dict(self.known)
        if tail != self.last_sent:
            pending = events.since(self.connection, self.last_sent, limit=50_000) or []
            for event in pending:
                if event.get("job") and _id_tuple(event["id"]) <= _id_tuple(tail):
                    known[event["job"]] = event.get("status") or event["type"]
        unknown = {}
        for per_queue in lanes.values():
            for lane, ids in per_queue.items():
                for job_id in ids:
                    if _lane_of(known.get(job_id)) != lane:
                        unknown[job_id] = lane
        if unknown:
            cards = state.fetch_cards(self.connection, unknown)
            with self.connection.pipeline() as pipe:
                for job_id, lane in unknown.items():
                    card = cards.get(job_id)
                    if card is None:
                        continue
                    events.publish(self.connection, "seen", {"job": job_id, **card}, pipeline=pipe,
                                   worker=card["worker"] or None, status=lane)
                    self._remember(job_id, lane)
                pipe.execute()
        payload = {"counts": counts, "workers": workers}
        if payload != self._last_reconciled:
            self._last_reconciled = payload
            self.socketio.emit(keys.COUNTS_EVENT, payload, namespace=keys.LIVE_NAMESPACE, to=keys.DASHBOARD_ROOM)


def _id_tuple(entry_id):
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


#: Which lane an event type leaves a job in.
_EVENT_LANE = {
    "enqueued": "queued", "requeued": "queued", "scheduled": "scheduled", "started": "started",
    "progress": "started", "finished": "finished", "failed": "failed", "canceled": "canceled",
    "retry": "scheduled", "abandoned": "failed",
}


def _lane_of(status):
    if status is None:
        return None
    return _EVENT_LANE.get(status, status)


def _touches_workers(batch):
    return any(e["type"] in ("started", "finished", "failed", "retry", "abandoned", "canceled") for e in batch)
