"""The curriculum as the learner pages read it, built once per content version and
kept in each process (issue 19).

Courses, modules, lessons (and, through `content_cached`, the exams and case
simulations of the apps above) change only when content is synced or edited in the
admin, yet every page used to read them again. Here they are read once per
**content version** and kept in process memory:

- The version is a random token in the shared cache (Redis in production: every
  process sees the same one; `check --deploy` refuses a per-process cache). A
  request reads it once (`content_version_middleware` keeps it for the request);
  outside a request every call reads it.
- Every write of content bumps it (`content_version_bump`): the signals below for
  saves and deletes of any `SyncedContent` row, of bundle items and of course
  prerequisites (the admin), and explicit calls where content is written in bulk
  (which sends no signal): `content_sync`, publishing from the admin's actions,
  (de)activating exams and questions. A bump writes a new token at once and again
  when the transaction commits, so a process that rebuilt from the rows as they
  were before the commit rebuilds once more on its next request: no request that
  starts after an edit is answered sees the outline as it was before it.
- A missing token (the cache was flushed or evicted it) is replaced by a new one,
  which only makes every process rebuild. When the cache cannot be read, nothing is
  cached: each call builds afresh. An entry is also rebuilt after MAX_AGE, a last
  safety net should a token write after a commit ever be lost.

What is cached are model instances with their related rows set: they are shared by
every request of the process and must be treated as read-only.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "courses:content-version"
# Seconds an outline is kept even when the version has not moved (see above).
MAX_AGE = 300


class _RequestVersion:
    """The content version as the current request read it (read once, lazily)."""

    __slots__ = ("version",)

    def __init__(self) -> None:
        self.version: str | None = None


_request: ContextVar[_RequestVersion | None] = ContextVar(
    "content_version_request", default=None
)
# name -> (version, built at (monotonic), value): one entry per name, per process.
_store: dict[str, tuple[str, float, object]] = {}


def _read_version() -> str | None:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        logger.exception("The content version could not be read: nothing is cached.")
        return None
    return version


def content_version() -> str | None:
    """The current content version: read once per request (from the shared cache),
    at every call outside one; None when the cache cannot be read."""
    slot = _request.get()
    if slot is None:
        return _read_version()
    if slot.version is None:
        slot.version = _read_version()
    return slot.version


def _write_new_version() -> None:
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:
        logger.exception("The content version could not be bumped.")
    slot = _request.get()
    if slot is not None:
        slot.version = None  # read again: this request sees its own edit


def content_version_bump() -> None:
    """Marks every process's outline out of date: now, and again when the current
    transaction commits (if there is one)."""
    _write_new_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_write_new_version)


def content_cached[T](name: str, build: Callable[[], T]) -> T:
    """`build()`, kept in this process until the content version changes (or for
    MAX_AGE seconds). `name` names what is built ("courses:outline",
    "exams:by-course"); `build` must read only content, never a learner's rows."""
    version = content_version()
    if version is None:
        return build()
    entry = _store.get(name)
    now = time.monotonic()
    if entry is not None and entry[0] == version and now - entry[1] < MAX_AGE:
        return entry[2]  # type: ignore[return-value]
    value = build()
    _store[name] = (version, now, value)
    return value


def content_version_middleware(get_response):
    """Lets a request read the content version once, however many selectors ask."""

    def middleware(request):
        token = _request.set(_RequestVersion())
        try:
            return get_response(request)
        finally:
            _request.reset(token)

    return middleware


def _content_changed(sender, **kwargs) -> None:
    from .models import BundleCourse, Course, SyncedContent

    if (
        issubclass(sender, SyncedContent)
        or sender is BundleCourse
        or sender is Course.prerequisites.through
    ):
        content_version_bump()


def connect_signals() -> None:
    """Bumps the version on every save or delete of content (courses.apps)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import Course

    post_save.connect(_content_changed, dispatch_uid="courses.outline.save")
    post_delete.connect(_content_changed, dispatch_uid="courses.outline.delete")
    m2m_changed.connect(
        _content_changed,
        sender=Course.prerequisites.through,
        dispatch_uid="courses.outline.prerequisites",
    )
