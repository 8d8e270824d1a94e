"""What apps above courses add to courses' pages.

The dashboard lists the learner's certificates, but certificates sit above courses
(docs/ARCHITECTURE.md); the course's exams reach its pages as steps instead
(courses.steps). Each
registers a section for a page in its `AppConfig.ready()`: a function that takes the
page's keyword arguments and returns context entries (computed by its own selectors,
so the decisions stay in that app). The page's view merges them into its context.

Pages and their arguments:
- "dashboard": user, as_staff (the request's staff decision), open_course_ids (the
  courses the learner has an open enrollment in)
- "course_home": user, course, enrollment (active): cases adds the link to the
  course's case simulations

A page may also need a higher app to bring its own records up to date before the
sections read them, when the learner comes back (exams grades the attempts whose time
is up). That app registers a service for the page (`page_refresh_register`); the view
runs them (`page_refresh`) before it reads anything, and shows the sentences they
return. Refresh arguments: "course_home": user, course.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Section = Callable[..., dict[str, Any]]

_sections: dict[str, list[Section]] = defaultdict(list)
_refreshers: dict[str, list[Callable[..., list[str]]]] = defaultdict(list)


def page_section_register(page: str, fn: Section) -> None:
    """Adds a section to `page`; adding the same one again is a no-op."""
    if fn not in _sections[page]:
        _sections[page].append(fn)


def page_sections(page: str, **kwargs: Any) -> dict[str, Any]:
    """The context entries every section registered for `page` adds."""
    context: dict[str, Any] = {}
    for section in _sections.get(page, ()):
        context.update(section(**kwargs))
    return context


def page_refresh_register(page: str, fn: Callable[..., list[str]]) -> None:
    """Adds a service `page`'s view runs before reading; adding it again is a
    no-op."""
    if fn not in _refreshers[page]:
        _refreshers[page].append(fn)


def page_refresh(page: str, **kwargs: Any) -> list[str]:
    """Runs every service registered for `page`; returns the notices for the
    learner (what changed: e.g. an attempt graded because its time was up)."""
    notices: list[str] = []
    for fn in _refreshers.get(page, ()):
        notices.extend(fn(**kwargs))
    return notices
