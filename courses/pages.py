"""What apps above courses add to courses' pages.

The course home lists the course's exams and the dashboard the learner's
certificates, but exams and certificates sit above courses (docs/ARCHITECTURE.md). Each
registers a section for a page in its `AppConfig.ready()`: a function that takes the
page's keyword arguments and returns context entries (computed by its own selectors,
so the decisions stay in that app). The page's view merges them into its context.

Pages and their arguments:
- "course_home": enrollment, modules (courses.selectors.modules_with_lessons),
  done_ids (completed lesson ids)
- "dashboard": user
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Section = Callable[..., dict[str, Any]]

_sections: dict[str, list[Section]] = defaultdict(list)


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
