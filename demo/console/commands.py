"""What the console lets visitors run: one table per mode, as try.redis did.

Each entry says, for one command, its syntax and an example (``HELP``), its
arity (Redis's convention: ``n`` exactly, ``-n`` at least ``n`` words with
the name), which arguments are keys (those get the visitor's prefix), and
whether it may grow a visitor's data (checked against the quota first).
Anything not in the table is refused with the closest name that is. The
Redis ACL users carry the same lists, so the server refuses what slips by.
"""

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    group: str
    syntax: str
    summary: str
    example: str
    arity: int
    keys: str = "first"     # first | all | pairs (MSET) | two (RENAME, LMOVE, SMOVE) | none;
                            # QUEUE mode: rq | job | sets, the first word, of that kind
    grows: bool = False     # may create a key or make one bigger
    writes: bool = False    # may change keys: the visitor's index follows
    status: bool = False    # answers with a status line (OK, PONG, a type name)

    def arity_ok(self, words):
        count = words + 1
        return count == self.arity if self.arity > 0 else count >= -self.arity

    def key_positions(self, args):
        """Indexes in ``args`` (the words after the name) that are key names."""
        if self.keys in ("first", "rq", "job", "sets"):
            return [0] if args else []
        if self.keys == "all":
            return list(range(len(args)))
        if self.keys == "pairs":
            return list(range(0, len(args), 2))
        if self.keys == "two":
            return [0, 1][:len(args)]
        return []


def _table(group, rows):
    out = {}
    for syntax, summary, example, arity, *flags in rows:
        options = dict(flags[0]) if flags else {}
        if options.get("grows"):
            options.setdefault("writes", True)
        name = syntax.split()[0]
        out[name] = Command(name, group, syntax, summary, example, arity, **options)
    return out


GROW = {"grows": True}
WRITE = {"writes": True}

#: The sandbox's commands, by group, in the order HELP lists them.
SANDBOX = {
    **_table("strings", [
        ("GET key", "the value of key, or (nil)", "GET name", 2),
        ("SET key value [EX seconds] [NX|XX] [GET]", "store a string", "SET name fido", -3, {"grows": True, "status": True}),
        ("SETNX key value", "set only if key does not exist yet", "SETNX name rex", 3, GROW),
        ("MGET key [key ...]", "several values at once", "MGET name city", -2, {"keys": "all"}),
        ("MSET key value [key value ...]", "set several keys at once", "MSET name fido city Oslo", -3,
         {"keys": "pairs", "grows": True, "status": True}),
        ("INCR key", "add 1, atomically, and return the new value", "INCR visits", 2, GROW),
        ("INCRBY key increment", "add a number, atomically", "INCRBY visits 10", 3, GROW),
        ("DECR key", "subtract 1, atomically", "DECR visits", 2, GROW),
        ("DECRBY key decrement", "subtract a number, atomically", "DECRBY visits 5", 3, GROW),
        ("APPEND key value", "add to the end of a string", "APPEND name '!'", 3, GROW),
        ("STRLEN key", "length of the string in bytes", "STRLEN name", 2),
        ("GETSET key value", "set a new value and return the old one", "GETSET name rex", 3, GROW),
    ]),
    **_table("keys", [
        ("DEL key [key ...]", "delete keys", "DEL name", -2, {"keys": "all", "writes": True}),
        ("EXISTS key [key ...]", "how many of these keys exist", "EXISTS name", -2, {"keys": "all"}),
        ("KEYS pattern", "your key names matching a glob pattern (* ? [abc])", "KEYS *", 2, {"keys": "none"}),
        ("SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]", "walk your keys in batches with a cursor",
         "SCAN 0 MATCH *", -2, {"keys": "none"}),
        ("TYPE key", "what key holds: string, list, hash, set, zset or none", "TYPE jobs", 2, {"status": True}),
        ("EXPIRE key seconds", "delete key after some seconds", "EXPIRE name 30", 3, WRITE),
        ("TTL key", "seconds left before key expires (-1: never, -2: no such key)", "TTL name", 2),
        ("PERSIST key", "remove a key's expiry", "PERSIST name", 2, WRITE),
        ("RENAME key newkey", "give a key another name", "RENAME name pet", 3,
         {"keys": "two", "grows": True, "status": True}),
    ]),
    **_table("lists", [
        ("LPUSH key element [element ...]", "add to the head (left) of a list", "LPUSH jobs urgent", -3, GROW),
        ("RPUSH key element [element ...]", "add to the tail (right): how RQ enqueues", "RPUSH jobs email resize", -3,
         GROW),
        ("LPOP key [count]", "take from the head: how a worker takes a job", "LPOP jobs", -2, WRITE),
        ("RPOP key [count]", "take from the tail", "RPOP jobs", -2, WRITE),
        ("LLEN key", "length of the list", "LLEN jobs", 2),
        ("LRANGE key start stop", "elements start..stop (0 is the first, -1 the last)", "LRANGE jobs 0 -1", 4),
        ("LINDEX key index", "the element at index (0 is the first, -1 the last)", "LINDEX jobs 0", 3),
        ("LSET key index element", "replace the element at index", "LSET jobs 0 resize", 4,
         {"grows": True, "status": True}),
        ("LREM key count element", "remove count copies of element (0: all)", "LREM jobs 0 email", 4, WRITE),
        ("LTRIM key start stop", "keep only elements start..stop", "LTRIM jobs 0 9", 4,
         {"writes": True, "status": True}),
        ("LMOVE source destination LEFT|RIGHT LEFT|RIGHT", "pop from one list, push to another, atomically",
         "LMOVE jobs done LEFT RIGHT", 5, {"keys": "two", "grows": True}),
    ]),
    **_table("hashes", [
        ("HSET key field value [field value ...]", "set fields of a hash", "HSET job:1 status queued", -4, GROW),
        ("HGET key field", "one field's value", "HGET job:1 status", 3),
        ("HMGET key field [field ...]", "several fields' values", "HMGET job:1 status origin", -3),
        ("HGETALL key", "every field and value", "HGETALL job:1", 2),
        ("HDEL key field [field ...]", "delete fields", "HDEL job:1 status", -3, WRITE),
        ("HEXISTS key field", "1 if the field exists", "HEXISTS job:1 status", 3),
        ("HLEN key", "number of fields", "HLEN job:1", 2),
        ("HKEYS key", "the field names", "HKEYS job:1", 2),
        ("HVALS key", "the values", "HVALS job:1", 2),
        ("HINCRBY key field increment", "add to a field, atomically", "HINCRBY job:1 tries 1", 4, GROW),
        ("HSETNX key field value", "set a field only if it does not exist", "HSETNX job:1 origin low", 4, GROW),
    ]),
    **_table("sets", [
        ("SADD key member [member ...]", "add members (each at most once)", "SADD queues default low", -3, GROW),
        ("SREM key member [member ...]", "remove members", "SREM queues low", -3, WRITE),
        ("SMEMBERS key", "every member", "SMEMBERS queues", 2),
        ("SISMEMBER key member", "1 if member is in the set", "SISMEMBER queues low", 3),
        ("SCARD key", "number of members", "SCARD queues", 2),
        ("SPOP key [count]", "remove and return random members", "SPOP queues", -2, WRITE),
        ("SRANDMEMBER key [count]", "random members, not removed (count from -100 to 100)", "SRANDMEMBER queues",
         -2),
        ("SINTER key [key ...]", "members in every set", "SINTER queues paused", -2, {"keys": "all"}),
        ("SUNION key [key ...]", "members in any of the sets", "SUNION queues paused", -2, {"keys": "all"}),
        ("SDIFF key [key ...]", "members of the first set and none of the others", "SDIFF queues paused", -2,
         {"keys": "all"}),
        ("SMOVE source destination member", "move a member to another set", "SMOVE queues paused low", 4,
         {"keys": "two", "grows": True}),
    ]),
    **_table("sorted sets", [
        ("ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]", "add members with scores",
         "ZADD scheduled 1700000000 job:1", -4, GROW),
        ("ZREM key member [member ...]", "remove members", "ZREM scheduled job:1", -3, WRITE),
        ("ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
         "members by rank (or score), lowest first", "ZRANGE scheduled 0 -1 WITHSCORES", -4),
        ("ZREVRANGE key start stop [WITHSCORES]", "members by rank, highest first", "ZREVRANGE scheduled 0 -1", -4),
        ("ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]", "members with scores from min to max",
         "ZRANGEBYSCORE scheduled -inf +inf", -4),
        ("ZSCORE key member", "a member's score", "ZSCORE scheduled job:1", 3),
        ("ZCARD key", "number of members", "ZCARD scheduled", 2),
        ("ZCOUNT key min max", "how many scores are from min to max", "ZCOUNT scheduled -inf +inf", 4),
        ("ZINCRBY key increment member", "add to a member's score", "ZINCRBY scores 5 fido", 4, GROW),
        ("ZRANK key member", "a member's rank, lowest score first (0 is the first)", "ZRANK scheduled job:1", 3),
        ("ZREVRANK key member", "a member's rank, highest score first", "ZREVRANK scheduled job:1", 3),
    ]),
    **_table("server", [
        ("PING [message]", "PONG: the server is there", "PING", -1, {"keys": "none", "status": True}),
        ("ECHO message", "the message back", "ECHO hello", 2, {"keys": "none"}),
    ]),
}

#: QUEUE mode: read-only, on the queue's Redis. ``keys`` says which keys each may read.
QUEUE = _table("the real queue (read-only)", [
    ("KEYS pattern", "RQ's key names matching pattern (which must start with rq:); walked with SCAN",
     "KEYS rq:*", 2, {"keys": "none"}),
    ("TYPE key", "what an rq:* key holds", "TYPE rq:queue:low", 2, {"keys": "rq", "status": True}),
    ("EXISTS key", "1 if the rq:* key exists", "EXISTS rq:queue:low", 2, {"keys": "rq"}),
    ("TTL key", "seconds before an rq:* key expires (finished jobs do)", "TTL rq:job:<id>", 2, {"keys": "rq"}),
    ("LLEN key", "how many job ids wait in a queue", "LLEN rq:queue:low", 2, {"keys": "rq"}),
    ("LRANGE key start stop", "the job ids waiting in a queue, oldest first", "LRANGE rq:queue:low 0 -1", 4,
     {"keys": "rq"}),
    ("HGETALL key", "a job's hash (rq:job:<id>); its data, arguments and errors show only their size",
     "HGETALL rq:job:<id>", 2, {"keys": "job"}),
    ("HGET key field", "one field of a job's hash", "HGET rq:job:<id> status", 3, {"keys": "job"}),
    ("HLEN key", "number of fields in a job's hash", "HLEN rq:job:<id>", 2, {"keys": "job"}),
    ("HKEYS key", "the field names of a job's hash", "HKEYS rq:job:<id>", 2, {"keys": "job"}),
    ("ZRANGE key start stop [WITHSCORES]", "a registry's job ids (rq:finished:low, rq:wip:low...)",
     "ZRANGE rq:finished:low 0 -1", -4, {"keys": "rq"}),
    ("ZCARD key", "how many job ids a registry holds", "ZCARD rq:finished:low", 2, {"keys": "rq"}),
    ("SMEMBERS key", "the queues (rq:queues) or workers (rq:workers) RQ knows", "SMEMBERS rq:queues", 2,
     {"keys": "sets"}),
    ("SCARD key", "how many queues or workers", "SCARD rq:workers", 2, {"keys": "sets"}),
    ("PING", "PONG from the queue's Redis", "PING", 1, {"keys": "none", "status": True}),
])

#: The console's own commands, in both modes.
CONSOLE = _table("console", [
    ("HELP [command]", "the commands you can run, or one command's syntax and an example", "HELP LPUSH", -1),
    ("TUTORIAL", "the guided exercise, step by step (NEXT and PREV move; TUTORIAL OFF ends it)", "TUTORIAL", -1),
    ("NEXT", "the tutorial's next step", "NEXT", 1),
    ("PREV", "the tutorial's previous step", "PREV", 1),
    ("QUEUE", "look at the real queue's keys, read-only", "QUEUE", 1),
    ("SANDBOX", "back to your own sandbox", "SANDBOX", 1),
    ("CLEAR", "clear the screen", "CLEAR", 1),
])

MODES = {"sandbox": SANDBOX, "queue": QUEUE}


#: Refused commands whose nearest allowed one is not the nearest spelling.
NEAREST = {
    "FLUSHALL": "DEL", "FLUSHDB": "DEL", "UNLINK": "DEL", "SETEX": "SET", "PSETEX": "SET", "GETDEL": "GET",
    "HMSET": "HSET", "PEXPIRE": "EXPIRE", "EXPIREAT": "EXPIRE", "PTTL": "TTL", "RPOPLPUSH": "LMOVE",
    "BLMOVE": "LMOVE", "BRPOPLPUSH": "LMOVE", "BLPOP": "LPOP", "BRPOP": "RPOP", "INCRBYFLOAT": "INCRBY",
    "SETRANGE": "APPEND", "GETRANGE": "GET", "RANDOMKEY": "KEYS", "DBSIZE": "KEYS", "SINTERSTORE": "SINTER",
    "SUNIONSTORE": "SUNION", "SDIFFSTORE": "SDIFF", "ZRANGESTORE": "ZRANGE", "HRANDFIELD": "HKEYS",
}


#: Why some families are refused, said instead of a nearest name.
REASONS = {
    **dict.fromkeys(("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FUNCTION", "FCALL", "FCALL_RO"),
                    "Lua scripts do not run here"),
    **dict.fromkeys(("MULTI", "EXEC", "WATCH", "UNWATCH", "DISCARD"),
                    "transactions do not run here (each command on its own is atomic already)"),
}


def closest(name, mode):
    """The allowed name nearest to ``name`` (for "did you mean"), or None when nothing is near."""
    names = list(MODES[mode]) + list(CONSOLE)
    upper = name.upper()
    if NEAREST.get(upper) in names:
        return NEAREST[upper]
    found = difflib.get_close_matches(upper, names, n=1, cutoff=0.7)
    return found[0] if found else None


def lookup(name, mode):
    """The Command for ``name`` in ``mode`` (or a console command), else None."""
    upper = name.upper()
    return CONSOLE.get(upper) or MODES[mode].get(upper)


def help_text(mode, name=None):
    """``HELP`` (every command of the mode, by group) or ``HELP CMD`` (its syntax and example)."""
    if name is not None:
        command = lookup(name, mode) or lookup(name, "sandbox" if mode == "queue" else "queue")
        if command is None:
            near = closest(name, mode)
            return None, f"no command {name.upper()} here" + (f"; did you mean {near}?" if near else "")
        where = "" if command.name in MODES[mode] or command.name in CONSOLE else (
            " (in QUEUE mode)" if mode == "sandbox" else " (in your sandbox: type SANDBOX)")
        return [f"{command.syntax}{where}", f"  {command.summary}", f"  example: {command.example}"], None
    lines, groups = [], {}
    for command in MODES[mode].values():
        groups.setdefault(command.group, []).append(command.name)
    for group, names in groups.items():
        lines.append(f"{group}: {' '.join(names)}")
    lines.append(f"console: {' '.join(CONSOLE)}")
    lines.append("HELP <command> shows its syntax and an example; TUTORIAL walks you through the redis-cli exercise step by step.")
    return lines, None
