"""Case simulations for the browser tests: the engine's sample cases
(tests/cases/fixtures) as cases of the browser curriculum, the lessons their debriefs
link to, a learner who may play them, and the moves a person makes on the play page
(with the keyboard alone, or a finger).

ACLS gets "ed-collapse" (VF, three shocks, epinephrine and amiodarone, ROSC: a
monitor with a strip), CPR/AED gets "mall-collapse" (a lay rescuer and a public AED:
the AED's screen instead of an ECG). Their rule map sends every generic rule to one
lesson of the course, as a course's cases/rules.yaml does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import Profession, User
from cases import services
from cases.engine.rules import rules_for
from cases.models import Case, CaseAttempt, CaseRules
from core.strict_yaml import without_lines
from courses.models import Course, CourseImage, Enrollment, Lesson
from courses.services import lesson_open
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.cases.engine_helpers import load

# (course attribute, module slug, [(lesson slug, title)]): the lessons the sample
# cases and the rule map name, beside those the browser curriculum has.
CASE_LESSONS = [
    (
        "acls",
        "arrest-care",
        [
            ("arrest-drugs", "Drugs in cardiac arrest"),
            ("arrest-airway", "The airway in cardiac arrest"),
            ("high-quality-cpr", "High-quality CPR in a code"),
        ],
    ),
    (
        "cpr",
        "cpr-and-aed",
        [
            ("adult-compressions", "Chest compressions"),
            ("using-an-aed", "Using a public-access AED"),
        ],
    ),
]
RULE_LESSON = {"acls": "high-quality-cpr", "cpr": "adult-compressions"}
CASE_OF = {"acls": "ed-collapse", "cpr": "mall-collapse"}


@dataclass
class Cases:
    player: User
    acls: Case
    lay: Case


def _case(course: Course, name: str, *, required: bool) -> Case:
    """A case row as the content sync writes it, from a sample case file."""
    data = without_lines(load(name))
    return Case.objects.create(
        course=course,
        slug=name,
        title=data["title"],
        order=data.get("order", 0),
        toolkit=data["toolkit"],
        summary=data.get("summary", ""),
        patient=data.get("patient", ""),
        algorithm=data.get("algorithm", ""),
        is_required=required,
        definition=data,
    )


def _strips(course: Course, case: Case) -> None:
    """The monitor strips the case names, as the content sync stores course images
    (from content/acls/images/ecg/monitor/, drawn by scripts/draw_ecg.py)."""
    paths = {
        scene["strip"]
        for scene in case.definition["states"].values()
        if scene.get("strip")
    }
    for path in sorted(paths):
        data = (Path(settings.CONTENT_DIR) / "acls" / path).read_bytes()
        CourseImage.objects.create(
            course=course,
            path=path,
            content_type="image/svg+xml",
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
        )


def add_cases(curriculum: Curriculum) -> Cases:
    """The sample cases in ACLS (required) and CPR/AED (practice), their lessons,
    rule maps and monitor strips, and Jordan, a paramedic holding BLS, enrolled in
    both courses."""
    for attribute, module_slug, lessons in CASE_LESSONS:
        course = getattr(curriculum, attribute)
        module = factories.ModuleFactory(
            course=course, slug=module_slug, title="Care in a code", order=5
        )
        for order, (slug, title) in enumerate(lessons, start=1):
            factories.LessonFactory(
                module=module,
                slug=slug,
                title=title,
                order=order,
                body_md=f"{title}: the steps, in order.",
            )
        CaseRules.objects.create(
            course=course,
            lessons=dict.fromkeys(
                rules_for(["acls", "bls", "lay"], team=True), RULE_LESSON[attribute]
            ),
        )
    # A time zone saved already: no page posts it (timezone.js) while the player
    # acts, which the live server's in-memory SQLite could refuse ("table is locked").
    player = factories.UserFactory(
        email="jordan.lee@example.org",
        legal_name="Jordan Lee",
        profession=Profession.PARAMEDIC,
        time_zone="America/Chicago",
    )
    factories.CertificateFactory(
        enrollment=factories.EnrollmentFactory(
            user=player,
            course=curriculum.bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        )
    )
    factories.EnrollmentFactory(user=player, course=curriculum.acls)
    factories.EnrollmentFactory(user=player, course=curriculum.cpr)
    acls = _case(curriculum.acls, CASE_OF["acls"], required=True)
    _strips(curriculum.acls, acls)
    return Cases(
        player=player,
        acls=acls,
        lay=_case(curriculum.cpr, CASE_OF["cpr"], required=False),
    )


def ideal(case: Case) -> list[dict]:
    """The case's expected path: [{do, with}] as its file writes it."""
    return [
        {"do": step["do"], "with": dict(step.get("with") or {})}
        for step in case.definition["ideal"]
    ]


def played(user: User, case: Case, steps: list[dict]) -> CaseAttempt:
    """An attempt of `case` by `user` with `steps` done through the services (as
    the play page's posts do), for pages that show an attempt part-way or ended."""
    attempt, _ = services.case_attempt_start(user=user, case=case)
    for step in steps:
        attempt.refresh_from_db()
        if not attempt.is_open:
            break
        services.case_attempt_act(
            attempt_id=attempt.pk,
            user=user,
            code=step["do"],
            params={k: str(v) for k, v in (step.get("with") or {}).items()},
            expected_seq=attempt.event_count,
        )
    attempt.refresh_from_db()
    return attempt


def failing_steps(case: Case) -> list[dict]:
    """The ACLS sample's expected path done as a hurried team would: no roles
    assigned (a deviation), epinephrine straight after the first shock (a critical
    error) and none after (epinephrine overdue, another). ROSC all the same, with a
    CPR fraction around 90%: a debrief with something in every section."""
    steps = ideal(case)[1:]
    first_epi = next(
        i for i, s in enumerate(steps) if s["with"].get("drug") == "epinephrine"
    )
    epinephrine = steps.pop(first_epi)
    access = next(i for i, s in enumerate(steps) if s["do"] == "io_access")
    steps.insert(access + 1, epinephrine)
    return steps


@dataclass
class CaseRecords:
    """Jordan's case attempts, for the page checks: an ACLS attempt that did not
    pass (its debrief), the lessons it linked opened since, and a second one in
    progress with the rhythm on the monitor; a lay attempt in progress where the AED
    has just advised a shock."""

    cases: Cases
    failed: CaseAttempt
    in_progress: CaseAttempt
    aed: CaseAttempt


def case_records(curriculum: Curriculum) -> CaseRecords:
    cases = add_cases(curriculum)
    player = cases.player
    failed = played(player, cases.acls, failing_steps(cases.acls))
    assert failed.passed is False, failed.findings
    enrollment = Enrollment.objects.get(user=player, course=curriculum.acls)
    for slug in {f["lesson"] for f in failed.findings if f.get("lesson")}:
        lesson_open(
            enrollment=enrollment,
            lesson=Lesson.objects.get(course=curriculum.acls, slug=slug),
        )
    # Roles, the check, compressions, pads on, the rhythm check: the strip shows.
    in_progress = played(player, cases.acls, ideal(cases.acls)[:5])
    # ... to the AED's analysis: "Shock advised".
    aed = played(player, cases.lay, ideal(cases.lay)[:7])
    return CaseRecords(cases=cases, failed=failed, in_progress=in_progress, aed=aed)


# --- On the page ---------------------------------------------------------------------


def action_form(page: Page, code: str) -> Locator:
    return page.locator(f"form.case-act[data-action='{code}']")


def wait_for_answer(page: Page, seq_before: str) -> None:
    """Waits until the page shows the server's answer to the action just sent: the
    log moved on (a new expected_seq) or the case ended."""
    moved = page.locator(f"#case-play:not([data-expected-seq='{seq_before}'])")
    expect(moved.or_(page.locator("#case-ended:not([hidden])")).first).to_be_attached()


def keyboard_focus(page: Page, target: Locator, *, limit: int = 400) -> None:
    """Moves keyboard focus to `target` with Tab (or Shift+Tab when it is above the
    focus), as a person would; fails if it cannot get there. Each stop on the way
    must be clear of the sticky monitor (WCAG 2.4.11, focus not obscured)."""
    handle = target.element_handle()
    for _ in range(limit):
        where = page.evaluate(
            """(el) => {
              const active = document.activeElement;
              if (active === el) return "here";
              if (!active || active === document.body) return "after";
              return active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING
                ? "after" : "before";
            }""",
            handle,
        )
        if where == "here":
            # The page scrolls smoothly to the focus: judge once it has settled.
            obscured = page.evaluate(
                """(el) => new Promise((done) => {
                  let last = null, still = 0;
                  const settle = () => {
                    const now = scrollY;
                    still = now === last ? still + 1 : 0;
                    last = now;
                    if (still < 5) return requestAnimationFrame(settle);
                    const monitor = document.getElementById("case-monitor");
                    if (!monitor || getComputedStyle(monitor).position !== "sticky"
                        || el.closest("#case-monitor")) return done("");
                    const box = el.getBoundingClientRect();
                    const bar = monitor.getBoundingClientRect();
                    done(bar.top <= 1 && box.top < bar.bottom - 1
                      ? el.outerHTML.slice(0, 120) : "");
                  };
                  settle();
                })""",
                handle,
            )
            assert not obscured, f"focus hidden under the sticky monitor: {obscured}"
            return
        page.keyboard.press("Tab" if where == "after" else "Shift+Tab")
    raise AssertionError(f"Tab never reached {target}")


def keyboard_choose_radio(page: Page, form: Locator, name: str, value: str) -> None:
    """Tabs into a radio group and moves with the arrow keys to `value` (an arrow
    key checks the radio it moves to; Space checks the first)."""
    radios = form.locator(f"input[type=radio][name='{name}']")
    keyboard_focus(page, radios.first)
    if radios.first.get_attribute("value") == value:
        page.keyboard.press("Space")
    for _ in range(radios.count()):
        checked = form.locator(f"input[type=radio][name='{name}']:checked")
        if checked.count() and checked.get_attribute("value") == value:
            return
        page.keyboard.press("ArrowDown")
    expect(form.locator(f"input[name='{name}'][value='{value}']")).to_be_checked()


def keyboard_choose_option(page: Page, select: Locator, value: str) -> None:
    """Focuses a closed <select> and moves through its options with ArrowDown."""
    keyboard_focus(page, select)
    for _ in range(200):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {value!r} in {select}")


def keyboard_act(page: Page, step: dict) -> None:
    """Does one action with the keyboard alone: opens its group (a folded <details>
    on a phone), opens its choices with its button, picks each one, sends it, and
    waits for the page to show the answer."""
    code = step["do"]
    params = {k: str(v) for k, v in (step.get("with") or {}).items()}
    form = action_form(page, code)
    group = form.locator("xpath=ancestor::details[1]")
    if not group.evaluate("(details) => details.open"):
        keyboard_focus(page, group.locator("summary"))
        page.keyboard.press("Enter")
        expect(group).to_have_attribute("open", "")
    seq = page.locator("#case-play").get_attribute("data-expected-seq")
    toggle = form.locator(".case-choices-toggle")
    if toggle.count():
        keyboard_focus(page, toggle)
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        if code == "drug":
            keyboard_choose_option(
                page,
                form.locator("select"),
                f"{params.pop('drug')}:{params.pop('dose')}",
            )
        for name, value in params.items():
            keyboard_choose_radio(page, form, f"{code}.{name}", value)
        keyboard_focus(page, form.locator("button[type=submit]"))
        page.keyboard.press("Enter")
    else:
        keyboard_focus(page, form.locator("button[type=submit]"))
        page.keyboard.press("Space")
    wait_for_answer(page, seq)


def tap_act(page: Page, step: dict) -> None:
    """Does one action with a click or tap, as keyboard_act does with keys."""
    code = step["do"]
    params = {k: str(v) for k, v in (step.get("with") or {}).items()}
    form = action_form(page, code)
    group = form.locator("xpath=ancestor::details[1]")
    if not group.evaluate("(details) => details.open"):
        group.locator("summary").click()
    seq = page.locator("#case-play").get_attribute("data-expected-seq")
    toggle = form.locator(".case-choices-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()
    if code == "drug":
        form.locator("select").select_option(
            f"{params.pop('drug')}:{params.pop('dose')}"
        )
    for name, value in params.items():
        form.locator(f"input[name='{code}.{name}'][value='{value}']").check()
    form.locator("button[type=submit]").click()
    # With script the page redraws itself; without, the post reloads it: either way
    # it ends up showing the answer.
    wait_for_answer(page, seq)
