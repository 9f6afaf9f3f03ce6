"""Job functions as a worker sees them: plain Python, importable by the worker."""

import time

from rq import get_current_job
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name


# region count_words
def count_words(text, seconds=0.1):
    """A slow job: pretend counting words takes ``seconds``."""
    time.sleep(seconds)
    return len(text.split())
# endregion


# region highlight
def highlight(code, language):
    """The RailsCast's example as a job: colour a snippet with Pygments."""
    lexer = get_lexer_by_name(language)
    return pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
# endregion


# region flaky
def flaky(failures):
    """Fail ``failures`` times, then succeed: the count lives in Redis."""
    job = get_current_job()
    job.meta["attempts"] = job.meta.get("attempts", 0) + 1
    job.save_meta()      # job.meta is stored in Redis, so every attempt sees it
    if job.meta["attempts"] <= failures:
        raise ConnectionError(f"attempt {job.meta['attempts']}: the payment API timed out")
    return f"succeeded on attempt {job.meta['attempts']}"
# endregion
