"""Other tools' idioms inside a slide, rendered as ours or cleanly left out, never printed raw.

* remark: content classes ``.red[text]`` (inline) and ``.left-column[`` ... ``]``
  (a block on lines of its own) become ``<span>``/``<div class="...">``.
* reveal.js: ``<!-- .slide: data-background=... class=... -->`` sets the
  slide, ``<!-- .element: class="fragment" -->`` sets the element it sits in
  (or the one before it).
* Slidev: ``::right::`` slots (two-column layouts), ``v-click`` attributes and
  ``<v-click>`` as fragments (counted by htmlscan), ``<<< @/file#region``
  code imports.
* Marp: image keywords in the alt text: ``![bg](...)``, ``![bg left:40%](...)``,
  ``![w:200](...)``; handled where images are resolved (``image_keywords``).
"""

import re

from markdown_it.token import Token

from .source import _fence_state

_CLASSES = r"((?:\.[A-Za-z_-][\w-]*)+)\["
_INLINE_CLASS = re.compile(_CLASSES)
_BLOCK_CLASS = re.compile(r"^" + _CLASSES + r"[ \t]*$")
_SLOT = re.compile(r"^::([A-Za-z][\w-]*)::[ \t]*$")
_IMPORT = re.compile(r"^<<<[ \t]+(\S+)(?:[ \t]+([\w+#.-]+))?[ \t]*(\{[^}]*\})?[ \t]*$")
_REVEAL = re.compile(r"^\s*<!--\s*\.(slide|element)\s*:(.*?)-->\s*$", re.S)
_ATTR = re.compile(r"""([\w:.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
#: Attributes a reveal.js ``.element``/``.slide`` comment may set (anything else is left out).
_SAFE_ATTR = re.compile(r"^(class|style|id|data-[\w-]+)$")


def content_classes(text):
    """remark's inline content classes: ``.a.b[text]`` -> ``[text]{.a .b}`` (the attrs plugin's span)."""
    if "[" not in text or "." not in text:
        return text
    out, index, length = [], 0, len(text)
    while index < length:
        char = text[index]
        if char == "`":
            run = len(text[index:]) - len(text[index:].lstrip("`"))
            close = text.find("`" * run, index + run)
            end = close + run if close >= 0 else index + run
            out.append(text[index:end])
            index = end
            continue
        if char == "\\" and index + 1 < length:
            out.append(text[index:index + 2])
            index += 2
            continue
        match = _INLINE_CLASS.match(text, index) if char == "." else None
        if match:
            close = _closing(text, match.end())
            if close is not None:
                classes = " ".join("." + c for c in match[1].split(".") if c)
                out.append(f"[{content_classes(text[match.end():close])}]{{{classes}}}")
                index = close + 1
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _closing(text, start):
    """Index of the ``]`` that balances the ``[`` before ``start``, or None."""
    depth, index = 1, start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def content_block_rule(state, start, end, silent):
    """Block rule: a line ``.cls[`` up to a line ``]`` is a ``<div class="cls">`` of markdown."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    match = _BLOCK_CLASS.match(first)
    if not match:
        return False
    depth, line, fence = 1, start + 1, None
    while line < end:
        text = state.src[state.bMarks[line]:state.eMarks[line]]
        fence = _fence_state(text, fence)
        if fence is None:
            stripped = text.strip()
            if stripped == "]":
                depth -= 1
                if depth == 0:
                    break
            elif _BLOCK_CLASS.match(stripped):
                depth += 1
        line += 1
    if line >= end:
        return False
    if silent:
        return True
    _container(state, start, line, "div", {"class": " ".join(c for c in match[1].split(".") if c)})
    state.line = line + 1
    return True


def _container(state, start, close, tag, attrs):
    """Open ``tag``, tokenize the lines between ``start`` and ``close`` as blocks inside it, close it."""
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "omq_container", close
    token = state.push("omq_container_open", tag, 1)
    token.attrs, token.map, token.block = dict(attrs), [start, close], True
    state.md.block.tokenize(state, start + 1, close)
    token = state.push("omq_container_close", tag, -1)
    token.block = True
    state.parentType, state.lineMax = old_parent, old_max


def slot_rule(state, start, end, silent):
    """Block rule: Slidev's slot sugar ``::right::`` starts a slot that runs to the next one or the end."""
    if state.sCount[start] - state.blkIndent >= 4 or state.level:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    match = _SLOT.match(first)
    if not match:
        return False
    if silent:
        return True
    line, fence = start + 1, None
    while line < end:
        text = state.src[state.bMarks[line]:state.eMarks[line]]
        fence = _fence_state(text, fence)
        if fence is None and _SLOT.match(text.strip()):
            break
        line += 1
    _container(state, start, line, "div", {"class": f"slot slot-{match[1]}"})
    state.line = line
    return True


def import_rule(state, start, end, silent):
    """Block rule: Slidev's ``<<< @/snippets/file.ts#region [lang] {spec}`` shows a file's code."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    match = _IMPORT.match(state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]])
    if not match:
        return False
    if silent:
        return True
    path = match[1]
    token = state.push("fence", "code", 0)
    token.info = " ".join(filter(None, [match[2], match[3], "include=" + path.replace("@/", "", 1)]))
    token.content, token.markup, token.map = "", "```", [start, start + 1]
    state.line = start + 1
    return True


def wrap_default_slot(tokens):
    """With slots on a slide, the content before the first one becomes the default slot."""
    first = next((i for i, t in enumerate(tokens) if t.type == "omq_container_open" and t.level == 0
                  and "slot" in str(t.attrs.get("class", "")).split()), None)
    if not first:
        return tokens
    head = Token("omq_container_open", "div", 1, attrs={"class": "slot slot-default"}, block=True)
    tail = Token("omq_container_close", "div", -1, block=True)
    return [head] + tokens[:first] + [tail] + tokens[first:]


def reveal_comments(tokens, ctx):
    """Apply reveal.js ``<!-- .slide: ... -->`` and ``<!-- .element: ... -->`` comments."""
    for index, token in enumerate(tokens):
        if token.type == "html_block":
            _reveal_comment(token.content, tokens, index, ctx, block=True)
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "html_inline" and (".slide" in child.content or ".element" in child.content):
                    _reveal_comment(child.content, tokens, index, ctx, block=False)


def _reveal_comment(text, tokens, index, ctx, block):
    match = _REVEAL.match(text)
    if not match:
        return
    attrs = {}
    for name, double, single, bare in _ATTR.findall(match[2]):
        if _SAFE_ATTR.match(name):
            attrs[name] = double or single or bare
    if match[1] == "slide":
        for key in ("data-background", "data-background-image"):
            if attrs.get(key):
                ctx.set_background(attrs[key], ctx.first_line + (tokens[index].map or [0])[0])
        color = attrs.get("data-background-color")
        if color and not re.search(r"[;{}<>\\]", color):
            ctx.style = (ctx.style + ";" if ctx.style else "") + f"background-color:{color}"
        ctx.classes.extend(attrs.get("class", "").split())
        return
    target = _element_for(tokens, index, block)
    if target is None:
        return
    for name, value in attrs.items():
        if name == "class":
            for cls in value.split():
                target.attrJoin("class", cls)
        else:
            target.attrSet(name, value)


def _element_for(tokens, index, block):
    """The block a ``.element`` comment belongs to: the one it sits in, or (alone) the one before it."""
    if block:
        level, cursor = tokens[index].level, index - 1
        while cursor >= 0 and not (tokens[cursor].nesting == -1 and tokens[cursor].level == level):
            cursor -= 1
        if cursor < 0:
            return None
        tag_level, cursor = tokens[cursor].level, cursor - 1
        while cursor >= 0 and not (tokens[cursor].nesting == 1 and tokens[cursor].level == tag_level):
            cursor -= 1
        return tokens[cursor] if cursor >= 0 else None
    cursor = index - 1
    while cursor >= 0 and tokens[cursor].nesting != 1:
        cursor -= 1
    if cursor < 0:
        return None
    if tokens[cursor].type == "paragraph_open" and tokens[cursor].hidden and cursor > 0 \
            and tokens[cursor - 1].type == "list_item_open":
        return tokens[cursor - 1]  # a tight list item: the comment sets the <li>
    return tokens[cursor]


#: Marp's image keywords (in the alt text) and the CSS filters they name.
_FILTERS = {"blur": "blur({}px)", "grayscale": "grayscale({})", "sepia": "sepia({})", "brightness": "brightness({})",
            "contrast": "contrast({})", "invert": "invert({})", "saturate": "saturate({})"}
_FILTER_DEFAULTS = {"blur": "10", "grayscale": "1", "sepia": "1", "brightness": "1.5", "contrast": "2",
                    "invert": "1", "saturate": "2"}


def image_keywords(alt):
    """Marp's keywords in an image's alt text: (is background, options, alt without keywords)."""
    words, keep, options = alt.split(), [], {}
    for word in words:
        key, _, value = word.partition(":")
        lowered = key.lower()
        if lowered == "bg" and not value:
            options["bg"] = True
        elif lowered in ("left", "right") and "bg" in options:
            options["side"] = lowered
            options["split"] = value or "50%"
        elif lowered in ("contain", "cover", "fit", "auto") and not value:
            options["size"] = "contain" if lowered == "fit" else lowered
        elif re.fullmatch(r"\d+(\.\d+)?%", word):
            options["size"] = word
        elif lowered in ("w", "width", "h", "height") and re.fullmatch(r"\d+(\.\d+)?(px|%|em|rem|vw|vh)?", value):
            options["width" if lowered.startswith("w") else "height"] = value + ("px" if value[-1].isdigit() else "")
        elif lowered == "opacity" and (not value or re.fullmatch(r"\d*\.?\d+", value)):
            options["opacity"] = value or ".2"
        elif lowered in _FILTERS and (not value or re.fullmatch(r"\d*\.?\d+(px)?", value)):
            options.setdefault("filters", []).append(_FILTERS[lowered].format(
                (value or _FILTER_DEFAULTS[lowered]).removesuffix("px")))
        else:
            keep.append(word)
    if not options:
        return False, {}, alt
    return bool(options.get("bg")), options, " ".join(keep)
