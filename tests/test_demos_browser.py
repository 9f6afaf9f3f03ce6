"""The live demos in Chromium, on a real ``serve`` with real workers and SMTP."""

import re

import pytest
from playwright.sync_api import expect


pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Long enough for a forking worker on a busy 2-core machine.
WAIT = 30_000

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def open_demo(page, server, name, presenter=False, query=""):
    path = f"/demo/{name}{query}"
    if presenter:
        page.goto(f"{server.base}/presenter?token={server.token}&next={path}")
    else:
        page.goto(server.base + path)
    expect(page.locator(".live-status")).to_have_attribute("data-state", "live", timeout=WAIT)
    return page


def test_blocking_inline_waits_in_gunicorns_backlog_and_times_out_while_background_answers_at_once(
        new_page, serve):
    server = serve(workers=1, env={"DEMO_REQUEST_TIMEOUT": "3"})
    page = open_demo(new_page(), server, "blocking", query="?embed=1")
    expect(page.locator(".topbar")).to_have_count(0)  # embedded in the deck: no top bar
    expect(page.locator("#slots .slot")).to_have_count(2, timeout=WAIT)  # gunicorn's two workers
    page.fill("#seconds", "2")
    for _ in range(3):
        page.click("#run-inline")
    expect(page.locator("#slots .slot.busy")).to_have_count(2, timeout=WAIT)
    expect(page.locator("#line")).to_have_text("1 waiting in the backlog", timeout=WAIT)
    late = page.locator('#mine .job[data-status="failed"]')
    expect(late).to_have_count(1, timeout=WAIT)
    expect(late).to_contain_text("504 Gateway Timeout: no answer within 3 s")
    expect(page.locator('#mine .job[data-status="finished"]')).to_have_count(2, timeout=WAIT)
    expect(page.locator("#stats .stat.late")).to_have_text("1timed out")  # a big number, then its name

    page.click("#run-background")
    card = page.locator("#mine .job[data-job]")
    expect(card.locator(".label")).to_have_text(re.compile(r"background, answered in \d+ ms"), timeout=WAIT)
    expect(card).to_contain_text("report ready after 2 s", timeout=WAIT)
    expect(page.locator("#chart canvas")).to_have_count(1)
    expect(page.locator("#line")).to_have_text("0 waiting in the backlog", timeout=WAIT)
    assert page.script_errors == []


def test_highlight_suggests_a_language_and_shows_the_snippet_as_text(new_page, serve):
    server = serve(workers=1)
    page = open_demo(new_page(), server, "highlight")
    snippet = 'x = "<img src=x onerror=window.pwned=1>"\nprint(x)\n'
    page.fill("#code", snippet)
    page.fill("#language", "pyhton")
    page.click("#submit")
    expect(page.locator("#message")).to_contain_text("unknown language 'pyhton'; did you mean python")
    page.locator("#suggestions button", has_text=re.compile("^python$")).click()
    result = page.locator("#results pre.hl")
    expect(result).to_be_visible(timeout=WAIT)
    assert result.text_content() == snippet
    expect(result.locator("span.k, span.nb").first).to_be_visible()
    assert page.locator("#results img").count() == 0 and page.evaluate("window.pwned") is None
    expect(page.locator("#results .job .nick")).to_have_text(re.compile(r"^by \w+ \w+$"))
    assert page.script_errors == []


def test_mail_lands_in_the_mailbox_live_with_both_parts_escaped(new_page, serve):
    server = serve(workers=1)
    page = open_demo(new_page(), server, "mail")
    page.fill("#name", "<b>Ada</b>")
    page.click("#submit")
    mail = page.locator("#mailbox details.mail")
    expect(mail).to_have_count(1, timeout=WAIT)  # arrived without a reload
    expect(mail.locator(".subject")).to_have_text("Welcome to the queue, <b>Ada</b>!")
    expect(mail.locator("pre.part-text")).to_contain_text("Hi <b>Ada</b>,", timeout=WAIT)
    expect(mail.locator("pre.part-html")).to_contain_text("<h1>Hi &lt;b&gt;Ada&lt;/b&gt;!</h1>")
    assert page.locator("#mailbox b").count() == 0
    expect(page.locator('#sent .job[data-status="finished"]')).to_contain_text("welcome email sent to ada@example.com",
                                                                             timeout=WAIT)
    page.fill("#to", "ada@gmail.com")
    page.click("#submit")
    expect(page.locator("#message")).to_contain_text("the audience may only mail addresses at example.com")
    assert page.script_errors == []


def test_retries_count_down_land_in_failed_and_the_presenter_requeues(new_page, serve):
    server = serve(workers=1, env={"DEMO_RETRY_INTERVALS": "3,1,1"})
    page = open_demo(new_page(), server, "retries", presenter=True)
    page.select_option("#fail-times", "4")
    page.click("#submit")
    card = page.locator("#jobs .job").first
    expect(card.locator(".countdown")).to_have_text(re.compile(r"^in \d\.\d s$"), timeout=WAIT)
    expect(card).to_have_attribute("data-status", "failed", timeout=WAIT)
    expect(card.locator("ol.log")).to_contain_text("attempt 1: the payment API timed out")
    expect(card.locator("pre.trace")).to_contain_text("ConnectionError: attempt 4", use_inner_text=False)
    card.locator('[data-action="requeue"]').click()
    expect(card).to_have_attribute("data-status", "finished", timeout=WAIT)
    expect(card).to_contain_text("succeeded on attempt 5")
    page.reload()  # the deck may reload its iframe: the job comes back with its result
    expect(page.locator("#jobs .job").first).to_contain_text("succeeded on attempt 5", timeout=WAIT)

    audience = open_demo(new_page(), server, "retries")
    audience.select_option("#fail-times", "4")
    audience.click("#submit")
    expect(audience.locator("#jobs .job").first).to_have_attribute("data-status", "failed", timeout=WAIT)
    expect(audience.locator('[data-action="requeue"]')).to_have_count(0)
    assert page.script_errors == [] and audience.script_errors == []


def test_schedule_counts_down_and_the_cron_tick_recurs(new_page, serve):
    server = serve(workers=1, env={"DEMO_TICK_INTERVAL": "2"})
    page = open_demo(new_page(), server, "schedule")
    page.fill("#delay", "3")
    page.click("#enqueue-in")
    card = page.locator("#jobs .job").first
    expect(card.locator(".countdown")).to_have_text(re.compile(r"^in [0-3]\.\d s$"), timeout=WAIT)
    expect(card).to_have_attribute("data-status", "finished", timeout=WAIT)
    expect(card).to_contain_text("reminder: hello from the past")
    expect(page.locator("#cron-summary")).to_contain_text("tick every 2 s on default", timeout=WAIT)
    expect(page.locator('#ticks .job[data-status="finished"]').nth(1)).to_be_visible(timeout=WAIT)
    expect(page.locator("#cron-next")).to_have_text(re.compile(r"^(in \d\.\d s|now)$"))
    assert page.script_errors == []


def test_workers_runs_side_by_side_and_the_presenter_scales(new_page, serve):
    server = serve(workers=1)
    audience = open_demo(new_page(), server, "workers")
    expect(audience.locator("#run-form")).to_have_count(0)
    page = open_demo(new_page(), server, "workers", presenter=True)
    page.fill("#batch", "10")
    page.click("#run")
    legs = page.locator("#results .leg")
    expect(legs).to_have_count(4, timeout=WAIT)
    expect(page.locator('#results .leg[data-state="done"]')).to_have_count(4, timeout=90_000)
    for n in range(4):
        expect(legs.nth(n).locator(".rate")).to_have_text(re.compile(r"^\d+(\.\d)? jobs/s$"))
    # Each column says what it is, as the speaker says it; the pids wait behind "details".
    expect(legs.locator(".label")).to_have_text(["A: one forking worker", "B: one simple worker",
                                                 "C: 4 forking workers", "D: 16 threads in one process"])
    expect(legs.nth(0)).to_contain_text("10 processes ran them")
    expect(legs.nth(1)).to_contain_text("1 process ran them")
    expect(legs.nth(3)).to_contain_text("1 process ran them")
    expect(legs.nth(3).locator("details span")).not_to_be_visible()
    # The audience saw the same run, pushed live.
    expect(audience.locator('#results .leg[data-state="done"]')).to_have_count(4, timeout=WAIT)
    expect(audience.locator("#workers")).not_to_be_visible()  # worker names and pids: behind "details"

    page.fill("#scale-count", "2")
    page.click("#scale")
    expect(page.locator("#scale-message")).to_have_text("serve will keep 2 fork workers")
    page.click("#worker-details summary")
    expect(page.locator('#workers tr[data-worker^="omq.fork."]')).to_have_count(2, timeout=WAIT)
    assert page.script_errors == [] and audience.script_errors == []


def test_a_phone_sends_jobs_sees_them_run_and_hits_the_limit(new_page, serve):
    server = serve(workers=1, env={"DEMO_RATE_LIMIT": "3"})
    page = open_demo(new_page(**PHONE), server, "submit")
    nick = page.locator("#nick").text_content()
    assert re.fullmatch(r"\w+ \w+", nick)
    page.fill("#seconds", "1")
    page.click("#wait-form button[type=submit]")
    job = page.locator("#mine .job").first
    expect(job).to_have_attribute("data-status", "finished", timeout=WAIT)
    expect(job).to_contain_text("waited 1 s")
    expect(job.locator(".nick")).to_have_text(f"by {nick}")

    page.click("#tab-code")
    page.fill("#code", "<script>window.pwned = 1</script>")
    page.fill("#language", "html")
    page.click("#code-form button[type=submit]")
    expect(page.locator("#mine pre.hl").first).to_have_text("<script>window.pwned = 1</script>", timeout=WAIT)
    assert page.evaluate("window.pwned") is None

    page.click("#code-form button[type=submit]")
    expect(page.locator("#mine .job")).to_have_count(3)
    page.click("#code-form button[type=submit]")
    expect(page.locator("#message")).to_contain_text("slow down: at most 3 submissions per 60 s")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling

    page.reload()
    expect(page.locator("#mine .job")).to_have_count(3, timeout=WAIT)  # "your jobs" survive a reload
    assert page.script_errors == []
