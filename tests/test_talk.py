"""The talk itself (slides/*.md): it builds clean, tells the whole lesson, and nothing on it is broken.

Three layers:

* the real deck builds with ``--strict`` (warnings are errors);
* structural checks on the sources and on the built deck.json: length, notes,
  the lesson's objectives and exercises, the seed's story in order, code that
  comes from real files, resources;
* a real Chromium walks every slide and every fragment step of the built deck
  (opened from file://, as the offline deck is) and checks that no image is
  missing, nothing sticks out of the slide, no request fails, the console
  stays clean, and live widgets show their offline placeholder.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLIDES = ROOT / "slides"
CODE = SLIDES / "code"
APPENDIX_PREFIX = "90-"  #: slide files from here on are the audience's appendix

#: The seed deck's story beats, in the order the talk must tell them.
STORY = [
    r"Imagine for a moment",
    r"Synchronous Request-Response Cycle",
    r"Redis and RQ to the Rescue",
    r"So how does it work",
]

#: Redis commands from the lesson's redis-cli exercise (and SCAN): on the slides themselves.
COMMANDS = ["SET", "GET", "LPUSH", "RPUSH", "LINDEX", "KEYS", "TYPE", "SCAN"]

#: Every objective and exercise of the lesson, as phrases the deck (slides or
#: notes) must contain, compared case-insensitively and across line breaks.
LESSON_PHRASES = [
    # what Redis is and what it is good for; persistence; not a database
    "in memory", "good for", "RDB", "appendonly", "appendfsync everysec", "noeviction",
    "save 3600 1 300 100 60 10000", "Still not your database",
    # installing and running Redis
    "apt-get install", "brew install", "redis-server", "redis-cli", "KEYS *",
    # job queues and workers; the four libraries; Resque's memory
    "job queues and workers", "Sidekiq", "Resque", "Celery", "more memory", "threads",
    # process vs thread
    "process vs thread", "fork", "SimpleWorker", "work horse",
    # writing a worker, retries, scheduled and recurring jobs
    "rq worker", "queue.enqueue", "Retry(max=3", "enqueue_in", "enqueue_at", "--with-scheduler",
    "rq cron", "cron.register", "Sidetiq",
    # several worker processes
    "Unicorn", "gunicorn", "workers = 2", "timeout = 30",
    # sending an email from a job
    "ActionMailer", "EmailMessage", "smtplib", "send_welcome_email",
    # the code-highlighting example from the RailsCast
    "RailsCast", "def highlight", "Pygments",
]

#: Live widgets each part of the lesson must show (the join page is the ::qr slide).
WIDGETS = {"blocking", "dashboard", "submit", "workers", "retries", "schedule", "mail", "highlight", "redis"}

#: Every diagram the talk uses, in the order it first appears.
DIAGRAMS = ([f"imagine-{n:02d}.svg" for n in range(1, 12)] + ["redis-rq-badges.svg"]
            + [f"how-{n:02d}.svg" for n in range(1, 7)]
            + ["queue-lanes.svg", "resque-vs-sidekiq.svg", "process-vs-thread.svg", "architecture.svg"])

#: Links the resources slide carries: the seed's originals and their Python counterparts.
RESOURCES = [
    "redis.io/topics/quickstart", "redis.io/topics/data-types", "railscasts.com/episodes/366-sidekiq",
    "github.com/mperham/sidekiq/wiki", "devcenter.heroku.com/articles/rails-unicorn",
    "github.com/tobiassvn/sidetiq",
    "https://python-rq.org", "https://redis.io/docs/", "https://flask-socketio.readthedocs.io",
    "https://try.redis.io/",
]

#: Words from the teaching documents this talk was ported from; the room hears
#: "the original Ruby talk" instead.
PRIVATE_WORDS = re.compile(r"\b(seeds?|lessons?)\b", re.I)

TIMING = re.compile(r"^Timing: (?:(\d+) minutes?)? ?(?:(\d+) seconds?)?(?=[ .,:;])", re.M)
CUT = re.compile(r"^30-minute cut: skip this slide\.$", re.M)

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real deck, built with --strict through the command line, as `make` does."""
    out = tmp_path_factory.mktemp("talk") / "site"
    result = subprocess.run([sys.executable, str(ROOT / "build_slides.py"), str(SLIDES), "--out", str(out),
                             "--strict"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the talk does not build with --strict:\n{result.stderr}"
    assert result.stderr == "", result.stderr
    return out


@pytest.fixture(scope="module")
def deck(site):
    """deck.json, each slide with its rendered HTML added as ``_html``."""
    data = json.loads((site / "deck.json").read_text(encoding="utf-8"))
    html = (site / "index.html").read_text(encoding="utf-8")
    for slide in data["slides"]:
        start = html.index(f'id="slide-{slide["number"]}"')
        slide["_html"] = html[start:html.index("</section>", start)]
    return data


@pytest.fixture(scope="module")
def main_slides(deck):
    return [s for s in deck["slides"] if not s["source"].startswith(APPENDIX_PREFIX)]


@pytest.fixture(scope="module")
def text(site, deck):
    """Everything the deck says: slide HTML (code included) plus the speaker notes."""
    return (site / "index.html").read_text(encoding="utf-8") + "\n".join(s["notes"] for s in deck["slides"])


def sources():
    return sorted(SLIDES.glob("*.md"))


def test_the_talk_builds_clean_through_the_python_api(tmp_path):
    from slidekit import build

    result = build(str(SLIDES), str(tmp_path / "site"), strict=True)
    assert result.warnings == []
    assert result.meta["title"] == "Flask, Redis and RQ! (Oh, my!)"


# --------------------------------------------------------------------------- structure


def test_length_is_a_talk_plus_an_appendix(deck, main_slides):
    # 60 of the talk's own at most, plus the Redis console's two (04b, 06b)
    assert 35 <= len(main_slides) <= 62, f"{len(main_slides)} slides in the main talk"
    appendix = deck["slides"][len(main_slides):]
    assert all(s["source"].startswith(APPENDIX_PREFIX) for s in appendix), "the appendix comes last"
    assert len(appendix) >= 5
    assert sum(1 for s in appendix if s["title"].startswith("Exercise")) >= 5


def test_front_matter_is_only_in_the_first_file():
    first, *rest = sources()
    assert first.read_text(encoding="utf-8").startswith("---\ntitle: Flask, Redis and RQ! (Oh, my!)\n")
    for path in rest:
        assert not path.read_text(encoding="utf-8").startswith("---\n"), f"{path.name} has front matter"


def test_every_slide_has_speaker_notes(deck):
    missing = [f"{s['number']} ({s['source']})" for s in deck["slides"] if len(s["notes"].split()) < 12]
    assert not missing, f"slides without real speaker notes: {', '.join(missing)}"


def test_content_slides_give_timing_hints(main_slides):
    untimed = [s["source"] for s in main_slides
               if s["title"] and not s["title"].startswith(("Imagine", "So how")) and "Timing" not in s["notes"]]
    assert not untimed, f"content slides without a timing hint: {untimed}"


def test_every_lesson_objective_and_exercise_is_covered(text):
    flat = " ".join(re.sub(r"<[^>]+>", "", text).split()).lower()
    missing = [phrase for phrase in LESSON_PHRASES if phrase.lower() not in flat]
    assert not missing, f"the deck never mentions: {missing}"


def test_the_redis_commands_are_on_the_slides_not_only_in_the_notes(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    shown = re.sub(r"<[^>]+>", "", re.sub(r'<aside class="notes">.*?</aside>', "", html, flags=re.S))
    missing = [command for command in COMMANDS if not re.search(rf"\b{command}\b", shown)]
    assert not missing, f"not on any slide: {missing}"


def test_the_seed_story_is_told_in_order(main_slides):
    titles = [s["title"] for s in main_slides]
    positions = []
    for beat in STORY:
        found = [i for i, title in enumerate(titles) if re.search(beat, title)]
        assert found, f"no slide titled like '{beat}'"
        positions.append(found[0])
    assert positions == sorted(positions), list(zip(STORY, positions))
    imagine, how = positions[0], positions[3]
    for n in range(1, 12):
        assert f"diagrams/imagine-{n:02d}.svg" in main_slides[imagine + n]["_html"], f"imagine-{n:02d}"
    for n in range(1, 7):
        assert f"diagrams/how-{n:02d}.svg" in main_slides[how + n]["_html"], f"how-{n:02d}"


def test_the_hoare_quote_is_kept_with_attribution(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "obviously no deficiencies" in html and "C.A.R. Hoare" in html


def test_every_seed_image_became_a_project_diagram(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    used = re.findall(r'src="media/diagrams/([\w.-]+\.svg)"', html)
    assert used == DIAGRAMS
    for name in used:
        assert (site / "media" / "diagrams" / name).is_file()
    assert len([n for n in used if n.startswith(("imagine-", "how-"))]) == 17  # the seed's 17 images
    assert not re.search(r'src="[^"]*\.(png|jpe?g|gif)"', html), "raster images sneaked in"


def test_diagram_slides_have_alt_text(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    for tag in re.findall(r"<img [^>]*>", html):
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 15, tag


def test_every_live_widget_appears(deck, main_slides):
    used = {name for s in deck["slides"] for name in s["widgets"]}
    assert WIDGETS <= used, f"missing widgets: {sorted(WIDGETS - used)}"
    joins = [s for s in main_slides[:5] if 'data-qr="' in s["_html"] or "join" in s["widgets"]]
    assert joins, "the audience is invited to join (QR code) at the start of the talk"


def test_python_on_slides_is_always_included_from_a_tested_file():
    tested = (ROOT / "tests" / "test_slide_code.py").read_text(encoding="utf-8")
    includes = 0
    for path in sources():
        fence, is_python = None, False
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            match = FENCE.match(line)
            if fence is not None:
                if match and match.group(1).startswith(fence) and not match.group(2).strip():
                    fence = None
                else:
                    assert not is_python, f"{path.name}:{number}: inline Python; include it from slides/code/"
                continue
            if not match:
                continue
            fence, info = match.group(1), match.group(2)
            words = info.replace("{", " {").split()
            is_python = bool(words) and words[0].lower() in ("python", "py", "python3", "pycon")
            include = re.search(r"include=(\S+)", info)
            if include:
                target = include.group(1).split("#")[0].split(":")[0]
                file = (path.parent / target).resolve()
                assert file.is_file(), f"{path.name}:{number}: {target} does not exist"
                assert CODE in file.parents or (ROOT / "demo") in file.parents, f"{path.name}:{number}: {target}"
                if file.suffix == ".py":
                    includes += 1
                    module = file.stem
                    assert module in tested, f"{path.name}:{number}: no test imports or runs {file.name}"
            elif is_python:
                pytest.fail(f"{path.name}:{number}: a python block without include=")
    assert includes >= 15


def test_slides_stay_short(deck):
    """A slide is a title plus a few lines, a diagram, a code block or a widget."""
    for slide in deck["slides"]:
        assert len(slide["title"]) <= 60, slide["title"]
        assert slide["fragments"] <= 5, slide["source"]


def test_resources_pair_the_seed_with_python(deck):
    (resources,) = [s for s in deck["slides"] if s["title"] == "Resources"]
    links = re.findall(r'href="([^"]+)"', resources["_html"])
    missing = [want for want in RESOURCES if not any(want in link for link in links)]
    assert not missing, f"the resources slide lacks {missing}"
    assert all(link.startswith(("http://", "https://")) for link in links)
    assert "the original Ruby talk's links (historical)" in resources["_html"]


def test_nothing_the_audience_can_read_says_seed_or_lesson(site):
    """Slides, notes and deck.json call the originals "the original Ruby talk"."""
    for name in ("index.html", "deck.json"):
        found = sorted({m.group(0) for m in PRIVATE_WORDS.finditer((site / name).read_text(encoding="utf-8"))})
        assert not found, f"{name} says {found}"


def _seconds(slide):
    match = TIMING.search(slide["notes"])
    assert match, f"slide {slide['number']} ({slide['source']}): no parsable 'Timing:' line"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _budget(main_slides):
    """(minutes as written, minutes of the 30-minute path)."""
    timed = [s for s in main_slides if TIMING.search(s["notes"]) or "Timing" in s["notes"]]
    total = sum(_seconds(s) for s in timed)
    cut = sum(_seconds(s) for s in timed if CUT.search(s["notes"]))
    return total / 60, (total - cut) / 60


def test_the_talk_fits_40_minutes_with_5_of_slack_and_has_a_30_minute_path(main_slides):
    full, short = _budget(main_slides)
    assert full <= 35, f"the Timing: lines add up to {full:.1f} minutes; 40 minutes leave 35 for the talk"
    assert full >= 30, f"only {full:.1f} minutes: the timing hints are not honest"
    assert short <= 30, f"the 30-minute path takes {short:.1f} minutes"
    skipped = [s["title"] for s in main_slides if CUT.search(s["notes"])]
    assert len(skipped) >= 4 and not any(s["widgets"] == ["blocking"] for s in main_slides if CUT.search(s["notes"]))


def test_the_first_slide_states_the_budget_the_timings_add_up_to(main_slides):
    mine = sum(_seconds(s) for s in main_slides if TIMING.search(s["notes"]))
    stated = re.search(r"add up to\s+(\d+) minutes", main_slides[0]["notes"])
    assert stated and int(stated.group(1)) == round(mine / 60)


# --------------------------------------------------------------------------- in a browser

#: JavaScript run on every step: what is wrong with the slide on screen.
INSPECT = r"""
(tolerance) => {
  const slide = document.querySelector('.slides > .slide.present');
  if (!slide) return ['no slide is shown'];
  const box = slide.getBoundingClientRect();
  const k = box.width / slide.offsetWidth;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const clipping = ['auto', 'scroll', 'hidden', 'clip'];
  for (const el of [slide, ...slide.querySelectorAll('*')]) {
    if (el.closest('.notes')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el !== slide && (r.left < box.left - tolerance || r.top < box.top - tolerance ||
        r.right > box.right + tolerance || r.bottom > box.bottom + tolerance)) {
      problems.push(`${name(el)} sticks out of the slide by ` +
        `${Math.round(Math.max(box.left - r.left, box.top - r.top, r.right - box.right, r.bottom - box.bottom) / k)} px`);
    }
    if (clipping.includes(style.overflowX) && el.scrollWidth > el.clientWidth + tolerance) {
      problems.push(`${name(el)} hides ${el.scrollWidth - el.clientWidth} px of its content to the right`);
    }
    if (clipping.includes(style.overflowY) && el.scrollHeight > el.clientHeight + tolerance) {
      problems.push(`${name(el)} hides ${el.scrollHeight - el.clientHeight} px of its content below`);
    }
  }
  for (const img of slide.querySelectorAll('img')) {
    if (img.hidden || getComputedStyle(img).display === 'none') continue;  // e.g. ::qr before its server answers
    if (!img.complete || img.naturalWidth === 0) problems.push(`image ${img.getAttribute('src')} did not load`);
    const r = img.getBoundingClientRect();
    if (r.width / k < 200 || r.height / k < 100) problems.push(`image ${img.getAttribute('src')} is drawn ` +
      `${Math.round(r.width / k)}x${Math.round(r.height / k)}, too small to read`);
  }
  for (const qr of slide.querySelectorAll('figure.qr')) {
    const placeholder = qr.querySelector('.qr-offline');
    if (!placeholder || getComputedStyle(placeholder).display === 'none' || placeholder.offsetHeight < 60) {
      problems.push('the QR code shows no offline placeholder');
    }
  }
  for (const widget of slide.querySelectorAll('.widget')) {
    const placeholder = widget.querySelector('.widget-offline');
    if (widget.querySelector('iframe')) problems.push(`widget ${widget.dataset.widget} made a frame with no server`);
    if (!placeholder || getComputedStyle(placeholder).display === 'none' || placeholder.offsetHeight < 60) {
      problems.push(`widget ${widget.dataset.widget} shows no offline placeholder`);
    }
  }
  return problems;
}
"""


@pytest.mark.browser
def test_every_slide_and_step_renders_cleanly_in_chromium(site, deck):
    from playwright.sync_api import sync_playwright

    from slidekit.browser import launch

    failures, console, requests = [], [], []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console.append(str(e)))
            page.on("requestfailed", lambda r: requests.append(f"{r.url}: {r.failure}"))
            page.on("response", lambda r: requests.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
            page.goto((site / "index.html").as_uri())
            page.wait_for_function("document.documentElement.getAttribute('data-deck') === 'ready'")
            assert page.evaluate("window.OMQ.deck.slides.length") == deck["count"]
            steps = 0
            for slide in deck["slides"]:
                for step in range(slide["fragments"] + 1):
                    page.evaluate("([h, f]) => window.OMQ.deck.goTo(h, f)", [slide["index"], step])
                    page.wait_for_function(
                        "([h, f]) => { const s = window.OMQ.deck.state(); return s.h === h && s.f === f && "
                        "[...document.querySelectorAll('.slide.present img')].every(i => i.complete); }",
                        arg=[slide["index"], step])
                    page.wait_for_timeout(20)  # widgets explain themselves on the next tick
                    for problem in page.evaluate(INSPECT, 2):
                        failures.append(f"slide {slide['number']} step {step} ({slide['source']}): {problem}")
                    steps += 1
            assert steps >= deck["count"]
            # The keyboard walks the same path: every step once, end to end.
            page.evaluate("window.OMQ.deck.goTo(0, 0)")
            total = sum(s["fragments"] + 1 for s in deck["slides"])
            for _ in range(total - 1):
                page.keyboard.press("ArrowRight")
            state = page.evaluate("window.OMQ.deck.state()")
            assert (state["h"], state["f"]) == (deck["count"] - 1, deck["slides"][-1]["fragments"])
        finally:
            browser.close()
    assert not failures, "\n".join(failures)
    assert not requests, f"failed requests: {requests}"
    assert not console, f"console errors: {console}"
