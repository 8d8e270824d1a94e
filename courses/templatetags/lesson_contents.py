"""`{% lesson_contents %}`: a lesson's contents (its headings, then its module's
lessons with their done marks) as courses/_lesson_contents.html writes it, rendered
once per process for each content version, lesson and set of lessons done.

The lesson page shows the contents twice (above the lesson on phones, beside it on
wide screens), and rendering them was a sixth of the page's cost (issue 19). They
depend only on content (titles, URLs, headings: the content version, courses.outline,
is part of the key, so an edit is seen on the next request) and on which of the
module's lessons the learner has done. With DEBUG nothing is kept.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString

from ..outline import content_version

register = template.Library()

TEMPLATE = "courses/_lesson_contents.html"


def _render(lesson, module, done_ids, where: str) -> SafeString:
    return get_template(TEMPLATE).render(
        {"lesson": lesson, "module": module, "done_ids": done_ids, "where": where}
    )


# (content version, lesson id, the module's lesson ids, those done, where) -> HTML.
# Bounded: emptied when full (old versions' entries go with it).
_kept: dict[tuple, SafeString] = {}
MAX_KEPT = 2048


@register.simple_tag
def lesson_contents(lesson, module, done_ids, where: str) -> SafeString:
    """`{% lesson_contents lesson module done_ids "side" %}`."""
    version = content_version()
    if settings.DEBUG or version is None:
        return _render(lesson, module, done_ids, where)
    lessons = tuple(item.pk for item in module.visible_lessons)
    done = frozenset(pk for pk in lessons if pk in done_ids)
    key = (version, lesson.pk, lessons, done, where)
    html = _kept.get(key)
    if html is None:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        html = _kept[key] = _render(lesson, module, done_ids, where)
    return html
