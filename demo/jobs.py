"""Job functions. Workers import this module, so it stays plain: no app, no views.

Progress convention for job authors: call ``report_progress(fraction, note)``
with a fraction between 0 and 1. It stores ``job.meta["progress"]`` and
``job.meta["progress_note"]`` and emits a ``progress`` event in the same
transaction, so every dashboard's bar moves at once. Outside a job it does
nothing, so job functions also run inline (the blocking demo does that).
"""

import time

from rq import get_current_job

from . import events


def report_progress(fraction, note=""):
    """Record how far the current job is (0..1) and tell the dashboards."""
    job = get_current_job()
    if job is None:
        return
    fraction = min(1.0, max(0.0, float(fraction)))
    job.meta["progress"] = fraction
    job.meta["progress_note"] = note
    with job.connection.pipeline() as pipe:
        pipe.hset(job.key, "meta", job.serializer.dumps(job.meta))
        events.publish(job.connection, "progress", job, pipeline=pipe, progress=repr(fraction), info=note or None)
        pipe.execute()


def noop():
    """Do nothing: the benchmark's unit of work."""
    return None


def add(a, b):
    """Add two numbers (the smallest useful job)."""
    return a + b


def wait(seconds, steps=None):
    """Sleep ``seconds``, reporting progress along the way."""
    seconds = float(seconds)
    steps = steps or max(1, min(20, int(seconds * 4)))
    for step in range(steps):
        time.sleep(seconds / steps)
        report_progress((step + 1) / steps, f"{(step + 1) * seconds / steps:.1f} of {seconds:g} s")
    return f"waited {seconds:g} s"


def fail(message="this job fails on purpose"):
    """Raise, so the job lands in Failed with a traceback."""
    raise RuntimeError(message)
