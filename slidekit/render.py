"""Render one Slide: markdown-it tokens -> HTML, with its assets, fragments and title.

One markdown-it instance (CommonMark + tables, strikethrough, attrs) is built
once per process. Rendering a slide is ``parse`` -> ``_resolve`` (rewrite
images, mark fragments, find the title) -> ``render`` with our own rules for
fences and directives.
"""

import hashlib
import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from . import code, diagrams, directives, idioms
from . import qr  # noqa: F401  (registers ::qr, issue 5)
from .defaults import ALT_TITLE_MAX, IMAGE_EXTENSIONS, MEDIA_DIR
from .errors import SlideError
from .htmlscan import COPIED_TAGS, missing_image, scan_html

_md = None


@dataclass
class RenderedSlide:
    """A slide ready to be written: inner HTML plus what deck.json and the runtime need."""

    file: str
    name: str
    line: int
    html: str
    title: str  #: the first heading, else the first image's alt text (shortened), else ""
    fragments: int
    notes: str
    notes_html: str
    classes: list = field(default_factory=list)
    style: str = ""
    widgets: list = field(default_factory=list)
    vertical: bool = False  #: continues the column of the slide before it


class Context:
    """What rendering one slide collects: problems, dependencies, media, fragments."""

    def __init__(self, slide, src_dir):
        self.slide = slide
        self.src_dir = src_dir
        self.base_dir = slide.dir or os.path.dirname(os.path.join(src_dir, slide.name))
        self.dialect = slide.extra.get("dialect", "slidekit")
        self.layers = []  #: Marp background images: (url, options)
        self.errors, self.warnings = [], []
        self.deps = {}  #: absolute path -> (mtime_ns, size) or None when missing
        self.media = {}  #: site-relative path -> absolute source path
        self.fragments = 0
        self.classes, self.style, self.widgets = [], "", []
        self.title = None
        self.image_alt = None  #: alt text of the first image, the title when there is no heading
        self.first_text = None  #: the slide's first words, its title when it has no heading, image or widget
        self.widget_title = None  #: "Live demo: ..." of its first widget, its title when it has no heading or image
        self.first_line = slide.line  #: file line of the text being rendered (body or notes)

    def error(self, line, message):
        self.errors.append(SlideError(message, self.slide.file, line))

    def warn(self, line, message):
        self.warnings.append(SlideError(message, self.slide.file, line))

    def depend(self, path):
        try:
            stat = os.stat(path)
        except OSError:
            self.deps[path] = None
            return False
        self.deps[path] = (stat.st_mtime_ns, stat.st_size)
        return True

    def asset(self, ref, line, what="image"):
        """The site URL for a local image (copied to media/), checking that it exists.

        A missing file is a warning (the deck still builds and marks the place):
        returns None then.
        """
        if ref.startswith(("data:", "#", "blob:")):
            return ref
        if "://" in ref or ref.startswith("//"):
            self.warn(line, f"remote {what} {ref} will not load offline; copy it next to the slides")
            return ref
        if ref.startswith("/"):
            self.warn(line, f"{what} {ref} is an absolute path; it breaks when the deck is opened from a file")
            return ref
        path = unquote(ref.split("#")[0].split("?")[0])
        full = os.path.normpath(os.path.join(self.base_dir, path))
        if not self.depend(full) or not os.path.isfile(full):
            self.warn(line, f"missing {what} {ref}")
            return None
        relative = os.path.relpath(full, self.src_dir)
        if relative.startswith(".."):  # outside the slides: name it by content, not by where it is
            with open(full, "rb") as handle:
                digest = hashlib.sha1(handle.read()).hexdigest()[:10]
            relative = os.path.join("_outside", digest, os.path.basename(full))
        target = f"{MEDIA_DIR}/{relative.replace(os.sep, '/')}"
        self.media[target] = full
        return quote(target)

    def set_background(self, ref, line):
        """The slide's background: an image (copied like any image) or a CSS colour."""
        if ref.lower().split("?")[0].endswith(IMAGE_EXTENSIONS) or "://" in ref or "/" in ref:
            url = self.asset(ref, line, "background image")
            if url is not None:
                self.style = f"background:url({_css_url(url)}) center/cover no-repeat"
        elif re.fullmatch(r"[#\w\s(),.%-]+", ref):
            self.style = f"background:{ref}"


def _css_url(url):
    return '"' + url.replace("\\", "%5C").replace('"', "%22").replace("\n", "") + '"'


def markdown():
    """The shared markdown-it instance."""
    global _md
    if _md is None:
        md = MarkdownIt("commonmark", {"html": True})
        md.enable(["table", "strikethrough"])
        md.use(attrs_plugin, spans=True).use(attrs_block_plugin).use(footnote_plugin)
        alt = {"alt": ["paragraph", "reference", "blockquote", "list"]}
        md.block.ruler.before("paragraph", "directive", _directive_rule, alt)
        md.block.ruler.before("directive", "slot", idioms.slot_rule, alt)
        md.block.ruler.before("fence", "content_class", idioms.content_block_rule, alt)
        md.block.ruler.before("paragraph", "code_import", idioms.import_rule, alt)
        md.core.ruler.before("inline", "content_classes", _content_classes)
        md.add_render_rule("fence", _render_fence)
        md.add_render_rule("code_block", _render_code_block)
        md.add_render_rule("directive", _render_directive)
        _md = md
    return _md


_FENCE_LANG = re.compile(r"^ {0,3}(?:`{3,}|~{3,})[ \t]*([\w+#.-]+)", re.M)


def warm(slides):
    """Build what every render shares once, before a build forks its workers: they inherit it.

    That is the markdown-it instance and the Pygments lexer of each code language the slides
    name (compiling a lexer's rules takes tens of milliseconds, in every process that needs it).
    """
    markdown()
    for lang in {m[1] for slide in slides for m in _FENCE_LANG.finditer(slide.body)}:
        code.get_lexer(lang)


def render_slide(slide, src_dir):
    """Render a Slide; returns (RenderedSlide, Context)."""
    md = markdown()
    ctx = Context(slide, src_dir)
    ctx.classes.extend(slide.classes)
    ctx.style = slide.style
    if slide.background:
        ctx.set_background(*slide.background)
    env = {"ctx": ctx}
    html = _render_part(md, slide.body, env, ctx)
    for text, line in slide.steps:  # remark's `--`: each step is one fragment of the slide
        ctx.first_line = line
        ctx.fragments += 1
        html += f'<div class="fragment step-block">\n{_render_part(md, text, env, ctx)}</div>\n'
    # from the slide, never its notes: a heading, an image's alt, a widget's name, its first words
    title = ctx.title or _shorten(ctx.image_alt or ctx.widget_title or ctx.first_text or "", ALT_TITLE_MAX)
    html = _frame(html, slide, ctx, md)
    notes_html = ""
    if slide.notes:
        fragments, ctx.first_line = ctx.fragments, slide.notes_line
        notes_tokens = md.parse(slide.notes + "\n", env)
        _resolve(notes_tokens, ctx)
        notes_html = md.renderer.render(notes_tokens, md.options, env)
        ctx.fragments = fragments  # fragments in notes never step
    rendered = RenderedSlide(file=slide.file, name=slide.name, line=slide.line, html=html,
                             title=title, fragments=ctx.fragments, notes=slide.notes,
                             notes_html=notes_html, classes=ctx.classes, style=ctx.style,
                             widgets=ctx.widgets, vertical=slide.vertical)
    return rendered, ctx


def _render_part(md, text, env, ctx):
    tokens = md.parse(text, env)
    tokens = idioms.wrap_default_slot(tokens)
    idioms.reveal_comments(tokens, ctx)
    _resolve(tokens, ctx)
    html = md.renderer.render(tokens, md.options, env)
    if ctx.dialect == "slidev" or "<style scoped" in html:
        html = _SCOPED_STYLE.sub(lambda m: f"<style>@scope {{{m[1]}}}</style>", html)
    return html


#: Slidev scopes a slide's <style> to the slide, Marp its <style scoped>: @scope with no selector does that.
_SCOPED_STYLE = re.compile(r"<style(?:\s+scoped)?\s*>(.*?)</style>", re.S)


def _frame(html, slide, ctx, md):
    """What surrounds the content: Marp's background images, header and footer, Slidev's side image."""
    parts = []
    if ctx.layers:
        side = next((o.get("side") for _, o in ctx.layers if o.get("side")), None)
        split = next((o.get("split") for _, o in ctx.layers if o.get("side")), "50%")
        cells = []
        for url, options in ctx.layers:
            css = [f"background-image:url({_css_url(url)})", f"background-size:{options.get('size', 'cover')}"]
            if options.get("opacity"):
                css.append(f"opacity:{options['opacity']}")
            if options.get("filters"):
                css.append("filter:" + " ".join(options["filters"]))
            cells.append(f'<div style="{escape(";".join(css))}"></div>')
        layer = "bg-layer" + (f" bg-{side}" if side else "")
        style = f' style="--split:{escape(split)}"' if side else ""
        parts.append(f'<div class="{layer}"{style} aria-hidden="true">{"".join(cells)}</div>\n')
        if side:
            ctx.classes.append(f"split-{side}")
    image = slide.extra.get("image")
    if image:
        url = ctx.asset(image[0], image[1], "image")
        if url is not None:
            parts.append(f'<div class="side-image" style="background-image:url({escape(_css_url(url))})"></div>\n')
    for key in ("header", "footer"):
        if slide.extra.get(key):
            parts.append(f'<{key} class="slide-{key}">{md.renderInline(slide.extra[key], {"ctx": ctx})}</{key}>\n')
    return "".join(parts) + html


def _content_classes(state):
    """Core rule: remark's ``.class[text]`` in inline text, as attrs-plugin spans."""
    for token in state.tokens:
        if token.type == "inline" and "[" in token.content:
            token.content = idioms.content_classes(token.content)


def _resolve(tokens, ctx):
    """Rewrite local images, count fragments and find the title, in place."""
    want_title = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "list_item_open" and token.markup == "+":
            token.attrJoin("class", "fragment")
        if kind == "heading_open" and ctx.title is None:
            want_title = True
        elif kind == "paragraph_open" and _image_only(tokens, index):
            token.attrJoin("class", "img-only")  # deck.css lets it fill a centred slide
        elif kind == "html_block":
            token.content, heading = _scan(token.content, ctx, ctx.first_line + token.map[0])
            if heading and ctx.title is None:
                ctx.title = heading
        elif kind == "inline" and token.children:
            words = "".join(c.content for c in token.children if c.type in ("text", "code_inline"))
            if want_title:
                ctx.title = words.strip()
                want_title = False
            elif ctx.first_text is None and words.strip():
                ctx.first_text = " ".join(words.split())
            _resolve_inline(token, ctx)
        _count(token, ctx)


def _image_only(tokens, index):
    """Is the paragraph opening at ``tokens[index]`` one image and nothing else?"""
    inline = tokens[index + 1] if index + 1 < len(tokens) else None
    if inline is None or inline.type != "inline" or not inline.children:
        return False
    kinds = [c.type for c in inline.children if not (c.type == "text" and not c.content.strip())]
    return kinds == ["image"]


def _shorten(text, limit):
    """``text`` cut at a word to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _resolve_inline(token, ctx):
    lines = token.content.split("\n")
    start = ctx.first_line + token.map[0]
    cursor = 0
    for child in token.children:
        if child.type == "image":
            src = child.attrGet("src") or ""
            cursor = _find_line(lines, src, cursor)
            alt = "".join(c.content for c in child.children or () if c.type in ("text", "code_inline"))
            background, options, alt = idioms.image_keywords(alt) if ctx.dialect == "marp" else (False, {}, alt)
            new = ctx.asset(src, start + cursor)
            if background:
                if new is not None:
                    ctx.layers.append((new, options))
                _to_html(child, "")
                continue
            if new is None:
                _to_html(child, missing_image(src, " ".join(alt.split())))
            elif new != src:
                child.attrSet("src", new)
            if options:  # Marp's keywords are settings, not alt text
                child.children = [Token("text", "", 0, content=" ".join(alt.split()))]
            if options.get("width") or options.get("height"):
                child.attrSet("style", ";".join(f"{k}:{options[k]}" for k in ("width", "height") if options.get(k)))
            if ctx.image_alt is None:
                ctx.image_alt = " ".join(alt.split()) or None
            if new is not None and not options:
                _inline_svg(child, new, " ".join(alt.split()), ctx, start + cursor)
        elif child.type == "html_inline":
            cursor = _find_line(lines, child.content, cursor)
            child.content, _ = _scan(child.content, ctx, start + cursor)
        _count(child, ctx)


def _inline_svg(token, url, alt, ctx, line):
    """A local SVG becomes inline <svg> in the theme's colours (slidekit/diagrams.py)."""
    target = unquote(url)
    path = ctx.media.get(target)
    if path is None or not target.lower().endswith(".svg"):
        return
    svg = diagrams.inline(path, alt, f"{ctx.slide.file}:{line}", url)
    if svg is not None:  # else not safe to inline: it stays an <img>
        _to_html(token, svg)


def _to_html(token, html):
    """Turn an inline token into raw HTML (a missing image's marker, an inlined SVG, or nothing)."""
    token.type, token.tag, token.nesting, token.content, token.children = "html_inline", "", 0, html, None
    token.attrs = {}


def _count(token, ctx):
    if token.nesting >= 0:
        classes = token.attrs.get("class") if token.attrs else None
        if classes and "fragment" in str(classes).split():
            ctx.fragments += 1


def _find_line(lines, needle, cursor):
    for index in range(cursor, len(lines)):
        if needle in lines[index]:
            return index
    return cursor


def _scan(html, ctx, first_line):
    def resolve(tag, attr, value, line):
        if tag in COPIED_TAGS:
            new = ctx.asset(value, first_line + line - 1, "image" if tag == "img" else f"<{tag}> {attr}")
            return value if new is None and tag != "img" else new
        if "://" in value or value.startswith("//"):
            ctx.warn(first_line + line - 1, f"remote <{tag}> {attr} {value} will not load offline")
        return value

    html, fragments, heading, alt = scan_html(html, resolve)
    ctx.fragments += fragments
    if alt and ctx.image_alt is None:
        ctx.image_alt = alt
    return html, heading


def _directive_rule(state, start, end, silent):
    """Block rule: a line ``::name ...`` (not indented as code)."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    src = state.src
    if not src.startswith("::", pos) or pos + 2 >= maximum or not src[pos + 2].isalpha():
        return False
    text = src[pos + 2:maximum]
    name = text.split(None, 1)[0]
    if not all(c.isalnum() or c in "-_" for c in name):
        return False
    if silent:
        return True
    token = state.push("directive", "", 0)
    token.info = name
    token.content = text[len(name):].strip()
    token.map = [start, start + 1]
    state.line = start + 1
    return True


def _render_directive(self, tokens, idx, options, env):
    token = tokens[idx]
    ctx = env["ctx"]
    line = ctx.first_line + token.map[0]
    try:
        parsed = directives.parse(token.info, token.content)
        parsed.line = line
        return directives.render(parsed, ctx)
    except SlideError as exc:
        ctx.error(line, exc.message)
        return ""


def _render_fence(self, tokens, idx, options, env):
    token = tokens[idx]
    ctx = env["ctx"]
    line = ctx.first_line + token.map[0]
    try:
        lang, spec, opts = code.parse_info(token.info, lenient=ctx.dialect != "slidekit")
        if "magic-move" in token.info.split():  # Slidev: show the last state of the animated code
            inner = [t for t in markdown().parse(token.content, {"ctx": ctx}) if t.type == "fence"]
            if inner:
                token, line = inner[-1], line + inner[-1].map[0] + 1
                lang, spec, opts = code.parse_info(token.info, lenient=True)
        body, first = token.content, 1
        include = opts.get("include")
        if include:
            if body.strip():
                raise SlideError("a code block with include= must be empty (its code comes from the file)")
            body, first, path = code.load_include(include, ctx.base_dir)
            ctx.depend(path)
        lexer = None
        if lang:
            lexer = code.get_lexer(lang)
            if lexer is False:
                ctx.warn(line, f"unknown code language '{lang}'; shown without highlighting")
        elif include:
            lexer = code.get_lexer(filename=path)
        html, steps = code.render_code(body, lang, spec, linenos=bool(opts.get("linenos")),
                                       first_line=opts.get("start", first), lexer=lexer)
    except SlideError as exc:
        ctx.error(line, exc.message)
        return ""
    ctx.fragments += steps
    return html


def _render_code_block(self, tokens, idx, options, env):
    html, _ = code.render_code(tokens[idx].content, None, None)
    return html
