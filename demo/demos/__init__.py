"""The talk's live demos: one page and its JSON endpoints per scenario.

Every demo runs real work through real RQ workers on the real Redis. Pages
live under ``/demo/<name>`` (the deck embeds ``/demo/<name>?embed=1``) and
follow jobs through the dashboard's Socket.IO stream (``/live``), fetching a
job's result from ``/demo/jobs/<id>`` when its ``finished`` event arrives.

Modules: ``common`` (helpers, errors, the job endpoint, the index),
``audience`` (visitor, nickname, rate limit, global cap), then one per
scenario: ``blocking``, ``highlight``, ``mail``, ``retries``, ``schedule``,
``workers`` (with ``bench``, its runner) and ``submit``.
"""

from flask import Blueprint

bp = Blueprint("demos", __name__, url_prefix="/demo")

from . import common, blocking, highlight, mail, retries, schedule, workers, submit  # noqa: E402,F401
