"""Job functions. Workers import this module, so it stays plain: no app, no views.

Progress convention for job authors: call ``report_progress(fraction, note)``
with a fraction between 0 and 1. It stores ``job.meta["progress"]`` and
``job.meta["progress_note"]`` and emits a ``progress`` event in the same
transaction, so every dashboard's bar moves at once. Outside a job it does
nothing, so job functions also run inline (the blocking demo does that).
"""

import time

from rq import get_current_job

from .live import events


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


# --- the live demos' jobs (demo/demos/) ----------------------------------------


def slow_report(seconds, deadline=None):
    """The blocking demo's slow task: "build a report" for ``seconds``.

    As a job it reports progress. Inline, the web request passes ``deadline``
    (a ``time.monotonic()`` value): past it the work stops with TimeoutError,
    the way a server's request timeout cuts a request off.
    """
    seconds = float(seconds)
    steps = max(1, min(40, int(seconds * 10)))
    started = time.monotonic()
    for step in range(steps):
        pause = seconds / steps
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= pause:
                time.sleep(max(0.0, left))
                done = time.monotonic() - started
                raise TimeoutError(f"stopped after {done:.1f} of {seconds:g} s: past the deadline")
        time.sleep(pause)
        report_progress((step + 1) / steps, f"{(step + 1) * pause:.1f} of {seconds:g} s")
    return {"summary": f"report ready after {seconds:g} s", "seconds": seconds}


def _css_class(token_type):
    """Pygments' short CSS class of a token type (its nearest standard parent)."""
    from pygments.token import STANDARD_TYPES

    while token_type not in STANDARD_TYPES:
        token_type = token_type.parent
    return STANDARD_TYPES[token_type]


def highlight(code, language):
    """Highlight ``code`` with Pygments (the Sidekiq RailsCast's example job).

    Returns tokens, not HTML: ``[[css class, text], ...]`` whose texts joined
    are ``code``, so a page shows them with ``textContent`` and nothing a
    visitor typed is ever parsed as HTML.
    """
    from pygments.lexers import get_lexer_by_name

    started = time.perf_counter()
    lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    tokens = []
    for token_type, text in lexer.get_tokens(code):
        css = _css_class(token_type)
        if tokens and tokens[-1][0] == css:
            tokens[-1][1] += text
        else:
            tokens.append([css, text])
    ms = (time.perf_counter() - started) * 1000
    lines = code.count("\n") + (0 if code.endswith("\n") else 1)
    return {"summary": f"{lines} line{'s' * (lines != 1)} of {lexer.name} highlighted in {ms:.1f} ms",
            "language": lexer.name, "tokens": tokens}


def send_welcome_email(to, name, sender):
    """Render the welcome email and send it to the SMTP server in ``SMTP_URL``.

    The URL comes from the worker's environment, never from the job's
    arguments: those are shown on the dashboard, and a relay's URL may
    carry a password. ``serve`` gives its workers the embedded sink's URL.
    """
    import os

    from . import mailer

    url = os.environ.get("SMTP_URL")
    if not url:
        raise RuntimeError("SMTP_URL is not set in this worker's environment (serve sets it for its workers)")
    message = mailer.welcome(to, name, sender)
    report_progress(0.5, "rendered; sending")
    mailer.send(message, url)
    return {"summary": f"welcome email sent to {to}", "to": to, "message_id": message["Message-ID"]}


def flaky(fail_times):
    """Fail the first ``fail_times`` attempts, then succeed (the retries demo).

    Attempts are counted in ``job.meta["attempts"]``, so they keep counting
    after the presenter requeues a job that ran out of retries.
    """
    from rq import get_current_job as current

    job = current()
    attempt = 1
    if job is not None:
        attempt = int(job.meta.get("attempts", 0)) + 1
        job.meta["attempts"] = attempt
        job.save_meta()
    if attempt <= int(fail_times):
        raise ConnectionError(f"attempt {attempt}: the payment API timed out (fails the first {fail_times})")
    return {"summary": f"succeeded on attempt {attempt}", "attempts": attempt}


def reminder(note):
    """A job scheduled for later (enqueue_in / enqueue_at): return its note."""
    return {"summary": f"reminder: {note}", "note": note, "ran_at": time.time()}


def tick():
    """The recurring job rq's cron scheduler enqueues (the lesson's Sidetiq)."""
    return {"summary": time.strftime("tick at %H:%M:%S"), "ran_at": time.time()}


#: Units of work of the processes-vs-threads runs.
BENCH_WORK = ("noop", "sleep", "cpu")


def bench(work="noop"):
    """One unit of a processes-vs-threads run; returns the pid that ran it.

    ``noop`` shows a worker's own overhead per job (a fork each time, or
    none); ``sleep`` waits 50 ms like an I/O call (and lets other threads
    run meanwhile); ``cpu`` does a fixed amount of pure-Python arithmetic,
    tens of milliseconds that hold the GIL throughout (unlike hashlib, whose
    C code may let other threads run).
    """
    import os

    if work == "sleep":
        time.sleep(0.05)
    elif work == "cpu":
        total = 0
        for i in range(3_000_000):
            total += i * i
    elif work != "noop":
        raise ValueError(f"unknown work {work!r}; one of {', '.join(BENCH_WORK)}")
    return os.getpid()
