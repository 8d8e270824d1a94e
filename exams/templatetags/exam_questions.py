"""`{% exam_questions %}` and `{% exam_question_links %}`: an open attempt's questions
with their radio buttons, and the bar's links to them.

An exam page of 50 questions has 200 radio buttons; written by the template engine,
one node at a time, they were most of the page's cost (issue 19: Django's RadioSelect
widgets first, then a template loop, then `format_html` per button). Here the same
markup is built with f-strings, every value through `html.escape` (what Django's
`escape` does, without its lazy-string wrapping); the question's text is the
sanitized HTML the attempt stored. The markup is Django's RadioSelect's: ids
`q<position>_<index>`, each label wrapping its input.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _question(item, count: int, disabled: str) -> str:
    name = escape(item.field_name)
    selected = item.selected_key
    choices = "\n".join(
        f'<li><label for="{name}_{index}"><input type="radio" name="{name}" '
        f'value="{escape(choice["key"])}" id="{name}_{index}"{disabled}'
        f"{' checked' if choice['key'] == selected else ''}> "
        f"<span>{escape(choice['text'])}</span></label></li>"
        for index, choice in enumerate(item.choices)
    )
    image_src = getattr(item, "image_src", "")
    image = (
        f'<div class="figure-scroll"><img src="{escape(image_src)}" '
        f'alt="{escape(item.image_alt)}"></div>\n'
        if image_src
        else ""
    )
    position = int(item.position)
    return (
        f'<fieldset class="question" id="question-{position}" '
        f'aria-labelledby="{name}-number {name}-text">\n'
        f'<legend id="{name}-number" class="question-number">Question {position} of '
        f"{int(count)}</legend>\n"
        # Sanitized when the attempt was made (exams.services.attempts).
        f'<div class="prose" id="{name}-text">{item.text_html}</div>\n'
        f'{image}<ul class="choices">\n{choices}\n</ul>\n</fieldset>\n'
    )


@register.simple_tag
def exam_questions(items, question_count: int, time_is_up: bool) -> SafeString:
    """`{% exam_questions items attempt.question_count time_is_up %}`: a fieldset
    per question (exams.models.AttemptQuestion, with `image_src`), in order."""
    disabled = " disabled" if time_is_up else ""
    html = "".join(_question(item, question_count, disabled) for item in items)
    return mark_safe(html)  # noqa: S308 - every value escaped above


@register.simple_tag
def exam_question_links(items) -> SafeString:
    """`{% exam_question_links items %}`: the exam bar's link to each question,
    marked answered or not (static/js/exam.js keeps the marks current)."""
    links = "\n".join(
        f'<li><a href="#question-{int(item.position)}" '
        f'data-nav-question="{int(item.position)}"'
        f"{' class="is-answered"' if item.selected_key else ''}>{int(item.position)}"
        '<span class="visually-hidden" data-nav-state>'
        f"{', answered' if item.selected_key else ', not answered'}</span></a></li>"
        for item in items
    )
    return mark_safe(links)  # noqa: S308 - positions are integers
