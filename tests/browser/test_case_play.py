"""Playing a case simulation in a browser: an ACLS case to its debrief on a phone with
the keyboard alone; the page redrawn after an action is the page the server draws;
the same case without JavaScript (a form post per action); the monitor's strip
sweeping (and still for reduced motion); the AED's screen in a lay case; choices
opened in place; an out-of-date tab told so. Screenshots of the monitor and the
debrief land in test-artifacts/screenshots/ (docs/screenshots/ keeps the README's).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cases.models import CaseAttempt
from tests.browser.cases import (
    Cases,
    action_form,
    add_cases,
    failing_steps,
    ideal,
    keyboard_act,
    keyboard_focus,
    played,
    tap_act,
)
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def cases(curriculum) -> Cases:
    return add_cases(curriculum)


def _player_page(new_context, cases: Cases, live_server, **options) -> Page:
    context = new_context(**options)
    sign_in(context, cases.player, live_server.url)
    return context.new_page()


def _start(page: Page, case) -> None:
    page.goto(case.get_absolute_url())
    page.get_by_role("button", name="Start the case").click()
    expect(page.locator("#case-play")).to_be_visible()


def _monitor_in_view(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const box = document.getElementById("case-monitor").getBoundingClientRect();
          return {top: box.top, bottom: box.bottom, height: innerHeight};
        }"""
    )


def _page_state(page: Page) -> dict:
    """What the learner sees of the case: the monitor, the scene and the log, as
    text, plus the strip's address and the place every form posts from."""
    return page.evaluate(
        """() => ({
          monitor: document.getElementById("case-monitor").innerText,
          scene: document.getElementById("case-narrative").innerText,
          log: [...document.querySelectorAll("#case-log li")].map((li) => li.innerText),
          strip: [...document.querySelectorAll("#monitor-trace img")].map(
            (img) => img.getAttribute("src")),
          screen: document.getElementById("monitor-screen")?.dataset.screen,
          seqs: [...new Set([...document.querySelectorAll(
            "form.case-act input[name=expected_seq]")].map((i) => i.value))],
        })"""
    )


def test_an_acls_case_is_played_to_its_debrief_with_the_keyboard_alone_on_a_phone(
    new_context, cases: Cases, live_server
):
    page = _player_page(new_context, cases, live_server, phone=True)
    page.goto(cases.acls.get_absolute_url())
    keyboard_focus(page, page.get_by_role("button", name="Start the case"))
    page.keyboard.press("Enter")
    expect(page.locator("#case-play")).to_be_visible()
    # On a phone the action groups start folded; the page is never reloaded.
    expect(page.locator("details.case-group")).not_to_have_count(0)
    expect(page.locator("details.case-group[open]")).to_have_count(0)
    page.evaluate("window.sameDocument = true")

    for number, step in enumerate(ideal(cases.acls), start=1):
        keyboard_act(page, step)
        # The monitor stays at the top of the screen, compact, wherever the action is
        # (waited for: the page may still be scrolling the action into view).
        try:
            page.wait_for_function(
                """() => {
                  const box = document.getElementById("case-monitor")
                    .getBoundingClientRect();
                  return box.top <= 1 && box.bottom - box.top < innerHeight * 0.4;
                }""",
                timeout=5000,
            )
        except PlaywrightTimeout:
            raise AssertionError((step, _monitor_in_view(page))) from None
        if number == 6:  # the first shock: the monitor as the learner sees it
            screenshot(page, "case-monitor-acting", full_page=False)
        if page.locator("#case-ended").is_visible():
            break

    expect(page.locator("#case-ended")).to_be_visible()
    expect(page.locator("#case-debrief-link")).to_be_focused()
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#case-log li").last).to_contain_text("The case has ended")
    page.keyboard.press("Enter")
    expect(page.locator("#debrief-result")).to_have_attribute("data-passed", "true")
    attempt = CaseAttempt.objects.get(user=cases.player, case=cases.acls)
    assert attempt.passed is True
    assert attempt.ended_by == "rosc"


def test_the_page_redrawn_after_each_action_is_the_page_the_server_draws(
    page_for_player, cases: Cases
):
    page = page_for_player
    _start(page, cases.acls)
    page.evaluate("window.sameDocument = true")
    steps = ideal(cases.acls)
    checkpoints = {
        2: "off",  # the check done: nothing on the chest yet
        4: "artifact",  # pads on during compressions: compression artefact
        5: "strip",  # the rhythm check: the rhythm
        6: "strip",  # the shock
        14: "artifact",  # epinephrine given: its timer runs
    }
    for number, step in enumerate(steps[: max(checkpoints)], start=1):
        tap_act(page, step)
        if number not in checkpoints:
            continue
        drawn = _page_state(page)
        assert drawn["screen"] == checkpoints[number], (step, drawn)
        assert page.evaluate("window.sameDocument") is True
        page.reload()
        served = _page_state(page)
        assert drawn == served, step
        page.evaluate("window.sameDocument = true")
    expect(page.locator("#case-epi-item")).to_be_visible()
    expect(page.locator("#vital-etco2")).to_have_text(re.compile(r"^14"))
    expect(page.locator("#status-access")).to_have_text("Access: IO")


@pytest.fixture
def page_for_player(new_context, cases: Cases, live_server) -> Page:
    return _player_page(new_context, cases, live_server)


def test_without_javascript_every_action_is_a_form_post_and_the_case_still_runs(
    new_context, cases: Cases, live_server
):
    page = _player_page(new_context, cases, live_server, java_script_enabled=False)
    _start(page, cases.acls)
    # The choices are in the page, open; no button to open them (that needs script).
    expect(page.locator(".case-choices-toggle").first).to_be_hidden()
    expect(
        action_form(page, "shock").locator("input[type=radio]").first
    ).to_be_visible()
    play_url = page.url
    for step in ideal(cases.acls)[:6]:
        with page.expect_navigation():
            tap_act(page, step)
        assert page.url == play_url  # post, redirect, get
    expect(page.locator("#case-log li").last).to_contain_text(
        "Shock delivered at 200 J"
    )
    expect(page.locator("#monitor-trace img").first).to_have_attribute(
        "src", re.compile(r"^/courses/acls/images/ecg/monitor/m-10\.svg$")
    )
    attempt = CaseAttempt.objects.get(user=cases.player, case=cases.acls)
    assert attempt.state["done"]["shock"] == 1


def test_the_strip_sweeps_at_its_own_speed_and_stands_still_for_reduced_motion(
    new_context, cases: Cases, live_server
):
    played(cases.player, cases.acls, ideal(cases.acls)[:5])
    attempt = CaseAttempt.objects.get(user=cases.player, case=cases.acls)
    page = _player_page(new_context, cases, live_server)
    page.goto(attempt.get_absolute_url())
    trace = page.locator("#monitor-trace")
    # Two copies side by side, each the screen's width; one loop of 6 s (m-10).
    sweep = page.evaluate(
        """() => {
          const trace = document.getElementById("monitor-trace");
          const [a, b] = trace.querySelectorAll("img");
          const screen = document.getElementById("monitor-screen").getBoundingClientRect();
          return {
            sweep: trace.style.getPropertyValue("--sweep"),
            animation: getComputedStyle(trace).animationName,
            same: a.getAttribute("src") === b.getAttribute("src"),
            joined: Math.abs(a.getBoundingClientRect().right - b.getBoundingClientRect().left),
            width: Math.abs(a.getBoundingClientRect().width - screen.width),
          };
        }"""
    )
    assert sweep["sweep"] == "6.00s"
    assert sweep["animation"] == "monitor-sweep"
    assert sweep["same"] is True
    assert sweep["joined"] < 0.5  # the copies meet edge to edge
    assert sweep["width"] < 2  # each as wide as the screen
    moved = trace.evaluate(
        """(trace) => new Promise((done) => {
          const x = () => new DOMMatrix(getComputedStyle(trace).transform).m41;
          const first = x();
          setTimeout(() => done(first - x()), 400);
        })"""
    )
    assert moved > 5, "the strip does not move"

    still = _player_page(new_context, cases, live_server, reduced_motion="reduce")
    still.goto(attempt.get_absolute_url())
    expect(still.locator("#monitor-trace img").first).to_be_visible()
    assert (
        still.locator("#monitor-trace").evaluate(
            "(t) => getComputedStyle(t).animationName"
        )
        == "none"
    )


def test_a_lay_case_shows_the_aeds_words_and_no_ecg(page_for_player, cases: Cases):
    page = page_for_player
    _start(page, cases.lay)
    expect(page.locator("#aed-prompt")).to_have_text("No AED on the patient yet.")
    for step in ideal(cases.lay)[:7]:
        tap_act(page, step)
    expect(page.locator("#aed-state")).to_have_text("AED: on, pads attached")
    expect(page.locator("#aed-prompt")).to_contain_text("Shock advised")
    expect(page.locator("#case-monitor img")).to_have_count(0)
    expect(page.locator("#monitor-screen")).to_have_count(0)
    expect(page.locator("#vital-hr")).to_have_count(0)
    screenshot(page, "case-aed", full_page=False)


def test_choices_open_in_place_and_close_with_escape_or_cancel(
    page_for_player, cases: Cases
):
    page = page_for_player
    _start(page, cases.acls)
    shock = action_form(page, "shock")
    toggle = shock.locator(".case-choices-toggle")
    expect(shock.locator(".case-choices")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(shock.get_by_label("120 J")).to_be_focused()  # the first, not chosen
    # Every energy is offered, none chosen for the learner.
    expect(shock.locator("input[type=radio]")).to_have_count(5)
    expect(shock.locator("input[type=radio]:checked")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    # Opening another closes the first; Cancel drops what was chosen.
    toggle.click()
    shock.get_by_label("300 J").check()
    cardioversion = action_form(page, "sync_cardioversion")
    cardioversion.locator(".case-choices-toggle").click()
    expect(shock.locator(".case-choices")).to_be_hidden()
    cardioversion.locator(".case-choices-cancel").click()
    expect(cardioversion.locator(".case-choices")).to_be_hidden()
    toggle.click()
    expect(shock.locator("input[type=radio]:checked")).to_have_count(1)
    shock.locator(".case-choices-cancel").click()
    toggle.click()
    expect(shock.locator("input[type=radio]:checked")).to_have_count(0)
    # Sending without a choice is stopped by the browser: nothing reaches the server.
    seq = page.locator("#case-play").get_attribute("data-expected-seq")
    shock.locator("button[type=submit]").click()
    expect(page.locator("#case-play")).to_have_attribute("data-expected-seq", seq)
    assert CaseAttempt.objects.get(case=cases.acls).event_count == int(seq)


def test_an_out_of_date_tab_says_so_and_catches_up(
    new_context, cases: Cases, live_server
):
    context = new_context()
    sign_in(context, cases.player, live_server.url)
    first = context.new_page()
    _start(first, cases.acls)
    second = context.new_page()
    second.goto(first.url)
    tap_act(first, {"do": "check_breathing_pulse"})
    seq = second.locator("#case-play").get_attribute("data-expected-seq")
    action_form(second, "call_help").locator("button").click()
    expect(second.locator("#case-error")).to_contain_text("out of date")
    expect(second.locator("#case-play")).not_to_have_attribute("data-expected-seq", seq)
    expect(second.locator("#case-log li").last).to_contain_text(
        "Breathing and pulse checked"
    )
    assert _page_state(first)["log"] == _page_state(second)["log"]


def test_screenshots_of_the_monitor_mid_arrest(new_context, cases: Cases, live_server):
    """The README's pictures of the monitor: mid-arrest on a desktop, and on a phone
    scrolled to the actions with the shock's choices open (the monitor stays on top)."""
    steps = ideal(cases.acls)
    epinephrine = next(
        i for i, s in enumerate(steps) if s["with"].get("drug") == "epinephrine"
    )
    # After epinephrine, the next rhythm check: the strip, PETCO2, both timers.
    attempt = played(cases.player, cases.acls, steps[: epinephrine + 3])
    desktop = _player_page(new_context, cases, live_server)
    desktop.goto(attempt.get_absolute_url())
    expect(desktop.locator("#monitor-trace img").first).to_be_visible()
    expect(desktop.locator("#case-epi-item")).to_be_visible()
    screenshot(desktop, "case-monitor", full_page=False)

    phone = _player_page(new_context, cases, live_server, phone=True)
    phone.goto(attempt.get_absolute_url())
    phone.locator("details[data-group=electrical] > summary").click()
    shock = action_form(phone, "shock")
    shock.locator(".case-choices-toggle").click()
    shock.locator("button[type=submit]").scroll_into_view_if_needed()
    where = _monitor_in_view(phone)
    assert where["top"] <= 1, where
    screenshot(phone, "case-monitor", full_page=False)


def test_a_failed_debrief_on_a_desktop_and_a_phone(
    new_context, cases: Cases, live_server
):
    attempt = played(cases.player, cases.acls, failing_steps(cases.acls))
    assert attempt.passed is False
    for options in ({}, {"phone": True}):
        page = _player_page(new_context, cases, live_server, **options)
        page.goto(f"/cases/attempts/{attempt.pk}/debrief/")
        expect(page.locator("#debrief-result")).to_have_attribute(
            "data-passed", "false"
        )
        # The lessons to review, never the findings themselves nor the expected
        # path: the same case comes back on the retake.
        expect(page.locator(".debrief-review a").first).to_have_text(
            "High-quality CPR in a code"
        )
        expect(page.locator("[data-findings]")).to_have_count(0)
        expect(page.locator("#timeline-expected")).to_have_count(0)
        expect(page.locator("#timeline-yours li").first).to_be_visible()
        expect(page.locator("#debrief-cpr-fraction meter")).to_be_visible()
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
        screenshot(page, "case-debrief-failed")


def test_a_passed_debrief_on_a_desktop_and_a_phone(
    new_context, cases: Cases, live_server
):
    attempt = played(cases.player, cases.acls, ideal(cases.acls))
    assert attempt.passed is True
    for options in ({}, {"phone": True}):
        page = _player_page(new_context, cases, live_server, **options)
        page.goto(f"/cases/attempts/{attempt.pk}/debrief/")
        expect(page.locator("#debrief-result")).to_have_attribute("data-passed", "true")
        expect(page.locator("#timeline-expected li").first).to_be_visible()
        expect(page.locator("#debrief-algorithm")).to_be_visible()
        columns = page.evaluate(
            """() => {
              const [a, b] = document.querySelectorAll(".debrief-timeline");
              return [a.getBoundingClientRect().top, b.getBoundingClientRect().top];
            }"""
        )
        if options:  # stacked on a phone
            assert columns[1] > columns[0]
        else:  # side by side on a desktop
            assert columns[1] == columns[0]
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
        screenshot(page, "case-debrief")


def test_the_monitor_sticks_on_a_phone_held_upright_only(
    new_context, cases: Cases, live_server
):
    """Upright, the phone's monitor stays on top; on a phone on its side, or a
    desktop zoomed to 200%, it would cover most of the screen, so it scrolls away."""
    attempt = played(cases.player, cases.acls, ideal(cases.acls)[:5])
    page = _player_page(new_context, cases, live_server, phone=True)
    page.goto(attempt.get_absolute_url())
    position = "(m) => getComputedStyle(m).position"
    assert page.locator("#case-monitor").evaluate(position) == "sticky"
    for width, height in ((667, 375), (640, 400)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.locator("#case-monitor").evaluate(position) == "static"
        assert_no_horizontal_scroll(page)
