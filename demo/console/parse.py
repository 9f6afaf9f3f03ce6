"""A command line as redis-cli splits it, checked before anything reaches Redis.

``split`` follows redis-cli's own splitter (``sdssplitargs``): words are
separated by spaces; ``"double quotes"`` understand ``\\n \\r \\t \\b \\a \\\\
\\" \\xHH``; ``'single quotes'`` only ``\\'``; a closing quote must end its
word. The result is a list of byte strings, sent to Redis as an argument
list, never as text to interpret.

``check`` then refuses what the console never sends: control characters,
bytes that are not UTF-8 (``"\\x00"`` and friends), and lines past the cap.
Every problem is a ``ConsoleError`` whose message is one line.
"""

import re

HEX = "0123456789abcdefABCDEF"
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}


class ConsoleError(ValueError):
    """A command the console refuses; ``str()`` is the one-line reason."""


def split(line):
    """The words of ``line`` as bytes; ConsoleError on unbalanced quotes."""
    words, i, n = [], 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return words
        current, quote = bytearray(), None
        while True:
            if i >= n:
                if quote:
                    raise ConsoleError(f"unbalanced quotes: close the {quote} you opened")
                break
            ch, after = line[i], line[i + 1] if i + 1 < n else ""
            if quote and ch == quote:
                if after and not after.isspace():
                    raise ConsoleError(f"a closing {quote} must end its word: put a space after it")
                i += 1
                break
            if quote == '"' and ch == "\\" and after == "x" and i + 3 < n and line[i + 2] in HEX and line[i + 3] in HEX:
                current.append(int(line[i + 2:i + 4], 16))
                i += 3
            elif quote == '"' and ch == "\\" and after:
                current += ESCAPES.get(after, after).encode()
                i += 1
            elif quote == "'" and ch == "\\" and after == "'":
                current += b"'"
                i += 1
            elif quote is None and ch.isspace():
                break
            elif quote is None and ch in "\"'":
                quote = ch
            else:
                current += ch.encode()
            i += 1
        words.append(bytes(current))


CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _control(text):
    found = CONTROL.search(text)
    return found.group() if found else None


def check(line, line_max):
    """``line``'s words, or ConsoleError: too long, control characters, not UTF-8."""
    if not isinstance(line, str):
        raise ConsoleError("send a command line as text")
    try:
        size = len(line.encode("utf-8"))
    except UnicodeEncodeError:
        raise ConsoleError("that line is not valid text (a lone surrogate); type plain text") from None
    if size > line_max:
        raise ConsoleError(f"that line is {size} bytes; a command line here is at most {line_max}")
    bad = _control(line)
    if bad is not None:
        raise ConsoleError(f"control characters are not allowed (found \\x{ord(bad):02x}); type plain text")
    words = split(line)
    for word in words:
        try:
            text = word.decode("utf-8")
        except UnicodeDecodeError:
            raise ConsoleError("binary values are not allowed here: every argument must be UTF-8 text") from None
        bad = _control(text)
        if bad is not None:
            raise ConsoleError(f"control characters are not allowed (\\x{ord(bad):02x} in an argument); "
                               "type plain text")
    return words
