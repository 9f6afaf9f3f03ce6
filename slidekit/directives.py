"""Directives: a line ``::name arg key=value ...`` in a slide.

``DIRECTIVES`` maps a name to a render function ``fn(directive, ctx) -> str``
returning HTML. To add one (issue 5 adds ``qr``)::

    from slidekit.directives import directive

    @directive("qr")
    def qr(d, ctx):
        ...  # d.args, d.options; ctx.asset(), ctx.warn(); raise SlideError("...") on bad input
        return "<figure class='qr'>...</figure>"

Raise ``SlideError(message)`` without a place: the renderer adds ``file:line``.
An unknown directive name is a build error.
"""

import shlex
from dataclasses import dataclass, field
from html import escape

from .defaults import IMAGE_EXTENSIONS, WIDGET_HEIGHT, WIDGETS
from .errors import SlideError

#: name -> render function ``fn(directive, ctx) -> html``.
DIRECTIVES = {}


@dataclass
class Directive:
    """One directive line, parsed."""

    name: str
    args: list = field(default_factory=list)  #: positional words
    options: dict = field(default_factory=dict)  #: ``key=value`` words
    line: int = 0  #: line in the source file

    def only(self, *allowed):
        """Fail on any option outside ``allowed``."""
        for key in sorted(self.options):
            if key not in allowed:
                known = ", ".join(allowed) if allowed else "none"
                raise SlideError(f"::{self.name} has no option '{key}' (options: {known})")


def directive(name):
    """Register the decorated function as the directive ``::name``."""
    def register(function):
        DIRECTIVES[name] = function
        return function
    return register


def parse(name, rest):
    """A Directive from its name and the rest of its line (shell-like quoting)."""
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise SlideError(f"::{name}: {exc}") from None
    parsed = Directive(name)
    for word in words:
        key, eq, value = word.partition("=")
        if eq and key:
            parsed.options[key] = value
        else:
            parsed.args.append(word)
    return parsed


def render(parsed, ctx):
    function = DIRECTIVES.get(parsed.name)
    if function is None:
        raise SlideError(f"unknown directive '::{parsed.name}' (known: {', '.join(sorted(DIRECTIVES))})")
    return function(parsed, ctx)


@directive("widget")
def widget(d, ctx):
    """``::widget dashboard [height=500]``: a live demo frame, or its offline placeholder."""
    d.only("height")
    if len(d.args) != 1:
        raise SlideError(f"::widget takes one widget name (known: {', '.join(sorted(WIDGETS))})")
    name = d.args[0]
    if name not in WIDGETS:
        raise SlideError(f"unknown widget '{name}' (known: {', '.join(sorted(WIDGETS))})")
    height = d.options.get("height", str(WIDGET_HEIGHT))
    if not height.isdigit() or not 60 <= int(height) <= 4000:
        raise SlideError(f"::widget height must be a number of pixels between 60 and 4000, not '{height}'")
    path, label = WIDGETS[name]
    ctx.widgets.append(name)
    ctx.widget_title = ctx.widget_title or f"Live demo: {label}"
    # A neutral card: the build cannot know where the demo server will run; the
    # runtime says why a frame is missing on the main screen (controllers/widgets.js).
    return (f'<div class="widget" data-widget="{name}" data-path="{escape(path)}" style="height:{height}px">'
            f'<div class="widget-offline" role="note"><strong>Live demo: {escape(label)}</strong>'
            f'<span class="widget-why">On the main screen.</span></div></div>\n')


@directive("slide")
def slide(d, ctx):
    """``::slide class="title center" background=#123``: classes and background of this slide."""
    d.only("class", "background")
    if d.args:
        raise SlideError(f"::slide takes key=value options only, not '{d.args[0]}' (options: class, background)")
    ctx.classes.extend(d.options.get("class", "").split())
    background = d.options.get("background")
    if background:
        if background.lower().split("?")[0].endswith(IMAGE_EXTENSIONS):
            url = ctx.asset(background, d.line, "background image")
            ctx.style = f"background:url({url}) center/cover no-repeat"
        else:
            ctx.style = f"background:{background}"
    return ""
