"""Diagrams that follow the deck's theme: local SVG images inlined at build time.

An SVG in an ``<img>`` cannot see the page's CSS, so a light drawing stays a
glaring light panel on a dark slide. A markdown image of a local ``.svg``
(``![alt](diagrams/x.svg)``) is therefore written into the slide as inline
``<svg>``, with every colour of the palette below replaced by its theme
variable (``var(--d-ink)``...; static/deck/theme.css sets them per theme),
so one drawing serves every theme. The convention for drawing one:

* draw in the palette's light values (the keys of ``PALETTE``), or with
  ``currentColor`` (the slide's text colour), ``none`` or a gradient
  ``url(#id)``; tests/test_diagrams.py fails on any other colour;
* keep it self-contained (no script, no external reference), as the tests
  already require.

An SVG that is not safe to inline (a script, an event handler, an external
reference, or over ``MAX_INLINE`` bytes) stays an ``<img>``. Ids are
prefixed per use, so two diagrams on one page never share a marker.
``foreign(svg_text)`` lists the colours a drawing uses outside the palette.
"""

import hashlib
import re
import xml.etree.ElementTree as ET
from html import escape

#: Light-theme colour -> its theme variable (static/deck/theme.css defines each per theme).
PALETTE = {
    "#f7f8fb": "--d-bg", "#ffffff": "--d-paper", "#1b2233": "--d-ink", "#4b5568": "--d-ink-2",
    "#8a93a6": "--d-line", "#b4bccb": "--d-faint", "#d5dae3": "--d-rule", "#e8ebf2": "--d-panel",
    "#eef1f6": "--d-panel-2", "#2f6fdb": "--d-blue", "#e3ecfb": "--d-blue-tint", "#f0f4fc": "--d-blue-tint-2",
    "#d8392b": "--d-red", "#fbe3e0": "--d-red-tint", "#f9dedb": "--d-red-tint-2", "#fdf3f2": "--d-red-tint-3",
    "#c0392b": "--d-fail", "#2a9d5c": "--d-green", "#1f7a47": "--d-green-ink", "#e0f3e8": "--d-green-tint",
    "#f1faf4": "--d-green-tint-2", "#e09b2d": "--d-amber", "#8a5a0b": "--d-amber-ink", "#fcefd9": "--d-amber-tint",
}

#: Values a colour property may have besides the palette.
NEUTRAL = {"none", "currentcolor", "transparent", "inherit"}

#: Properties that take a colour, as attributes or in CSS.
COLOUR_PROPERTIES = ("fill", "stroke", "stop-color", "color", "flood-color", "lighting-color")

#: Largest SVG inlined (bytes); a bigger one stays an <img>.
MAX_INLINE = 64 * 1024

_HEX = re.compile(r"#[0-9a-fA-F]{3}\b|#[0-9a-fA-F]{6}\b")
_CSS_COLOUR = re.compile(r"(?<![-\w])(%s)\s*:\s*([^;}\"']+)" % "|".join(COLOUR_PROPERTIES))
_ATTR_COLOUR = re.compile(r'\b(%s)="([^"]*)"' % "|".join(COLOUR_PROPERTIES))
_UNSAFE = re.compile(r"<script|<foreignObject|\son[a-z]+\s*=|(?:href|src)\s*=\s*[\"'](?!#)|@import|javascript:", re.I)
_ID = re.compile(r'\bid="([^"]+)"')


def _long(value):
    """``#abc`` -> ``#aabbcc``, lower case."""
    value = value.lower()
    return "#" + "".join(c * 2 for c in value[1:]) if len(value) == 4 else value


def colours(svg_text):
    """Every colour value the drawing uses, as written (attributes and CSS)."""
    found = [value for _, value in _ATTR_COLOUR.findall(svg_text)]
    found += [value.strip() for _, value in _CSS_COLOUR.findall(svg_text)]
    return found


def foreign(svg_text):
    """Colours outside the palette and the neutral values, in order of first use."""
    out = []
    for value in colours(svg_text):
        v = value.strip().lower()
        if v in NEUTRAL or v.startswith(("url(", "var(")) or _long(v) in PALETTE:
            continue
        if v not in out:
            out.append(v)
    return out


def themed(svg_text):
    """The drawing with each palette colour replaced by its theme variable."""
    def swap(match):
        hex_value = _long(match.group(0))
        return f"var({PALETTE[hex_value]})" if hex_value in PALETTE else match.group(0)

    def attr(match):
        return f'{match.group(1)}="{_HEX.sub(swap, match.group(2))}"'

    def css(match):
        return f"{match.group(1)}:{_HEX.sub(swap, match.group(2))}"

    return _CSS_COLOUR.sub(css, _ATTR_COLOUR.sub(attr, svg_text))


def inline(path, alt, key, src=""):
    """The ``<svg>`` to write in place of ``<img src=path alt=alt>``, or None to keep the image.

    ``key`` makes the ids unique per use (e.g. the slide file and line); ``src``
    (the copied file's URL) is kept as ``data-src``, to say where it came from.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INLINE + 1)
        text = data.decode("utf-8")
        ET.fromstring(data)
    except (OSError, UnicodeDecodeError, ET.ParseError):
        return None
    if len(data) > MAX_INLINE or _UNSAFE.search(text):
        return None
    start = text.find("<svg")
    if start < 0:
        return None
    text = text[start:].strip()
    prefix = "d" + hashlib.sha1(f"{key}\0{path}".encode()).hexdigest()[:6] + "-"
    for name in dict.fromkeys(_ID.findall(text)):
        escaped = re.escape(name)
        text = re.sub(rf'\bid="{escaped}"', f'id="{prefix}{name}"', text)
        text = re.sub(rf"url\(#{escaped}\)", f"url(#{prefix}{name})", text)
        text = re.sub(rf'href="#{escaped}"', f'href="#{prefix}{name}"', text)
        text = re.sub(rf'(aria-(?:labelledby|describedby)="[^"]*)\b{escaped}\b', rf"\g<1>{prefix}{name}", text)
    head = text[:text.find(">")]
    extra = f' data-src="{escape(src)}"' if src else ""
    if 'class="' in head:
        text = text.replace('class="', 'class="diagram ', 1)
    else:
        extra += ' class="diagram"'
    if alt and not re.search(r"\baria-label(ledby)?=", head):  # its own <title> labels it, else the alt
        extra += f' aria-label="{escape(alt)}"'
    if "role=" not in head:
        extra += ' role="img"'
    return themed(text[:4] + extra + text[4:])
