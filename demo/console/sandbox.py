"""The visitors' redis-server: a key space and an ACL user per visitor, quotas, idle expiry.

Two walls between a visitor and anything not theirs:

1. Here: only commands from ``commands.SANDBOX`` run, every key argument
   gets the visitor's prefix (``v:<space>:k:``), ``KEYS`` and ``SCAN`` list
   the visitor's own index (an ``HSCAN`` with their pattern), never the
   server's keys.
2. On the server: each visitor's commands run as their own ACL user
   (``omq-console-<space>``), which may run only those commands and touch
   only ``v:<space>:*``. ``KEYS``, ``SCAN``, ``FLUSHALL``, ``CONFIG``,
   ``EVAL``, ``MULTI``, ``DEBUG``, ``MODULE``: not granted, whatever a
   parser bug might send.

Every command is AUTHed as its visitor on a connection of a shared pool (the
pool's connections start unauthenticated). Before a command that may grow
the visitor's data, the index (key -> bytes, from ``MEMORY USAGE``) is read
and the quota checked; after it, the touched keys' sizes are written back.
Each visitor's ``alive`` key expires after the idle limit; the sweep (one
process per deployment, every ``CONSOLE_SWEEP_INTERVAL``) then deletes that
visitor's keys and ACL user.
"""

import hashlib
import hmac
import logging
import time

import redis
from redis.exceptions import NoPermissionError, OutOfMemoryError, ResponseError

from .. import keys
from .commands import SANDBOX
from .parse import ConsoleError
from .replies import Status, server_error
from .wire import Round, pool, without_credentials

log = logging.getLogger("demo.console")

#: Commands a visitor's ACL user may run: the table's, minus the two the console
#: answers from the visitor's index, plus what the console itself needs there.
ACL_COMMANDS = sorted({name.lower() for name in SANDBOX} - {"keys", "scan"} | {"hscan", "memory|usage"})

#: Bytes counted for a key the quota check has not measured yet.
NEW_KEY_BYTES = 64

#: Most HSCAN round trips a KEYS answer may take (the index holds CONSOLE_KEYS_MAX names).
MAX_SCAN_ROUNDS = 20


def space_of(visitor_id):
    """The key space of a visitor: a short hash of their id (never shown to them)."""
    return hashlib.blake2b(visitor_id.encode("utf-8"), digest_size=8).hexdigest()


class SandboxUnavailable(RuntimeError):
    """The sandbox server is not configured or does not answer."""


class Sandbox:
    def __init__(self, url, secret, settings):
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.settings = settings
        timeout = settings["REDIS_SOCKET_TIMEOUT"]  # a frozen sandbox costs a command seconds, never forever
        self.admin = redis.Redis(connection_pool=pool(url, 20, 5.0, timeout))
        # Visitors' connections start unauthenticated (no password in the URL):
        # a command that is not preceded by its visitor's AUTH is refused.
        self.visitors = pool(without_credentials(url), 100, 10.0, timeout, driver_info=None)
        self._users = set()
        self._passwords = {}
        self._next_sweep = 0.0

    def close(self):
        self.admin.close()
        self.visitors.disconnect()

    # -- ACL users ---------------------------------------------------------------

    def _password(self, user):
        password = self._passwords.get(user)
        if password is None:
            password = hmac.new(self.secret, b"omq-console:" + user.encode(), hashlib.sha256).hexdigest()
            if len(self._passwords) > 50_000:
                self._passwords.clear()
            self._passwords[user] = password
        return password

    def user_rules(self, space):
        """``ACL SETUSER`` arguments for a visitor: only the allowed commands, only ``v:<space>:*``."""
        user = keys.CONSOLE_USER.format(space)
        return [user, "on", ">" + self._password(user), "resetkeys", "~" + keys.CONSOLE_SPACE.format(space) + "*",
                "resetchannels", "-@all", *("+" + name for name in ACL_COMMANDS)]

    def ensure_user(self, space, force=False):
        if force or space not in self._users:
            self.admin.execute_command("ACL", "SETUSER", *self.user_rules(space))
            if len(self._users) > 50_000:
                self._users.clear()
            self._users.add(space)

    def credentials(self, space):
        user = keys.CONSOLE_USER.format(space)
        return user, self._password(user)

    # -- running a command ---------------------------------------------------------

    def key(self, space, name):
        if len(name) > self.settings["CONSOLE_KEY_MAX"]:
            raise ConsoleError(f"key names are at most {self.settings['CONSOLE_KEY_MAX']} bytes here")
        return keys.CONSOLE_SPACE_KEY.format(space).encode() + name

    def run(self, space, command, args):
        """Run one allowed command for the visitor of ``space``; its reply, ready to format.

        Round trips: a read is one (AUTH, alive, the command); a write that
        can only shrink data two (then its sizes into the index); one that
        may grow three (the index for the quota first).
        """
        if command.name == "SRANDMEMBER" and len(args) > 1 and not (
                args[1].lstrip(b"-").isdigit() and abs(int(args[1])) <= 100):
            raise ConsoleError("SRANDMEMBER's count is a whole number from -100 to 100 here")
        positions = command.key_positions(args)
        full = list(args)
        for i in positions:
            full[i] = self.key(space, args[i])
        touched = [args[i] for i in positions] if command.writes else []
        sizes = [("MEMORY", "USAGE", self.key(space, name)) for name in touched]
        try:
            self.ensure_user(space)
            with Round(self.visitors) as rnd:
                if command.name == "KEYS":
                    return self._keys(rnd, space, args[0])
                if command.name == "SCAN":
                    return self._scan(rnd, space, args)
                if command.grows:
                    (flat,) = self._first(rnd, space, ("HGETALL", keys.CONSOLE_SPACE_INDEX.format(space)))
                    index = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
                    self._check_quota(rnd, space, command, args, touched, index)
                    replies = rnd.send((command.name, *full), *sizes)
                else:
                    replies = self._first(rnd, space, (command.name, *full), *sizes)
                if touched:
                    self._record(rnd, space, touched, replies[1:])
                return self._reply(command, args, replies[0])
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise SandboxUnavailable(str(exc)) from None

    def _first(self, rnd, space, *commands):
        """AUTH as the visitor and mark them alive, then ``commands``, in one round trip; their replies.

        If the visitor's user is gone (the sandbox restarted, or the sweep took
        it), redis-py drops the connection at the AUTH error; the user is made
        again and everything is sent once more on a new connection. (Whatever
        ran after the failed AUTH ran unauthenticated or as the connection's
        previous visitor, whose ACL keeps it out of this visitor's keys.)
        """
        user, password = self.credentials(space)
        head = [("AUTH", user, password),
                ("SET", keys.CONSOLE_SPACE_ALIVE.format(space), "1", "EX", self.settings["CONSOLE_IDLE_SECONDS"])]
        try:
            replies = rnd.send(*head, *commands)
        except redis.AuthenticationError:
            self.ensure_user(space, force=True)
            rnd.connection.disconnect()
            replies = rnd.send(*head, *commands)
        for reply in replies[:2]:
            # A full sandbox (OOM) still answers reads; anything else is a broken sandbox.
            if isinstance(reply, ResponseError) and not isinstance(reply, OutOfMemoryError):
                raise SandboxUnavailable(str(reply))
        return replies[2:]

    def _check_quota(self, rnd, space, command, args, touched, index):
        limit_keys, limit_bytes = self.settings["CONSOLE_KEYS_MAX"], self.settings["CONSOLE_BYTES_MAX"]

        def over(index):
            new = {name for name in touched if name not in index}
            count = len(index) + len(new) - (1 if command.name == "RENAME" and args[0] in index and new else 0)
            growth = sum(len(a) for a in args) + NEW_KEY_BYTES * len(new)
            used = sum(index.values())
            if count > limit_keys:
                return (f"quota: you may keep at most {limit_keys} keys and have {len(index)}; "
                        "DEL some first (they also go after an hour idle)")
            if used + growth > limit_bytes:
                return (f"quota: your keys use {used} of your {limit_bytes} bytes and this could add {growth}; "
                        "DEL or trim something first")
            return None

        problem = over(index)
        if problem and index:
            index = self._prune(rnd, space, index)
            problem = over(index)
        if problem:
            raise ConsoleError(problem)

    def _prune(self, rnd, space, index):
        """Drop index entries whose key is gone (expired, or popped empty); the index that stays."""
        names = list(index)
        exists = rnd.send(*(("EXISTS", self.key(space, name)) for name in names))
        gone = [name for name, found in zip(names, exists) if not found]
        if gone:
            rnd.send(("HDEL", keys.CONSOLE_SPACE_INDEX.format(space), *gone))
        return {name: index[name] for name, found in zip(names, exists) if found}

    def _record(self, rnd, space, touched, sizes):
        index = keys.CONSOLE_SPACE_INDEX.format(space)
        present = {name: size for name, size in zip(touched, sizes) if isinstance(size, int)}
        gone = [name for name in set(touched) if name not in present]
        commands = []
        if present:
            commands.append(("HSET", index, *(part for pair in present.items() for part in pair)))
        if gone:
            commands.append(("HDEL", index, *gone))
        rnd.send(*commands)

    def _names(self, rnd, space, cursor, pattern, count, first=False):
        hscan = ("HSCAN", keys.CONSOLE_SPACE_INDEX.format(space), cursor, "MATCH", pattern, "COUNT", count)
        reply = (self._first(rnd, space, hscan) if first else rnd.send(hscan))[0]
        if isinstance(reply, ResponseError):
            raise ConsoleError(server_error(reply))
        return reply[0], reply[1][::2]

    def _existing(self, rnd, space, names):
        if not names:
            return []
        found = rnd.send(*(("EXISTS", self.key(space, name)) for name in names))
        gone = [name for name, there in zip(names, found) if not there]
        if gone:
            rnd.send(("HDEL", keys.CONSOLE_SPACE_INDEX.format(space), *gone))
        return [name for name, there in zip(names, found) if there]

    def _keys(self, rnd, space, pattern):
        self._check_pattern(pattern)
        cursor, names = b"0", []
        for n in range(MAX_SCAN_ROUNDS):
            cursor, batch = self._names(rnd, space, cursor, pattern, 1000, first=n == 0)
            names += batch
            if cursor == b"0":
                break
        return sorted(set(self._existing(rnd, space, names)))

    def _scan(self, rnd, space, args):
        cursor, options = args[0], args[1:]
        if not cursor.isdigit():
            raise ConsoleError("invalid cursor: SCAN starts at 0 and continues with the cursor it returned")
        pattern, count, kind = b"*", 10, None
        if len(options) % 2:
            raise ConsoleError("syntax: SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]")
        for name, value in zip(options[::2], options[1::2]):
            option = name.upper()
            if option == b"MATCH":
                pattern = value
            elif option == b"COUNT" and value.isdigit() and 1 <= int(value) <= 1000:
                count = int(value)
            elif option == b"TYPE":
                kind = value.lower()
            else:
                raise ConsoleError("syntax: SCAN cursor [MATCH pattern] [COUNT 1..1000] [TYPE type]")
        self._check_pattern(pattern)
        cursor, names = self._names(rnd, space, cursor, pattern, count, first=True)
        names = self._existing(rnd, space, names)
        if kind is not None and names:
            types = rnd.send(*(("TYPE", self.key(space, name)) for name in names))
            names = [name for name, found in zip(names, types) if found == kind]
        return [cursor, names]

    def _check_pattern(self, pattern):
        if len(pattern) > self.settings["CONSOLE_KEY_MAX"]:
            raise ConsoleError(f"patterns are at most {self.settings['CONSOLE_KEY_MAX']} bytes here")

    @staticmethod
    def _reply(command, args, reply):
        if isinstance(reply, OutOfMemoryError):
            raise ConsoleError("the sandbox is full right now (its memory limit is reached); try again later")
        if isinstance(reply, NoPermissionError):  # our checks let through what the ACL did not: say so, loudly
            log.warning("the sandbox's ACL refused %s: %s", command.name, reply)
            raise ConsoleError(f"refused by the sandbox's ACL: {reply}")
        if isinstance(reply, ResponseError):
            return reply
        if command.status and isinstance(reply, bytes) and not (
                command.name == "SET" and any(a.upper() == b"GET" for a in args[2:])) and not (
                command.name == "PING" and args):
            return Status(reply)
        return reply

    # -- idle visitors ----------------------------------------------------------------

    def sweep_due(self, now=None):
        """True at most once per CONSOLE_SWEEP_INTERVAL in this process."""
        now = time.monotonic() if now is None else now
        if now < self._next_sweep:
            return False
        self._next_sweep = now + self.settings["CONSOLE_SWEEP_INTERVAL"]
        return True

    def sweep(self):
        """Delete the keys and ACL users of visitors idle past the limit; how many went.

        One process per deployment at a time (a lock on the sandbox). One SCAN
        pass over ``v:*`` finds every space with keys; spaces whose ``alive``
        key has expired lose their keys, and their users go too.
        """
        interval = max(1, int(self.settings["CONSOLE_SWEEP_INTERVAL"]))
        if not self.admin.set(keys.CONSOLE_SWEEP_LOCK, "1", nx=True, ex=interval):
            return 0
        prefix = keys.CONSOLE_USER.format("")
        users = [u.decode() for u in self.admin.execute_command("ACL", "USERS")]
        spaces = {u[len(prefix):] for u in users if u.startswith(prefix)}
        found = {}
        for key in self.admin.scan_iter(match=keys.CONSOLE_SPACE.format("*") + "*", count=1000):
            space = key.split(b":", 2)[1].decode()
            found.setdefault(space, []).append(key)
        spaces |= set(found)
        ordered = sorted(spaces)
        with self.admin.pipeline(transaction=False) as pipe:
            for space in ordered:
                pipe.exists(keys.CONSOLE_SPACE_ALIVE.format(space))
            alive = pipe.execute()
        dead = [space for space, there in zip(ordered, alive) if not there]
        for space in dead:
            batch = found.get(space, [])
            for start in range(0, len(batch), 500):
                self.admin.unlink(*batch[start:start + 500])
            if prefix + space in users:
                self.admin.execute_command("ACL", "DELUSER", prefix + space)
            self._users.discard(space)
        if dead:
            log.info("console: swept %d idle visitor(s)", len(dead))
        return len(dead)
