"""One command line in, the console's answer out: parse, route, run, format.

``Console.run`` is what the socket handler (and the tests, and the bench)
call. It never raises for anything a visitor can type: every refusal is an
``(error) ...`` line, every server problem too, and the tutorial's progress
comes back with the answer.
"""

import logging
import time

import redis

from ..demos import audience
from . import commands, tutorial
from .parse import ConsoleError, check
from .queue import QueueUnavailable, QueueWindow
from .replies import error_text, format_reply
from .sandbox import Sandbox, SandboxUnavailable, space_of

log = logging.getLogger("demo.console")

#: Commands to tap when no tutorial step suggests others.
EXAMPLES = {
    "sandbox": ("SET name fido", "GET name", "RPUSH jobs email", "LRANGE jobs 0 -1", "KEYS *", "TYPE jobs",
                "HELP", "TUTORIAL"),
    "queue": ("KEYS rq:*", "LRANGE rq:queue:low 0 -1", "SMEMBERS rq:queues", "ZRANGE rq:finished:low 0 -1",
              "HELP", "SANDBOX"),
}

PROMPTS = {"sandbox": "sandbox>", "queue": "rq (read-only)>"}


class Answer:
    """What one command line produced, as the page shows it."""

    def __init__(self, mode, step):
        self.asked = mode  # the mode the line was typed in (its prompt)
        self.mode, self.step, self.done = mode, step, False
        self.output, self.clear = [], False

    def add(self, kind, text):
        self.output.append({"kind": kind, "text": text})

    def error(self, message):
        self.add("error", error_text(message))

    def as_dict(self):
        current = tutorial.step(self.step)
        examples = current.examples if current else EXAMPLES[self.mode]
        if self.mode == "queue":  # already there
            examples = tuple(e for e in examples if e != "QUEUE")
        return {"ok": True, "mode": self.mode, "prompt": PROMPTS[self.mode], "asked": PROMPTS[self.asked],
                "output": self.output,
                "clear": self.clear, "step": self.step, "steps": len(tutorial.STEPS), "done": self.done,
                "examples": list(examples)}


class Windows:
    """Fixed-window counters in this process: ``hit(key, limit, window, headline)``.

    In memory, not in Redis: a command costs no round trip for its limit.
    A deployment of several server processes keeps each visitor (and, with
    nginx's ``ip_hash``, each address) on one process through its sticky
    sessions, so the limits hold there too. Refused commands count, so a
    flood stays refused until its window ends.
    """

    #: Counters kept before the expired ones are dropped.
    MAX_KEYS = 100_000

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.counts = {}

    def hit(self, key, limit, window, headline):
        now = self.clock()
        start, count = self.counts.get(key, (now, 0))
        if now - start >= window:
            start, count = now, 0
        self.counts[key] = (start, count + 1)
        if len(self.counts) > self.MAX_KEYS:
            self.counts = {k: v for k, v in self.counts.items() if now - v[0] < window}
        if count + 1 > limit:
            wait = max(1, int(start + window - now + 0.999))
            raise ConsoleError(f"{headline}; try again in {wait} s")


class Console:
    """The console of one app: the sandbox, the queue window, the settings."""

    def __init__(self, settings, queue_admin):
        self.settings = settings
        self.queue_admin = queue_admin
        self._sandbox = None
        self.windows = Windows()
        self.queue = QueueWindow(settings["REDIS_URL"], queue_admin, settings["SECRET_KEY"],
                                 settings["CONSOLE_QUEUE_ITEMS_MAX"], settings["REDIS_SOCKET_TIMEOUT"])

    @property
    def sandbox(self):
        """The sandbox, once CONSOLE_SANDBOX_URL is known (``serve`` sets it after the app is made)."""
        url = self.settings.get("CONSOLE_SANDBOX_URL")
        if self._sandbox is None and url:
            self._sandbox = Sandbox(url, self.settings["SECRET_KEY"], self.settings)
        return self._sandbox

    def close(self):
        if self._sandbox is not None:
            self._sandbox.close()
        self.queue.close()

    @staticmethod
    def welcome(mode="sandbox", step=0):
        answer = Answer(mode if mode in commands.MODES else "sandbox", step)
        return answer.as_dict()

    def run(self, who, line, mode="sandbox", step=0, ip=None):
        """Run ``line`` for visitor ``who`` (demo.demos.audience.Visitor) from address ``ip``; the answer."""
        mode = mode if mode in commands.MODES else "sandbox"
        step = step if isinstance(step, int) and not isinstance(step, bool) and tutorial.step(step) else 0
        answer = Answer(mode, step)
        try:
            words = check(line, self.settings["CONSOLE_LINE_MAX"])
            if words:
                self._dispatch(answer, who, words, ip)
        except ConsoleError as exc:
            answer.error(str(exc))
        except SandboxUnavailable as exc:
            log.warning("console: the sandbox failed: %s", exc)
            answer.error("the sandbox Redis is not answering right now; try again in a moment")
        except QueueUnavailable as exc:
            answer.error(str(exc))
        except redis.RedisError as exc:
            log.warning("console: Redis error: %s", exc)
            answer.error("Redis is not answering right now; try again in a moment")
        except Exception:  # never a traceback to a visitor
            log.exception("console: %r failed", line[:80] if isinstance(line, str) else line)
            answer.error("that command failed on the server; the presenter can see why in its log")
        return answer.as_dict()

    # -- routing ----------------------------------------------------------------------

    def _dispatch(self, answer, who, words, ip):
        name = words[0].decode("utf-8").upper()
        args = words[1:]
        command = commands.lookup(name, answer.mode)
        if command is None:
            near = commands.closest(name, answer.mode)
            shown = name if len(name) <= 40 else name[:39] + "…"
            if commands.lookup(name, "queue" if answer.mode == "sandbox" else "sandbox"):
                where = "your sandbox: type SANDBOX" if answer.mode == "queue" else "QUEUE mode: type QUEUE"
                raise ConsoleError(f"{shown} is not available here (it is in {where})")
            reason = commands.REASONS.get(name)
            raise ConsoleError(f"{shown} is not available here" + (f": {reason}" if reason else "")
                               + (f"; the closest command here is {near}" if near else "") + "; HELP lists what is")
        if not command.arity_ok(len(args)):
            raise ConsoleError(f"wrong number of arguments for {name}: {command.syntax}")
        if command.group == "console":
            return self._console(answer, who, command, args)
        if not who.presenter:
            self._limit(who, ip)
        if answer.mode == "queue":
            reply, notes = self.queue.run(command, args)
        else:
            if self.sandbox is None:
                raise ConsoleError("the sandbox is not running: start the demo with 'python -m demo serve'")
            reply, notes = self.sandbox.run(space_of(who.id), command, args), []
        answer.add("error" if isinstance(reply, Exception) else "reply", format_reply(reply))
        for note in notes:
            answer.add("note", note)
        self._check_step(answer, who, command, args, reply)

    def _limit(self, who, ip):
        """Count one command against the visitor's and the address's windows; ConsoleError past either."""
        window = self.settings["CONSOLE_RATE_WINDOW"]
        self.windows.hit(("visitor", who.id), self.settings["CONSOLE_RATE_LIMIT"], window,
                         f"slow down: at most {self.settings['CONSOLE_RATE_LIMIT']} commands per {window:g} s")
        if ip:
            self.windows.hit(("ip", ip), self.settings["CONSOLE_RATE_LIMIT_PER_IP"], window,
                             "too many commands from your network")

    def _check_step(self, answer, who, command, args, reply):
        current = tutorial.step(answer.step)
        if current is None:
            return
        mine = frozenset()
        if answer.mode == "queue" and answer.step == len(tutorial.STEPS):
            try:
                mine = frozenset(audience.mine(self.queue_admin, who))
            except redis.RedisError:
                pass
        text_args = [a.decode("utf-8") for a in args]
        praise = tutorial.check(answer.step, tutorial.Ran(command.name, text_args, reply, answer.mode, mine))
        if praise:
            answer.done = True
            answer.add("praise", praise)

    def _console(self, answer, who, command, args):
        if command.name == "HELP":
            lines, problem = commands.help_text(answer.mode, args[0].decode() if args else None)
            if problem:
                raise ConsoleError(problem)
            answer.add("note", "\n".join(lines))
        elif command.name == "CLEAR":
            answer.clear = True
        elif command.name == "SANDBOX":
            answer.mode = "sandbox"
            answer.add("note", "Back in your own sandbox.")
        elif command.name == "QUEUE":
            self.queue.ensure_user()
            answer.mode = "queue"
            answer.add("note", "You are looking at the real queue now, read-only: RQ's keys (rq:*). "
                               "SANDBOX takes you back.")
            self._check_step(answer, who, command, args, None)
        elif command.name == "TUTORIAL":
            self._tutorial(answer, args)
        else:  # NEXT, PREV
            if not answer.step:
                raise ConsoleError("no tutorial is running: type TUTORIAL to start one")
            target = answer.step + (1 if command.name == "NEXT" else -1)
            if not tutorial.step(target):
                raise ConsoleError("that was the last step; TUTORIAL starts again" if command.name == "NEXT"
                                   else "this is the first step")
            answer.step = target
            answer.add("note", "\n".join(tutorial.describe(target)))

    @staticmethod
    def _tutorial(answer, args):
        if args and args[0].upper() == b"OFF":
            answer.step = 0
            answer.add("note", "Tutorial off. TUTORIAL starts it again.")
            return
        if args:
            raise ConsoleError("TUTORIAL takes nothing, or OFF")
        answer.step = answer.step or 1
        answer.add("note", "\n".join(tutorial.describe(answer.step)))
