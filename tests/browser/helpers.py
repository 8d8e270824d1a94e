"""What the browser tests do to pages and check on them: log in and out, answer an
exam, run axe-core, measure horizontal overflow, save screenshots."""

from __future__ import annotations

import re
import time
from pathlib import Path

from allauth.mfa import app_settings
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from exams.models import Attempt, AttemptQuestion
from tests.conftest import service_missing
from tests.factories import PASSWORD, STAFF_TOTP_SECRET, login_with_mfa, totp_code

# Written by every run, never committed (.gitignore); docs/screenshots/ holds the
# chosen few the README shows.
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# The page checkers, installed by `make test-tools` (package.json).
NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Saves the page (whole, or what the screen shows) as
    test-artifacts/screenshots/<name>-<desktop|phone>.png."""
    size = "phone" if page.viewport_size["width"] < 600 else "desktop"
    path = SCREENSHOTS / f"{name}-{size}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=full_page, animations="disabled")
    return path


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html']}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"      {summary}")
    return "\n".join(lines)


def axe_source() -> str:
    """axe-core's script from node_modules (skips, or fails under
    REQUIRE_SERVICES=1, when `make test-tools` has not installed it)."""
    if not AXE_SCRIPT.exists():
        service_missing(
            f"axe-core is not installed ({AXE_SCRIPT}): run make test-tools"
        )
    return AXE_SCRIPT.read_text()


def assert_accessible(page: Page) -> None:
    """axe-core (its default rules: WCAG 2.x A/AA and best practices) finds no
    violation at all, whatever its impact, on the page as it is now.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern (the page itself allows no inline script).
    """
    page.evaluate(axe_source())
    violations = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    assert not violations, (
        f"axe-core found {len(violations)} violation(s) on {page.url}:\n"
        f"{_describe(violations)}"
    )


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width: nothing to scroll sideways."""
    widths = page.evaluate(
        """() => {
          const root = document.scrollingElement;
          // Inside a scrolling box (a wide table in .table-wrap) overflow is fine,
          // unless the element is positioned out of that box.
          const contained = (el) => {
            if (["absolute", "fixed"].includes(getComputedStyle(el).position)) {
              return false;
            }
            for (let up = el.parentElement; up && up !== root; up = up.parentElement) {
              if (getComputedStyle(up).overflowX !== "visible") return true;
            }
            return false;
          };
          const culprits = [...document.body.querySelectorAll("*")]
            .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
            .filter((el) => !contained(el))
            .reverse()
            .slice(0, 5)
            .map((el) => {
              const right = Math.round(el.getBoundingClientRect().right);
              return `right edge ${right}px: ${el.outerHTML.slice(0, 160)}`;
            });
          return {scroll: root.scrollWidth, client: root.clientWidth, culprits};
        }"""
    )
    assert widths["scroll"] <= widths["client"], (
        f"{page.url} scrolls sideways at {widths['client']}px wide: content is "
        f"{widths['scroll']}px. Innermost elements past the edge:\n"
        + "\n".join(widths["culprits"])
    )


def open_menu(page: Page) -> None:
    """Opens the header's menu where it is folded away (a phone), so its links and
    the "Log out" button can be used; on a wide screen they are always shown."""
    page.wait_for_load_state()
    folded = page.evaluate(
        """() => {
          const menu = document.querySelector("details.site-menu");
          const summary = menu.querySelector("summary");
          return !menu.open && getComputedStyle(summary).display !== "none";
        }"""
    )
    if folded:
        page.locator("details.site-menu > summary").click()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Signs in through the log-in page, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role(
        "button", name=re.compile(r"^(sign in|log in)$", re.IGNORECASE)
    ).click()
    # Staff (tests.factories.StaffFactory) are asked for their authenticator code.
    code = page.locator("input[name=code]")
    logout_form = page.locator("details.site-menu form.nav-form")
    expect(logout_form.or_(code).first).to_be_attached()
    if code.is_visible():
        # A code is refused when the 30-second step turned while it was typed, or
        # when it was already used in this step (allauth refuses a replay): then
        # the next step's code, as a person would wait for it.
        for attempt in range(2):
            if attempt:
                step = app_settings.TOTP_PERIOD
                time.sleep(step - time.time() % step + 0.5)
            code.fill(totp_code(STAFF_TOTP_SECRET))
            page.get_by_role(
                "button", name=re.compile(r"^(sign in|log in)$", re.IGNORECASE)
            ).click()
            expect(
                logout_form.or_(page.get_by_text("Incorrect code.")).first
            ).to_be_attached()
            if not code.is_visible():
                break
    open_menu(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def sign_in(context: BrowserContext, user, base_url: str) -> None:
    """Gives the context a signed-in session for `user`, as logging in would. For
    tests about a page, not about logging in (the journeys log in through the page)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": base_url,
                "httpOnly": True,
                "secure": settings.SESSION_COOKIE_SECURE,
                "sameSite": "Lax",
            }
        ]
    )


def sign_in_staff(context: BrowserContext, user, base_url: str) -> None:
    """Gives the context a staff session that passed two-factor (the admin and the
    other staff pages need it), as logging in with a code would."""
    client = Client()
    login_with_mfa(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": base_url,
                "httpOnly": True,
                "secure": settings.SESSION_COOKIE_SECURE,
                "sameSite": "Lax",
            }
        ]
    )


def log_out(page: Page) -> None:
    """Signs out with the header's button."""
    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()


def open_attempt(page: Page) -> Attempt:
    """The attempt whose page is open (its id is in the URL), once the page's
    scripts have run (deferred scripts run before DOMContentLoaded): a choice made
    before exam.js listens would not be saved as it is made."""
    page.wait_for_load_state("domcontentloaded")
    match = re.search(r"/exams/attempts/(\d+)/", page.url)
    assert match, f"not on an exam attempt page: {page.url}"
    return Attempt.objects.get(pk=int(match.group(1)))


def choice_texts(item: AttemptQuestion, *, correct: bool) -> list[str]:
    """The presented choices of a question, right or wrong ones, read on the server
    from what the attempt stored (the page never says which is right)."""
    return [choice["text"] for choice in item.choices if choice["correct"] is correct]


def wait_for_autosave(page: Page) -> None:
    """Waits until the exam page has saved every answer chosen so far.

    exam.js saves each answer as it is chosen. The live server's in-memory SQLite
    database refuses a second writer ("table is locked") where PostgreSQL or an
    SQLite file would wait, so a test lets the saving finish before it submits.
    """
    expect(page.locator("[data-autosave-status]")).to_contain_text("Answers saved")


def answer_exam(page: Page, *, right: int | None = None) -> Attempt:
    """Answers the open exam by clicking choice labels: the first `right` questions
    correctly (all when None), the others wrongly; returns once every answer is
    saved. Returns the attempt."""
    attempt = open_attempt(page)
    items = list(attempt.items.order_by("position"))
    right = len(items) if right is None else right
    for index, item in enumerate(items):
        text = choice_texts(item, correct=index < right)[0]
        question = page.locator(f"#question-{item.position}")
        question.get_by_text(text, exact=True).click()
        expect(question.get_by_label(text, exact=True)).to_be_checked()
    wait_for_autosave(page)
    return attempt
