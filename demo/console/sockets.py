"""The ``/console`` namespace: run a command line, replay the presenter's console.

Every console page joins one room. ``run`` answers the socket that sent it
(its own sandbox, or QUEUE mode); when the sender is the presenter, the
entry also goes to the room, so the projected widget and every follower
show it (read-only for them). ``hello {since}`` replays what a page missed.
"""

import redis
from flask import current_app, request
from flask_socketio import join_room

from .. import keys
from ..db import get_redis
from ..demos.audience import visitor
from ..extensions import socketio
from ..live.guard import GuardedNamespace
from ..live.sockets import no_delay
from ..talk.presenter import is_presenter
from . import mirror

#: Most keys a client's payload may carry.
MAX_PAYLOAD_KEYS = 4


def _sweep(sandbox, logger):
    try:
        sandbox.sweep()
    except redis.RedisError as exc:
        logger.warning("console: the idle sweep failed: %s", exc)


class ConsoleNamespace(GuardedNamespace):  # events rate-limited per connection, like /live and /deck
    def on_connect(self, auth=None):
        no_delay(request.environ)
        join_room(keys.CONSOLE_ROOM)

    def on_hello(self, data=None):
        """The presenter's entries after ``since`` (or the latest), and who this page is."""
        since = data.get("since") if isinstance(data, dict) else None
        try:
            entries, complete = mirror.since(get_redis(), since)
        except redis.RedisError:
            return {"ok": False, "error": "Redis is not answering; the presenter's console will come back"}
        return {"ok": True, "entries": entries, "complete": complete, "presenter": is_presenter()}

    def on_run(self, data=None):
        """Run ``{line, mode, step}`` for this visitor; the presenter's runs are mirrored."""
        if not isinstance(data, dict) or len(data) > MAX_PAYLOAD_KEYS or not isinstance(data.get("line"), str):
            return {"ok": False, "error": "run: give {line: text, mode: sandbox | queue, step: number}"}
        console = current_app.extensions["omq.console"]
        who = visitor()
        answer = console.run(who, data["line"], data.get("mode"), data.get("step", 0), request.remote_addr)
        if who.presenter:
            try:
                answer["entry"] = mirror.append(get_redis(), data["line"][:1024], answer["asked"], answer["mode"],
                                                answer["output"], answer["clear"])["id"]
            except redis.RedisError:
                answer["output"].append({"kind": "note", "text": "(not mirrored: Redis is not answering)"})
        sandbox = console.sandbox
        if sandbox is not None and sandbox.sweep_due():
            socketio.start_background_task(_sweep, sandbox, current_app.logger)
        return answer
