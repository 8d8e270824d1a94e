"""`{% step_item step %}`: one step of a course plan (courses.steps.Step) as
courses/_step.html writes it; and `{% plan_unit unit number %}`: a module's card of
the course home (courses/_unit.html). Both are kept (core.kept): rendered once per
process for each distinct step, or module and steps.

A course home lists every lesson and exam of the course, and rendering each through
the template engine was most of the page's cost (issue 19). A step is a frozen value
(its kind, title, state, URL, facts...) and its markup depends on nothing else, so
the steps of one course in each of their states are shared by every learner.
Content edits change the steps themselves (title, URL), so no entry can outlive
them. A step or card holding a form (starting an exam) gets the request's CSRF
token in the stand-in's place.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core.kept import render_kept

from ..steps import Step

register = template.Library()

TEMPLATE = "courses/_step.html"
UNIT_TEMPLATE = "courses/_unit.html"


@register.simple_tag(takes_context=True)
def step_item(context, step: Step, read_only: bool = False) -> SafeString:
    """`{% step_item step read_only=review %}`: the step's `<li>`."""
    return render_kept(
        TEMPLATE,
        {"step": step, "read_only": bool(read_only)},
        context.get("csrf_token"),
    )


@register.simple_tag(takes_context=True)
def plan_unit(context, unit, number: int, read_only: bool = False) -> SafeString:
    """`{% plan_unit unit forloop.counter read_only=review %}`: the module's card."""
    return render_kept(
        UNIT_TEMPLATE,
        {
            "module_id": unit.module.pk,
            "title": unit.module.title,
            "number": int(number),
            "status": unit.status,
            "done": unit.done,
            "steps": tuple(unit.steps),
            "read_only": bool(read_only),
        },
        context.get("csrf_token"),
    )
