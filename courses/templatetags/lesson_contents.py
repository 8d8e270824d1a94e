"""`{% lesson_contents %}`: a lesson's contents (its headings, then its module's
lessons with their done marks) as courses/_lesson_contents.html writes it, rendered
once per process for each content version, lesson and set of lessons done (at most
MAX_KEPT, the least recently used dropped first).

The lesson page shows the contents twice (above the lesson on phones, beside it on
wide screens), and rendering them was a sixth of the page's cost (issue 19). They
depend only on content (titles, URLs, headings: the content version, courses.outline,
is part of the key, so an edit is seen on the next request) and on which of the
module's lessons the learner has done. With DEBUG nothing is kept.
"""

from __future__ import annotations

from collections import OrderedDict

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString

from ..outline import content_cached, content_version

register = template.Library()

TEMPLATE = "courses/_lesson_contents.html"


def _render(lesson, module, done_ids, where: str) -> SafeString:
    return get_template(TEMPLATE).render(
        {"lesson": lesson, "module": module, "done_ids": done_ids, "where": where}
    )


MAX_KEPT = 2048  # entries per process: the least recently used go first


@register.simple_tag
def lesson_contents(lesson, module, done_ids, where: str) -> SafeString:
    """`{% lesson_contents lesson module done_ids "side" %}`."""
    if settings.DEBUG or content_version() is None:
        return _render(lesson, module, done_ids, where)
    # One store per content version, dropped with it (and after the outline's
    # MAX_AGE): courses.outline.
    kept: OrderedDict = content_cached("courses:lesson-contents", OrderedDict)
    lessons = tuple(item.pk for item in module.visible_lessons)
    done = frozenset(pk for pk in lessons if pk in done_ids)
    # (lesson id, the module's lesson ids, those done, where) -> HTML.
    key = (lesson.pk, lessons, done, where)
    html = kept.get(key)
    if html is None:
        html = kept[key] = _render(lesson, module, done_ids, where)
        if len(kept) > MAX_KEPT:
            kept.popitem(last=False)
    else:
        try:
            kept.move_to_end(key)
        except KeyError:  # dropped meanwhile by another thread: nothing to do
            pass
    return html
