"""How a job's result and error read to people: one formatter for every path.

The worker's events (the live path) and the dashboard's snapshot and detail
(after a reload) both go through these functions, so a card says the same
thing whichever way it arrived: a job's own ``summary`` when it gives one,
text as it is, other values as JSON; never a Python repr.
"""

import json
import re

#: Longest result or error line a card shows.
INFO_LIMIT = 160

#: A frame in the libraries (installed packages such as rq, the standard
#: library, frozen modules), on this machine or a worker's: folded in a failed
#: job's detail under the frames of the job's own code.
_LIBRARY = re.compile(r"[/\\](site|dist)-packages[/\\]|[/\\]lib[/\\]python\d(\.\d+)?[/\\]|^<")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')


def clip(text, limit=INFO_LIMIT):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(value, limit=INFO_LIMIT):
    """One line about a returned value: its ``summary``, the text, or compact JSON."""
    if value is None:
        return ""
    if isinstance(value, dict) and isinstance(value.get("summary"), str):
        text = value["summary"]
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
        except (TypeError, ValueError):  # e.g. a dict with tuple keys
            text = str(value)
    return clip(" ".join(text.split()), limit)


def full(value, limit=2000):
    """A returned value in full for the detail panel: text as it is, else indented JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return clip(value, limit)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, indent=1)
    except (TypeError, ValueError):
        text = str(value)
    return clip(text, limit)


def last_line(text):
    """The last non-blank line of a traceback: ``ValueError: the message``."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def error(text):
    """A traceback as the detail panel shows it, error first.

    ``{"type", "message", "frames": [{file, line, func, code, library}]}``:
    the exception's class and message, then the frames innermost first, each
    marked ``library`` when it is in the standard library or an installed
    package (rq's own machinery) rather than in the job's code.
    """
    lines = (text or "").rstrip().splitlines()
    head = last_line(text)
    kind, sep, message = head.partition(": ")
    if not sep or " " in kind.strip():
        kind, message = (head, "") if head and " " not in head else ("Error", head)
    frames = []
    for index, line in enumerate(lines):
        match = _FRAME.match(line)
        if not match:
            continue
        code = lines[index + 1].strip() if index + 1 < len(lines) and not _FRAME.match(lines[index + 1]) else ""
        path = match["file"]
        frames.append({"file": path, "line": int(match["line"]), "func": (match["func"] or "").strip(),
                       "code": "" if code.startswith(("Traceback", "During handling")) else code,
                       "library": bool(_LIBRARY.search(path))})
    frames.reverse()  # innermost (where it was raised) first
    return {"type": kind.strip(), "message": message.strip(), "frames": frames}
