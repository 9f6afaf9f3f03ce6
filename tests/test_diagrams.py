"""The slide diagrams: properties a presenter relies on when they hit the projector.

Every SVG in slides/diagrams/ must be a self-contained 16:9 drawing (no scripts,
no external references, no embedded images), accessible (title and desc), and
readable from the back of the room (no text under 24 px in the 1280x720 box).
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DIAGRAMS = Path(__file__).resolve().parent.parent / "slides" / "diagrams"
SVG_NS = "http://www.w3.org/2000/svg"
#: Namespace URIs may appear as attribute values (xmlns); nothing else may point to http(s).
NAMESPACE_URIS = {SVG_NS, "http://www.w3.org/1999/xlink", "http://www.w3.org/XML/1998/namespace"}
MIN_FONT_PX = 24
MAX_BYTES = 16 * 1024

FILES = sorted(DIAGRAMS.glob("*.svg"))
FONT_SIZE_CSS = re.compile(r"font-size\s*:\s*([^;}\"']+)")
FONT_SHORTHAND_CSS = re.compile(r"(?<![-\w])font\s*:\s*([^;}\"']+)")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def px(value):
    """A font size in px, or None when it is not an absolute px/unitless length."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*", value)
    return float(match.group(1)) if match else None


def font_sizes(root):
    """Every font size declared anywhere: attributes, style attributes, <style> sheets."""
    for element in root.iter():
        if "font-size" in element.attrib:
            yield element.attrib["font-size"]
        for css in (element.attrib.get("style", ""), element.text if local(element.tag) == "style" else ""):
            yield from FONT_SIZE_CSS.findall(css or "")
            for shorthand in FONT_SHORTHAND_CSS.findall(css or ""):
                yield from re.findall(r"[0-9]*\.?[0-9]+(?:px|pt|em|rem|%)?", shorthand.split("/")[0])[-1:]


def test_there_are_diagrams():
    names = {p.name for p in FILES}
    expected = ({f"imagine-{n:02d}.svg" for n in range(1, 12)} | {f"how-{n:02d}.svg" for n in range(1, 7)}
                | {"redis-rq-badges.svg", "process-vs-thread.svg", "queue-lanes.svg",
                   "resque-vs-sidekiq.svg", "architecture.svg"})
    assert expected <= names


def test_readme_lists_every_diagram():
    readme = (DIAGRAMS / "README.md").read_text()
    assert [p.name for p in FILES if p.name not in readme] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_diagram_is_a_self_contained_readable_slide(path):
    data = path.read_bytes()
    assert len(data) < MAX_BYTES, f"{len(data)} bytes"
    root = ET.fromstring(data)

    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.attrib.get("viewBox", "").split() == ["0", "0", "1280", "720"]
    for dimension in ("width", "height"):
        assert root.attrib.get(dimension, "100%") == "100%"

    title = root.find(f"{{{SVG_NS}}}title")
    desc = root.find(f"{{{SVG_NS}}}desc")
    assert title is not None and (title.text or "").strip()
    assert desc is not None and (desc.text or "").strip()

    tags = {local(e.tag) for e in root.iter()}
    assert "script" not in tags
    assert "image" not in tags
    assert "foreignObject" not in tags

    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name}"
            urls = re.findall(r"https?://[^\s\"')]+", value)
            assert set(urls) <= NAMESPACE_URIS, f"{local(element.tag)} {name}={value!r}"
        if local(element.tag) == "style":
            assert "http" not in (element.text or "") and "@import" not in (element.text or "")

    sizes = list(font_sizes(root))
    assert sizes, "no font size declared"
    for size in sizes:
        value = px(size)
        assert value is not None, f"font-size {size!r} is not in px"
        assert value >= MIN_FONT_PX, f"font-size {size!r} < {MIN_FONT_PX}px"


# --- issue 11: diagrams follow the deck's theme (slidekit/diagrams.py) -------

THEME_CSS = Path(__file__).resolve().parent.parent / "static" / "deck" / "theme.css"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_diagram_uses_only_theme_colours(path):
    """Drawn in the palette (or currentColor), so the build can give it every theme's colours."""
    from slidekit.diagrams import PALETTE, foreign

    outside = foreign(path.read_text(encoding="utf-8"))
    assert outside == [], (f"{path.name} uses {', '.join(outside)}: draw with the palette's colours "
                           f"({', '.join(PALETTE)}) or currentColor; see slides/diagrams/README.md")


def test_every_palette_colour_is_a_variable_of_every_theme():
    from slidekit.defaults import THEMES
    from slidekit.diagrams import PALETTE

    css = THEME_CSS.read_text(encoding="utf-8")
    blocks = {theme: re.search(r'\[data-theme="%s"\][^{]*\{([^}]*)\}' % theme, css).group(1) for theme in THEMES}
    for colour, variable in PALETTE.items():
        for theme, block in blocks.items():
            match = re.search(re.escape(variable) + r":\s*(#[0-9a-f]{6})", block)
            assert match, f"{variable} is not set by the {theme} theme"
            if theme == "light":
                assert match.group(1) == colour, f"{variable} must be {colour} in light: the drawings use it"
