"""Decks written for other tools: which one a deck is for, and what its settings mean here.

A deck's *dialect* decides the few rules that differ between ecosystems:

* ``slidekit`` (ours, and what reveal.js/reveal-md and remark decks read as):
  ``---`` slides, ``----`` vertical slides, ``--`` steps, ``???``/``Note:`` notes,
  remark's slide properties, reveal-md's ``separator``/``verticalSeparator``/
  ``notesSeparator`` from front matter;
* ``marp`` (front matter ``marp: true``): every thematic break splits, HTML
  comments are directives or notes, ``headingDivider``;
* ``slidev`` (Slidev's headmatter keys, or per-slide frontmatter blocks):
  ``---`` followed by a ``key:`` line opens that slide's frontmatter, the last
  HTML comment of a slide is its notes.

Themes of those tools map to the closest of ours with a warning.
"""

from .defaults import THEMES

DIALECTS = ("slidekit", "marp", "slidev")

#: Headmatter keys only Slidev uses (one of them in the first block makes a deck a Slidev deck).
SLIDEV_KEYS = frozenset((
    "highlighter", "drawings", "transition", "mdc", "info", "layout", "colorSchema", "lineNumbers",
    "aspectRatio", "canvasWidth", "themeConfig", "fonts", "download", "exportFilename", "routerMode",
    "selectable", "record", "addons", "defaults", "monaco", "twoslash", "favicon", "titleTemplate",
    "seoMeta", "presenter", "browserExporter", "contextMenu", "wakeLock", "hideInToc", "drawing",
))
#: Marp's directives (global and local); ``_name`` is the same directive for one slide only.
MARP_GLOBAL = frozenset(("theme", "style", "headingDivider", "size", "math", "title", "description", "author",
                         "image", "keywords", "url", "marp", "lang", "transition"))
MARP_LOCAL = frozenset(("paginate", "header", "footer", "class", "backgroundColor", "backgroundImage",
                        "backgroundPosition", "backgroundRepeat", "backgroundSize", "color"))
#: Front matter keys that only Marp uses (marp-cli reads a deck without ``marp: true`` too).
MARP_ONLY = frozenset(("paginate", "headingDivider", "size", "math", "header", "footer", "backgroundColor",
                       "backgroundImage", "color")) | frozenset("_" + key for key in MARP_LOCAL)
#: reveal-md's front matter keys.
REVEAL_KEYS = frozenset(("revealOptions", "separator", "verticalSeparator", "notesSeparator", "highlightTheme",
                         "scripts", "css", "preprocessor", "template", "listingTemplate", "static", "assetsDir"))

#: Other tools' theme names -> the closest of ours (light, dark, contrast).
FOREIGN_THEMES = {
    # Marp's built-in themes: all three are light by default (gaia is cream on dark text).
    "default": "light", "gaia": "light", "uncover": "light",
    # reveal.js themes.
    "black": "dark", "white": "light", "league": "dark", "beige": "light", "sky": "light", "night": "dark",
    "serif": "light", "simple": "light", "solarized": "light", "blood": "dark", "moon": "dark",
    "dracula": "dark", "black-contrast": "contrast", "white-contrast": "contrast",
    # Slidev's official themes.
    "seriph": "light", "apple-basic": "light", "bricks": "light", "shibainu": "light",
}

#: Marp's ``size:`` presets.
MARP_SIZES = {"16:9": (1280, 720), "4:3": (960, 720)}


def detect(meta):
    """The dialect of a deck from its first file's front matter (``{key: (value, line)}``)."""
    keys = set(meta)
    if meta.get("dialect", (None,))[0] in DIALECTS:
        return meta["dialect"][0]
    if meta.get("marp", (None,))[0] is True or keys & MARP_ONLY:
        return "marp"
    if keys & SLIDEV_KEYS or keys & {"background", "class"}:
        return "slidev"
    return "slidekit"


def foreign_theme(name):
    """Our theme for another tool's theme name, or None when the name is unknown."""
    return FOREIGN_THEMES.get(str(name).lower()) if name is not None else None


def known_elsewhere(key, dialect=None):
    """Which tool uses a front matter key we do not, or None."""
    if dialect == "slidev" and (key in SLIDEV_KEYS or key in ("background", "class")):
        return "Slidev"
    if key in REVEAL_KEYS:
        return "reveal-md"
    if key in MARP_GLOBAL or key.lstrip("_") in MARP_LOCAL:
        return "Marp"
    if key in SLIDEV_KEYS or key in ("background", "src", "hide", "disabled", "level", "routeAlias"):
        return "Slidev"
    return None


def sizes(meta):
    """(width, height, line) that another tool's size settings ask for, or None."""
    if "size" in meta:
        value, line = meta["size"]
        size = MARP_SIZES.get(str(value).split()[0]) if value is not None else None
        if size:
            return size + (line,)
    if "revealOptions" in meta and isinstance(meta["revealOptions"][0], dict):
        options, line = meta["revealOptions"]
        width, height = options.get("width"), options.get("height")
        if isinstance(width, int) and isinstance(height, int):
            return width, height, line
    if "canvasWidth" in meta or "aspectRatio" in meta:
        width = meta.get("canvasWidth", (980, 0))[0]
        ratio, line = meta.get("aspectRatio", meta.get("canvasWidth"))
        try:
            if isinstance(ratio, str) and "/" in ratio:
                top, bottom = ratio.split("/")
                ratio = float(top) / float(bottom)
            ratio = float(ratio) if ratio not in (None, width) else 16 / 9
            return int(width), round(int(width) / ratio), line
        except (TypeError, ValueError, ZeroDivisionError):
            return None
    return None


__all__ = ["DIALECTS", "FOREIGN_THEMES", "MARP_GLOBAL", "MARP_LOCAL", "THEMES", "detect", "foreign_theme",
           "known_elsewhere", "sizes"]
