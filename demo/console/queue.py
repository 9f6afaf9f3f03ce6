"""QUEUE mode: a read-only window on the real queue's Redis.

Commands run as ``omq-queue-reader``, an ACL user the app creates through
its own (admin) connection the first time it is needed: it may run only the
read commands of ``commands.QUEUE`` (plus ``SCAN``, which ``KEYS`` uses) and
read only ``rq:*`` keys. Here, on top of that:

- ``KEYS`` takes a pattern starting with ``rq:`` and walks with ``SCAN`` in
  batches, at most CONSOLE_QUEUE_ITEMS_MAX names, so the queue never waits;
- ``LRANGE`` and ``ZRANGE`` return at most CONSOLE_QUEUE_ITEMS_MAX items;
- hashes are read only for ``rq:job:*``, and of a job's fields only those
  the dashboard shows anyway appear; ``data`` (the pickled call),
  ``description``, ``meta``, results and errors show as their size, so what
  someone typed into a demo is not readable here;
- sets only for ``rq:queues`` and ``rq:workers*``.

A Redis that refuses ``ACL SETUSER`` (an older server, or an account without
the right) leaves QUEUE mode unavailable, said plainly, and the app unharmed.
"""

import hashlib
import hmac
import time

import redis
from redis.exceptions import ResponseError

from .. import keys
from .commands import QUEUE
from .parse import ConsoleError
from .replies import Hidden, Status, server_error
from .wire import Round, pool, without_credentials

#: Job hash fields shown as they are: times, status, names, numbers. Any other
#: field (data, description, meta, result, exc_info, webhooks...) shows its size.
JOB_FIELDS = {
    b"created_at", b"enqueued_at", b"started_at", b"ended_at", b"last_heartbeat", b"status", b"origin",
    b"timeout", b"result_ttl", b"failure_ttl", b"ttl", b"worker_name", b"retries_left", b"number_of_retries",
    b"retry_intervals", b"dependency_id", b"group_id", b"success_callback_name", b"failure_callback_name",
    b"stopped_callback_name", b"success_callback_timeout", b"failure_callback_timeout",
    b"stopped_callback_timeout", b"repeats_left", b"repeat_intervals", b"enqueue_at_front_on_retry",
}

#: What the reader may run. SCAN is there for KEYS; the ACL cannot narrow SCAN to rq:*
#: (no Redis can), so the console does: its MATCH always starts with rq:.
ACL_COMMANDS = sorted({name.lower() for name in QUEUE} - {"keys"} | {"scan"})

#: Seconds before a refused ACL SETUSER is tried again.
RETRY_UNAVAILABLE = 30.0

#: Most SCAN round trips one KEYS may take.
MAX_SCAN_ROUNDS = 50


class QueueUnavailable(RuntimeError):
    """QUEUE mode cannot run on this Redis; the message says why."""


class QueueWindow:
    def __init__(self, url, admin, secret, items_max, timeout):
        self.admin = admin
        self.items_max = items_max
        self.password = hmac.new(secret.encode() if isinstance(secret, str) else secret,
                                 b"omq-queue-reader", hashlib.sha256).hexdigest()
        self.reader = pool(without_credentials(url), 20, 5.0, timeout, username=keys.CONSOLE_QUEUE_USER,
                           password=self.password, driver_info=None)
        self._ready = False
        self._refused = None  # (reason, until)

    def close(self):
        self.reader.disconnect()

    def user_rules(self):
        """The reader's ``ACL SETUSER`` arguments: read commands only, ``rq:*`` keys only.

        Passwords are added, never reset: several server processes (one
        secret) agree, and none locks out another's open connections.
        """
        return [keys.CONSOLE_QUEUE_USER, "on", ">" + self.password, "resetkeys", "~rq:*", "resetchannels",
                "-@all", *("+" + name for name in ACL_COMMANDS)]

    def ensure_user(self, force=False):
        if self._ready and not force:
            return
        now = time.monotonic()
        if self._refused and now < self._refused[1] and not force:
            raise QueueUnavailable(self._refused[0])
        try:
            self.admin.execute_command("ACL", "SETUSER", *self.user_rules())
        except ResponseError as exc:
            reason = (f"QUEUE mode is unavailable: this Redis refused to create a read-only user "
                      f"({server_error(exc)[:160]}); the rest of the console works")
            self._refused = (reason, now + RETRY_UNAVAILABLE)
            raise QueueUnavailable(reason) from None
        self._ready, self._refused = True, None

    def run(self, command, args):
        """Run one QUEUE command; ``(reply, notes)``, the reply ready to format."""
        for i in command.key_positions(args):
            self._check_key(command, args[i])
        self.ensure_user()
        try:
            return self._run(command, args)
        except redis.AuthenticationError:  # the user vanished (Redis restarted): make it again
            self.reader.disconnect()
            self.ensure_user(force=True)
            return self._run(command, args)

    def _check_key(self, command, key):
        if not key.startswith(b"rq:"):
            raise ConsoleError(f"QUEUE mode reads RQ's keys only: {command.name} takes a key starting with rq:")
        if command.keys == "job" and not key.startswith(b"rq:job:"):
            raise ConsoleError(f"in QUEUE mode {command.name} reads job hashes only: rq:job:<id>")
        if command.keys == "sets" and not (key == b"rq:queues" or key.startswith(b"rq:workers")):
            raise ConsoleError(f"in QUEUE mode {command.name} reads rq:queues and rq:workers only")
        if len(key) > 300:
            raise ConsoleError("that key name is too long to be one of RQ's")

    def _run(self, command, args):
        with Round(self.reader) as rnd:
            if command.name == "KEYS":
                return self._keys(rnd, args[0])
            if command.name in ("LRANGE", "ZRANGE"):
                return self._range(rnd, command, args)
            reply = rnd.send((command.name, *args))[0]
        if isinstance(reply, ResponseError):
            return reply, []
        if command.name == "HGETALL":
            return [part for field, value in zip(reply[::2], reply[1::2])
                    for part in (field, self._field(field, value))], []
        if command.name == "HGET":
            return self._field(args[1], reply), []
        if command.status and isinstance(reply, bytes):
            return Status(reply), []
        return reply, []

    @staticmethod
    def _field(field, value):
        if value is None or field in JOB_FIELDS:
            return value
        return Hidden(len(value))

    def _keys(self, rnd, pattern):
        if not pattern.startswith(b"rq:"):
            raise ConsoleError("QUEUE mode lists RQ's keys only: the pattern must start with rq: (try KEYS rq:*)")
        if len(pattern) > 200:
            raise ConsoleError("that pattern is too long")
        cursor, names = b"0", set()
        for _ in range(MAX_SCAN_ROUNDS):
            reply = rnd.send(("SCAN", cursor, "MATCH", pattern, "COUNT", 500))[0]
            if isinstance(reply, ResponseError):
                return reply, []
            cursor = reply[0]
            names.update(name for name in reply[1] if name.startswith(b"rq:"))
            if cursor == b"0" or len(names) >= self.items_max:
                break
        notes = [] if cursor == b"0" and len(names) <= self.items_max else [
            f"(the first {min(len(names), self.items_max)} keys found; QUEUE mode walks with SCAN and stops there, "
            "so the queue never waits: narrow the pattern to see others)"]
        return sorted(names)[: self.items_max], notes

    def _range(self, rnd, command, args):
        """LRANGE/ZRANGE with the window cut to CONSOLE_QUEUE_ITEMS_MAX items."""
        key, start, stop, *options = args
        if command.name == "ZRANGE" and [o.upper() for o in options] not in ([], [b"WITHSCORES"]):
            raise ConsoleError("in QUEUE mode: ZRANGE key start stop [WITHSCORES]")
        try:
            start, stop = int(start), int(stop)
        except ValueError:
            raise ConsoleError("start and stop must be whole numbers, e.g. 0 -1") from None
        length = rnd.send(("LLEN" if command.name == "LRANGE" else "ZCARD", key))[0]
        if isinstance(length, ResponseError):
            return length, []
        first = max(0, start + length if start < 0 else start)
        wanted = min(length - 1, stop + length if stop < 0 else stop)
        last = min(wanted, first + self.items_max - 1)
        if last < first:
            return [], []
        notes = [] if last == wanted else [
            f"(items {first} to {last} of {length}: QUEUE mode shows at most {self.items_max} at a time)"]
        return rnd.send((command.name, key, first, last, *options))[0], notes
