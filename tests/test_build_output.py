"""Output: byte-identical builds, incremental rebuilds, deck.json, the server seam, --watch."""

import hashlib
import http.client
import json
import threading
import time
from contextlib import contextmanager

import pytest
from deckfixtures import DECKS, build_deck, copy_deck

from slidekit import BuildCache, BuildFailed, build, inject
from slidekit.watch import watch


def _tree(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_input_gives_byte_identical_output_wherever_it_is_built(tmp_path):
    first = copy_deck("basic", tmp_path / "one" / "slides")
    second = copy_deck("basic", tmp_path / "two" / "elsewhere")
    assert build_deck(first, "--out", tmp_path / "one" / "site")[0] == 0
    assert build_deck(second, "--out", tmp_path / "two" / "out")[0] == 0
    assert build_deck(first, "--out", tmp_path / "one" / "again")[0] == 0
    one = _tree(tmp_path / "one" / "site")
    assert one == _tree(tmp_path / "two" / "out") == _tree(tmp_path / "one" / "again")
    assert "media/diagrams/queue.svg" in one and "deck.json" in one


def test_deck_json_lists_what_a_server_needs(tmp_path):
    build(str(DECKS / "basic"), str(tmp_path / "site"))
    data = json.loads((tmp_path / "site" / "deck.json").read_text(encoding="utf-8"))
    assert data["count"] == len(data["slides"]) == 10
    assert (data["width"], data["height"]) == (1280, 720)
    second = data["slides"][1]
    assert second["index"] == 1 and second["number"] == 2 and second["title"] == "Why queues?"
    assert second["fragments"] == 3 and second["notes"] == "Three points, one per click."
    assert second["notes_html"] == "<p>Three points, one per click.</p>\n"


def test_rebuild_renders_only_the_changed_file(tmp_path):
    src = copy_deck("basic", tmp_path / "slides")
    cache = BuildCache()
    assert build(str(src), str(tmp_path / "site"), cache=cache).rendered == ["01-intro.md", "02-code.md"]
    assert build(str(src), str(tmp_path / "site"), cache=cache).rendered == []
    intro = src / "01-intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace("Work can wait", "Work can queue"),
                     encoding="utf-8")
    result = build(str(src), str(tmp_path / "site"), cache=cache)
    assert result.rendered == ["01-intro.md"]
    assert "Work can queue" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_incremental_output_equals_a_full_build(tmp_path):
    src = copy_deck("basic", tmp_path / "slides")
    cache = BuildCache()
    build(str(src), str(tmp_path / "inc"), cache=cache)
    (src / "02-code.md").write_text((src / "02-code.md").read_text(encoding="utf-8") + "\n---\n\n# Added\n",
                                    encoding="utf-8")
    build(str(src), str(tmp_path / "inc"), cache=cache)
    build(str(src), str(tmp_path / "full"))
    assert _tree(tmp_path / "inc") == _tree(tmp_path / "full")


def test_changing_an_included_file_rerenders_the_slides_that_include_it(tmp_path):
    src = copy_deck("basic", tmp_path / "slides")
    cache = BuildCache()
    build(str(src), str(tmp_path / "site"), cache=cache)
    worker = src / "code" / "worker.py"
    worker.write_text(worker.read_text(encoding="utf-8").replace("Put n jobs", "Enqueue n jobs"), encoding="utf-8")
    result = build(str(src), str(tmp_path / "site"), cache=cache)
    assert result.rendered == ["02-code.md"]
    assert "Enqueue n jobs" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_adding_the_missing_image_fixes_the_cached_warning(tmp_path):
    src = tmp_path / "slides"
    src.mkdir()
    (src / "a.md").write_text("![d](d.svg)\n", encoding="utf-8")
    cache = BuildCache()
    result = build(str(src), str(tmp_path / "site"), cache=cache)
    assert [str(w) for w in result.warnings] == [f"{src / 'a.md'}:1: missing image d.svg"]
    assert 'class="missing-image"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    (src / "d.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    result = build(str(src), str(tmp_path / "site"), cache=cache)
    assert result.slides == 1 and result.warnings == [] and result.rendered == ["a.md"]
    assert (tmp_path / "site" / "media" / "d.svg").is_file()


def test_inject_puts_a_servers_scripts_in_place_of_the_marker(tmp_path):
    build(str(DECKS / "basic"), str(tmp_path / "site"))
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    served = inject(html, '<script src="/static/live/deck-live.js"></script>')
    assert served.index('<script src="deck/deck.js">') < served.index('<script src="/static/live/deck-live.js">')
    assert "omq:inject" not in served
    with pytest.raises(ValueError):
        inject("<html></html>", "<script></script>")


def _events(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/__omq/events")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    return connection, response


@contextmanager
def _watching(src, out):
    """``build_slides --watch`` in a thread; yields (port, log), then stops it."""
    stop, servers, log = threading.Event(), [], []
    thread = threading.Thread(target=watch, args=(str(src), str(out)), daemon=True,
                              kwargs={"port": 0, "stop": stop, "ready": servers.append, "log": log.append})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not servers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield servers[0].server_port, log
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_watch_serves_the_deck_and_reloads_it_after_an_incremental_rebuild(tmp_path):
    src = copy_deck("basic", tmp_path / "slides")
    out = tmp_path / "site"
    with _watching(src, out) as (port, log):
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        page.request("GET", "/")
        html = page.getresponse().read().decode("utf-8")
        assert "new EventSource('/__omq/events')" in html  # injected when served ...
        assert "EventSource" not in (out / "index.html").read_text(encoding="utf-8")  # ... not on disk

        connection, events = _events(port)
        intro = src / "01-intro.md"
        intro.write_text(intro.read_text(encoding="utf-8").replace("Work can wait", "Work waits, live"),
                         encoding="utf-8")
        assert events.fp.readline() == b"data: reload\n"
        connection.close()
        assert "Work waits, live" in (out / "index.html").read_text(encoding="utf-8")
        assert any("rendered: 01-intro.md)" in line for line in log), log

        intro.write_text("# Broken\n\n::widget nope\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while not any("unknown widget 'nope'" in line for line in log) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("01-intro.md:3: unknown widget 'nope'" in line for line in log), log
        assert "Work waits, live" in (out / "index.html").read_text(encoding="utf-8")  # last good deck stays


# watchdog's inotify observer warns when the swapped-in output directory inside the watched tree
# reuses a watch descriptor; that is its bookkeeping, not a problem of the build.
@pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")
def test_watch_does_not_rebuild_in_a_loop_when_the_output_is_inside_the_sources(tmp_path):
    src = copy_deck("basic", tmp_path / "slides")
    with _watching(src, src / "site") as (_, log):
        (src / "02-code.md").write_text("# Replaced\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while sum(line.startswith("built ") for line in log) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a loop would have rebuilt several times by now
        assert [line for line in log if line.startswith("built ")] == [
            log[0], next(line for line in log if "rendered: 02-code.md)" in line)]


def test_the_site_ships_the_runtime_minified_and_follows_an_edited_source(tmp_path, monkeypatch):
    # A site ships every runtime file, smaller than its commented source and
    # without the comments; the deck-opening browser tests run this shipped code.
    import shutil
    from pathlib import Path

    from slidekit import site

    build(str(DECKS / "basic"), str(tmp_path / "site"))
    for name in site.RUNTIME_FILES:
        source = (Path(site.RUNTIME_SOURCE) / name).read_text(encoding="utf-8")
        shipped = (tmp_path / "site" / "deck" / name).read_text(encoding="utf-8")
        assert "/*" in source and len(shipped) < len(source), name
        assert "/*" not in shipped, name

    # An edited runtime file (as under --watch) is minified afresh, not served from the cache.
    runtime = tmp_path / "runtime"
    shutil.copytree(site.RUNTIME_SOURCE, runtime)
    monkeypatch.setattr(site, "RUNTIME_SOURCE", str(runtime))
    boot = runtime / "boot.js"
    boot.write_text(boot.read_text(encoding="utf-8") + "\nwindow.editedMarker = 'edited';\n", encoding="utf-8")
    build(str(DECKS / "basic"), str(tmp_path / "site2"))
    assert "editedMarker" in (tmp_path / "site2" / "deck" / "boot.js").read_text(encoding="utf-8")


def _big_deck(src, files=3, per_file=60):
    """A deck with enough slides to be rendered over several processes, with problems in some slides."""
    src.mkdir(parents=True)
    for f in range(files):
        slides = []
        for i in range(per_file):
            n = f * per_file + i
            extra = ""
            if n % 37 == 5:
                extra = f"\n![missing {n}](./nowhere-{n}.png)\n"
            elif n % 41 == 7:
                extra = f"\n```klingon\nqapla' {n}\n```\n"
            slides.append(f"## Slide {n}\n\n+ point {n}\n+ second\n{extra}\n"
                          f"```python {{1|2}}\nfrom rq import Queue\nq = Queue('q{n}')\n```\n\nNote: say {n}.\n")
        (src / f"{f:02d}-part.md").write_text("\n---\n\n".join(slides), encoding="utf-8")
    return src


def test_a_big_deck_rendered_over_several_processes_is_the_same_deck_with_the_same_warnings(tmp_path):
    src = _big_deck(tmp_path / "slides")
    code, out, err = build_deck(src, "--out", tmp_path / "spread", "--jobs", "2")
    assert code == 0, err
    assert "built 180 slides" in out and "(2 processes)" in out
    one_code, one_out, one_err = build_deck(src, "--out", tmp_path / "one", "--jobs", "1")
    assert one_code == 0 and "processes" not in one_out
    assert _tree(tmp_path / "spread") == _tree(tmp_path / "one")
    assert err == one_err and err.count("(warning)") == 10
    assert err.splitlines()[0].startswith(f"{src / '00-part.md'}:") and "missing image ./nowhere-5.png" in err


def test_a_big_deck_with_errors_fails_alike_over_several_processes(tmp_path):
    src = _big_deck(tmp_path / "slides")
    broken = src / "01-part.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("```python {1|2}", "```python {1|9}", 3),
                      encoding="utf-8")
    spread = build_deck(src, "--out", tmp_path / "spread", "--jobs", "2", "--strict")
    one = build_deck(src, "--out", tmp_path / "one", "--jobs", "1", "--strict")
    assert spread[0] == one[0] == 1 and spread[2] == one[2]
    assert spread[2].count(f"{broken}:") >= 3 and not (tmp_path / "spread").exists()


def test_jobs_must_be_a_number_of_processes(tmp_path):
    code, _, err = build_deck(DECKS / "basic", "--out", tmp_path / "site", "--jobs", "0")
    assert code == 2 and "--jobs wants a number of processes from 1 to 64, not '0'" in err
