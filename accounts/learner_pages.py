"""Pages kept per learner until what they show changes (issue 19).

A learner's dashboard and course home are drawn from a handful of queries over
their own records and the published content, and redrawn identical on most visits:
between two changes to their records, a learner goes back to them again and again.
`kept_learner_page` keeps such a page, in this process, under a key made of
everything it is drawn from:

- the view, the URL's path and the learner;
- the learner's **state version** (accounts.models.LearnerVersion), which database
  triggers move on every write to their records (accounts.learner_state), read
  first, before anything the page reads, so a write landing while the page is drawn
  leaves it under the older version, never the newer;
- what the view's `variant` adds (the content version, for courses' pages: every
  sync and admin edit of content changes it);
- the session's data (the header's organization links, the staff member's
  two-factor record), the active time zone and language (what `|date` writes).

A kept page is served for at most MAX_AGE, and never past the first moment at which
the clock alone changes it: code comparing a moment with the clock notes it
(core.horizon: a retake's cool-down ends, an open attempt closes, the site's day
ends); a page during whose drawing such a moment passed is not kept. A moment
nobody noted is shown at most MAX_AGE late; nothing is enforced by a page, so a
stale page can only offer a button the server then refuses.

Not kept: a staff member's pages (drafts, permissions and their second factor move
no learner's version), a URL with a query string (the pages read none), a page shown
with messages (or that queued some), anything but a 200 HTML response without
cookies of its own, a request with no content version (the shared cache is down) or
under DEBUG. The form tokens in a kept page are a stand-in
(the `csrf_stand_in` context processor) that each response replaces with the
request's own CSRF token. Each process keeps at most MAX_PAGES pages and MAX_BYTES
of them, the least recently served dropped first; a restart (a deploy) starts
empty.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from core import horizon
from core.kept import CSRF_STAND_IN

from .selectors import learner_version

MAX_AGE = timedelta(minutes=5)
# What one process keeps at most (the pages' bodies): 1,000 pages, 32 MiB.
MAX_PAGES = 1000
MAX_BYTES = 32 * 1024 * 1024

# Set on the request while a page that may be kept is drawn (csrf_stand_in).
_DRAWING = "_learner_page_drawing"


class _Kept(NamedTuple):
    content: bytes  # with CSRF_STAND_IN for the form tokens
    headers: tuple[tuple[str, str], ...]
    until: datetime


_pages: OrderedDict[str, _Kept] = OrderedDict()
_bytes = 0  # the kept bodies' total size
_lock = threading.Lock()


def csrf_stand_in(request: HttpRequest) -> dict:
    """Context processor (after Django's own): a page being drawn to be kept holds
    the stand-in where its forms hold the CSRF token."""
    if getattr(request, _DRAWING, False):
        return {"csrf_token": CSRF_STAND_IN}
    return {}


def _key(request: HttpRequest, view: Callable, variant: Hashable) -> str:
    parts = [
        f"{view.__module__}.{view.__qualname__}",
        request.path,
        request.user.pk,
        _version(request.user),
        variant,
        sorted(request.session.items()),
        timezone.get_current_timezone_name(),
        translation.get_language(),
    ]
    text = json.dumps(parts, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _version(user) -> int:
    """The learner's state version as read with the request's user (at the start
    of the request: accounts.models.UserManager.get), else read now."""
    version = getattr(user, "state_version", None)
    return learner_version(user_id=user.pk) if version is None else version


def _served(kept: _Kept, request: HttpRequest) -> HttpResponse:
    token = get_token(request).encode()
    response = HttpResponse(kept.content.replace(CSRF_STAND_IN.encode(), token))
    for name, value in kept.headers:
        response[name] = value
    return response


def _keepable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
    )


def _keepable_request(request: HttpRequest) -> bool:
    user = request.user
    return not (
        settings.DEBUG
        or request.method not in ("GET", "HEAD")
        or request.GET  # the pages read none: a query string is not kept
        or not user.is_authenticated
        # Staff see drafts and act by permissions and their second factor, none
        # of which moves a learner's version: their pages are drawn each time.
        or user.is_staff
        or user.is_superuser
        or len(get_messages(request))  # shown once: drawn afresh
    )


def _with_token(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """A response drawn to be kept but not kept, with the request's token."""
    if CSRF_STAND_IN.encode() in getattr(response, "content", b""):
        response.content = response.content.replace(
            CSRF_STAND_IN.encode(), get_token(request).encode()
        )
    return response


def kept_learner_page(variant: Callable[[HttpRequest], Hashable | None]):
    """Keeps the view's page per learner (module docstring). `variant(request)` is
    what else the page is drawn from (hashable, JSON-writable); None: not kept."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _keepable_request(request):
                return view(request, *args, **kwargs)
            extra = variant(request)
            if extra is None:
                return view(request, *args, **kwargs)
            key = _key(request, view, extra)
            now = timezone.now()
            with _lock:
                kept = _pages.get(key)
                if kept is not None and kept.until > now:
                    _pages.move_to_end(key)
                    return _served(kept, request)
            setattr(request, _DRAWING, True)
            try:
                with horizon.watching() as seen:
                    response = view(request, *args, **kwargs)
                    if hasattr(response, "render"):
                        response.render()
            finally:
                setattr(request, _DRAWING, False)
            if not _keepable(response) or len(get_messages(request)):
                return _with_token(response, request)
            until = now + MAX_AGE
            if seen.until is not None:
                until = min(until, seen.until)
            if until <= timezone.now():  # a moment passed while it was drawn
                return _with_token(response, request)
            kept = _Kept(
                content=response.content,
                headers=tuple(
                    (name, value)
                    for name, value in response.items()
                    if name.lower() != "content-length"
                ),
                until=until,
            )
            _keep(key, kept)
            return _served(kept, request)

        return wrapped

    return decorator


def _keep(key: str, kept: _Kept) -> None:
    """Keeps `kept`, dropping the least recently served pages beyond MAX_PAGES or
    MAX_BYTES."""
    global _bytes
    with _lock:
        replaced = _pages.pop(key, None)
        if replaced is not None:
            _bytes -= len(replaced.content)
        _pages[key] = kept
        _bytes += len(kept.content)
        while len(_pages) > MAX_PAGES or (_bytes > MAX_BYTES and len(_pages) > 1):
            _, dropped = _pages.popitem(last=False)
            _bytes -= len(dropped.content)


def forget() -> None:
    """Drops every kept page of this process (tests)."""
    global _bytes
    with _lock:
        _pages.clear()
        _bytes = 0


def _setting_changed(**kwargs) -> None:
    forget()  # tests that override templates, DEBUG or URLs


setting_changed.connect(_setting_changed, dispatch_uid="accounts.learner_pages.forget")
