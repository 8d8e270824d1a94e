"""Browser tests: Playwright's sync API driving Debian's Chromium against the site
served by pytest-django's live server (in this process, in a thread; Celery eager).

One Chromium per run, started by the first browser test and stopped after the last;
every test gets fresh contexts (own cookies and storage), so no login leaks between
tests. Chromium missing: the tests skip, or fail under REQUIRE_SERVICES=1 (the
`chromium_path` fixture). Nothing here downloads a browser.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

from tests.browser.curriculum import Curriculum, build_curriculum

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Generous for a cold start on a busy CI machine; a healthy page answers in well under
# a second. Applies to actions (click, fill) and to expect() alike.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


class _ChromiumPool:
    """The one Chromium of the run, started on first use.

    Playwright's sync API keeps an asyncio loop running in the test thread while it is
    started, and Django refuses ORM calls inside a running loop. Nothing here is async
    (tests build data and read what the site stored between browser actions, with
    plain blocking calls), so Django's check is relaxed exactly while the loop runs:
    from the first browser test until the pool closes after the last one.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self, executable_path: str) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            self.close()
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=executable_path, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


_pool = _ChromiumPool()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    result = yield
    # After the last browser test, stop Chromium and Playwright's event loop: the rest
    # of the suite runs as if no browser test had run.
    if nextitem is None or nextitem.get_closest_marker("browser") is None:
        _pool.close()
    return result


@pytest.fixture
def browser(chromium_path: str) -> Browser:
    return _pool.get(chromium_path)


@dataclass
class PageProblems:
    """What went wrong behind the pages: server errors (5xx), uncaught script errors
    and anything the Content-Security-Policy blocked (inline script or style, a
    foreign host)."""

    messages: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            where = message.page.url if message.page else message.location["url"]
            self.messages.append(f"CSP blocked something on {where}: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.messages.append(f"script error: {error}")

    def on_response(self, response: Response) -> None:
        if response.status >= 500:
            request = response.request
            self.messages.append(
                f"server error: {response.status} for {request.method} {request.url}"
            )


@pytest.fixture
def new_context(
    browser: Browser, live_server
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens a fresh browser context on the live server (`phone=True`: 375x667 touch
    screen). The test fails if any of its pages got a server error, hit a script
    error or had something blocked by the Content-Security-Policy."""
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    def open_context(*, phone: bool = False, **options) -> BrowserContext:
        # A test may choose its own zone (timezone_id) or size.
        context = browser.new_context(
            **{
                "base_url": live_server.url,
                "accept_downloads": True,
                "locale": "en-US",
                "timezone_id": "UTC",
                **(PHONE if phone else DESKTOP),
                **options,
            }
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", problems.on_console)
        context.on(
            "weberror", lambda web_error: problems.on_page_error(web_error.error)
        )
        context.on("response", problems.on_response)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not problems.messages, "\n".join(problems.messages)


@pytest.fixture
def page(new_context) -> Page:
    """A desktop-sized page (1280x800) in a fresh context."""
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context) -> Page:
    """A phone-sized page (375x667, touch) in a fresh context."""
    return new_context(phone=True).new_page()


@pytest.fixture
def curriculum(transactional_db) -> Curriculum:
    """CPR/AED, BLS and ACLS (ACLS requires BLS), with BLS's exams."""
    return build_curriculum()
