"""TUTORIAL: the lesson's redis-cli exercise, one step at a time.

The lesson says: try ``GET`` and ``SET``, ``LPUSH``, ``RPUSH`` and
``LINDEX``, ``KEYS *`` and ``TYPE``. The steps add ``EXPIRE``/``TTL`` and
``INCR`` (why atomic increments matter for counters), and end on the real
queue: a job sent from the phone, then ``LRANGE rq:queue:low 0 -1``.

Each step has its text, the commands to tap, and a check of what the visitor
ran and got back; when it passes the console says "well done". The page
keeps the step number (it is the visitor's own progress, nothing to guard);
the server only checks commands against it.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ran:
    """One command as the tutorial sees it: name, words (text), its reply, the mode."""

    name: str
    args: list
    reply: object
    mode: str
    mine: frozenset = field(default_factory=frozenset)  # the visitor's job ids (QUEUE mode)


@dataclass(frozen=True)
class Step:
    title: str
    lines: tuple
    examples: tuple
    check: object  # Ran -> str (praise) or None
    mode: str = "sandbox"


def _is(ran, name, mode="sandbox"):
    return ran.name == name and ran.mode == mode and not isinstance(ran.reply, Exception)


def _set(ran):
    return "Stored: a key now holds a string." if _is(ran, "SET") and ran.reply is not None else None


def _get(ran):
    if _is(ran, "GET") and ran.reply is not None:
        return "That is your value back, in quotes: redis-cli quotes every string."
    return None


def _push(ran):
    if (_is(ran, "RPUSH") or _is(ran, "LPUSH")) and isinstance(ran.reply, int) and ran.reply >= 2:
        return f"The list now holds {ran.reply} elements. RQ enqueues a job exactly like this: RPUSH of its id."
    return None


def _lindex(ran):
    if _is(ran, "LINDEX") and ran.reply is not None:
        return "LINDEX reads by position without removing anything; a worker's LPOP would take it."
    return None


def _keys(ran):
    if _is(ran, "KEYS") and ran.reply:
        return "Those are all your keys (other people's are in their own sandboxes)."
    return None


def _type(ran):
    if _is(ran, "TYPE") and ran.reply in (b"list", b"string", b"hash", b"set", b"zset"):
        return f"A {ran.reply.decode()}: Redis knows what each key holds and which commands fit it."
    return None


def _ttl(ran):
    if _is(ran, "TTL") and isinstance(ran.reply, int) and ran.reply > 0:
        return f"{ran.reply} s left: then Redis deletes the key by itself. RQ expires finished jobs this way."
    return None


def _incr(ran):
    if _is(ran, "INCR") and isinstance(ran.reply, int):
        return ("Counted. INCR reads and writes in one step, so two clients can never both read 5 and both "
                "write 6: no lost update, no lock.")
    return None


def _queue(ran):
    if _is(ran, "LRANGE", "queue") and ran.args[:1] == ["rq:queue:low"]:
        ids = [i.decode("utf-8", "replace") for i in ran.reply or []]
        yours = [i for i in ids if i in ran.mine]
        if yours:
            return f"There it is: {yours[0]} is your job, waiting in the list. A queue is just a Redis list."
        if ids:
            return "Those ids are jobs waiting for a worker. A queue is just a Redis list."
        return ("Empty: the workers already took every job. Send a 'make me wait' job or two and look again "
                "quickly, or look where they went: ZRANGE rq:finished:low 0 -1.")
    return None


STEPS = (
    Step("Strings: SET", ("A key holds a value. Store one:",), ("SET name fido",), _set),
    Step("Strings: GET", ("Read it back:",), ("GET name",), _get),
    Step("Lists: RPUSH and LPUSH", ("A list keeps its order. Add to its tail (right) and its head (left):",),
         ("RPUSH jobs email", "RPUSH jobs resize", "LPUSH jobs urgent"), _push),
    Step("Lists: LINDEX", ("Read an element by its position (0 is the head, -1 the tail):",),
         ("LINDEX jobs 0", "LINDEX jobs -1"), _lindex),
    Step("KEYS *", ("List every key you have. (On a big production server, prefer SCAN: KEYS walks them all "
                    "at once.)",), ("KEYS *",), _keys),
    Step("TYPE", ("Ask what a key holds:",), ("TYPE jobs", "TYPE name"), _type),
    Step("EXPIRE and TTL", ("Give a key a lifetime, then ask how long it has left:",),
         ("EXPIRE name 60", "TTL name"), _ttl),
    Step("INCR: counting safely", ("Count visits. Why not GET, add one, SET? Two clients could both read 5 "
                                   "and both write 6. INCR cannot lose an update:",),
         ("INCR visits", "INCR visits"), _incr),
    Step("The real queue", ("Send a job from your phone (the Your jobs page), then look at the queue it "
                            "waits in. QUEUE switches to a read-only window on the real Redis:",),
         ("QUEUE", "LRANGE rq:queue:low 0 -1"), _queue, mode="queue"),
)


def step(number):
    """Step ``number`` (1-based), or None."""
    return STEPS[number - 1] if 1 <= number <= len(STEPS) else None


def describe(number):
    """The lines that introduce step ``number``."""
    current = step(number)
    return [f"Step {number} of {len(STEPS)}: {current.title}", *current.lines,
            *(f"  {example}" for example in current.examples)]


def check(number, ran):
    """The praise when ``ran`` completes step ``number``, else None."""
    current = step(number)
    if current is None:
        return None
    praise = current.check(ran)
    if praise is None:
        return None
    if number == len(STEPS):
        return f"Well done! {praise} That was the whole exercise."
    return f"Well done! {praise} Type NEXT for step {number + 1}."
