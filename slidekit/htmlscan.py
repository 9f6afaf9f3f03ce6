"""Raw HTML inside markdown: find the resources it loads, its fragments, headings and image alt text.

The stdlib HTML parser reads each raw HTML block; tags whose resource URLs
change (a local image copied to media/) are written back from their parsed
attributes. Everything else in the HTML is kept byte for byte.
"""

from html import escape
from html.parser import HTMLParser

#: Attributes that load a resource, by tag.
RESOURCE_ATTRS = {
    "img": ("src",), "source": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "iframe": ("src",), "script": ("src",), "embed": ("src",),
    "object": ("data",), "input": ("src",),
}
#: Tags whose local resources are copied into the site (the rest may only be remote or absent).
COPIED_TAGS = {"img", "source", "video", "audio", "track", "object", "embed"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
#: Slidev's click elements: each is one fragment.
CLICK_TAGS = {"v-click", "v-clicks"}


def missing_image(ref, alt=""):
    """What stands in for a missing image: a marked box naming the file (and its alt text)."""
    alt_html = f"<span>{escape(alt)}</span>" if alt else ""
    return (f'<span class="missing-image" role="img" aria-label="{escape(f"missing image {ref}")}">{alt_html}'
            f"<code>{escape(ref)}</code></span>")


class _Scanner(HTMLParser):
    def __init__(self, resolve):
        super().__init__(convert_charrefs=True)
        self.resolve = resolve  # (tag, attr, value, line) -> new value
        self.edits = []  # (line, column, original tag text, new tag text)
        self.fragments = 0
        self.heading = None
        self.image_alt = None  #: alt text of the first <img> that has one
        self._heading_depth = None
        self._heading_text = []

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag, attrs, closed):
        line, column = self.getpos()
        names = [name for name, _ in attrs]
        click = tag in CLICK_TAGS or "v-click" in names  # Slidev: one click shows it, as a fragment
        for name, value in attrs:
            if name == "class" and value and "fragment" in value.split():
                self.fragments += 1
                click = False
        if click:
            self.fragments += 1
        if tag in HEADINGS and self.heading is None and self._heading_depth is None:
            self._heading_depth = tag
        if tag == "img" and self.image_alt is None:
            alt = " ".join((dict(attrs).get("alt") or "").split())
            self.image_alt = alt or None
        resources = RESOURCE_ATTRS.get(tag, ())
        changed, new_attrs = click, []
        for name, value in attrs:
            if name in resources and value:
                new = self.resolve(tag, name, value, line)
                if new is None:  # a missing image: its place is marked
                    alt = " ".join((dict(attrs).get("alt") or "").split())
                    self.edits.append((line, column, self.get_starttag_text(), missing_image(value, alt)))
                    return
                if new != value:
                    changed = True
                    value = new
            if click and name == "class":
                value = f"{value or ''} fragment".strip()
                click = False
            new_attrs.append((name, value))
        if click:
            new_attrs.append(("class", "fragment"))
        if changed:
            text = "".join(f" {n}" if v is None else f' {n}="{escape(v)}"' for n, v in new_attrs)
            self.edits.append((line, column, self.get_starttag_text(), f"<{tag}{text}{' /' if closed else ''}>"))

    def handle_endtag(self, tag):
        if tag == self._heading_depth:
            self.heading = " ".join("".join(self._heading_text).split())
            self._heading_depth = None

    def handle_data(self, data):
        if self._heading_depth is not None:
            self._heading_text.append(data)


def scan_html(html, resolve):
    """Scan raw HTML; returns (rewritten html, fragment count, first heading text or None,
    first image alt text or None).

    ``resolve(tag, attr, value, line)`` gets every resource URL (``line`` is
    1-based inside ``html``) and returns the URL to write instead, or None for
    a missing image (the tag is replaced by a marked placeholder).
    """
    scanner = _Scanner(resolve)
    scanner.feed(html)
    scanner.close()
    if scanner.edits:
        starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                starts.append(index + 1)
        pieces, cursor = [], 0
        for line, column, original, new in scanner.edits:
            at = starts[line - 1] + column
            pieces.append(html[cursor:at])
            pieces.append(new)
            cursor = at + len(original)
        pieces.append(html[cursor:])
        html = "".join(pieces)
    return html, scanner.fragments, scanner.heading, scanner.image_alt
