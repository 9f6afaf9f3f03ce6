"""Job functions as a worker sees them: plain Python, importable by the worker."""

import time

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name


# region count_words
def count_words(text):
    """A slow job: pretend counting words takes a while."""
    time.sleep(0.1)
    return len(text.split())
# endregion


# region highlight
def highlight(code, language):
    """The RailsCast's example as a job: colour a snippet with Pygments."""
    lexer = get_lexer_by_name(language)
    return pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
# endregion


# region flaky
ATTEMPTS = {}


def flaky(key, failures):
    """Fail ``failures`` times for ``key``, then succeed (retries demo)."""
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] <= failures:
        raise ConnectionError(f"attempt {ATTEMPTS[key]}: the payment API timed out")
    return f"succeeded on attempt {ATTEMPTS[key]}"
# endregion
