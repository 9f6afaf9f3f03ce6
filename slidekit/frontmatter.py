"""YAML front matter: the deck's (first file) and Slidev's per-slide blocks.

Parsed with PyYAML's safe loader (never arbitrary objects), whatever the
shape: nested maps (reveal-md's ``revealOptions:``), block scalars (Marp's
``style: |``), lists. Each top-level key keeps the line it was written on, so
every later message about it reads ``deck.md:LINE: ...``.
"""

import re

import yaml

from .errors import SlideError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: A line that opens or closes a front matter block.
FENCE = "---"
#: The first meaningful line of a block that is meant as YAML (``key:`` then a space or the line end).
_KEY_LINE = re.compile(r"^[A-Za-z_$][\w$.-]*[ \t]*:(?:[ \t]|$)")


def block_end(lines, start):
    """Index of the ``---`` line closing a block that opens at ``lines[start]``, or None."""
    for index in range(start + 1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            return index
    return None


def looks_like_yaml(block):
    """Does the block's first meaningful line read as a ``key:`` line (so a YAML error is an error)?"""
    for line in block:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return bool(_KEY_LINE.match(line))
    return False


def parse(block, file, first_line):
    """``{key: (value, line)}`` for a YAML mapping, None when the block is not one.

    ``first_line`` is the 1-based file line of ``block[0]``. A block whose first
    line reads as ``key:`` but is not valid YAML raises ``SlideError`` at the
    line PyYAML points to.
    """
    text = "\n".join(block) + "\n"
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader) if node is not None else None
    except yaml.YAMLError as exc:
        if not looks_like_yaml(block):
            return None
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise SlideError(f"front matter is not valid YAML: {problem}", file, line) from None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        return None
    lines = {}
    for key_node, _ in node.value:
        lines.setdefault(str(key_node.value), first_line + key_node.start_mark.line)
    return {str(key): (value, lines.get(str(key), first_line)) for key, value in data.items()}
