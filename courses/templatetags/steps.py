"""`{% step_item step %}`: one step of a course plan (courses.steps.Step) as
courses/_step.html writes it, rendered once per process for each distinct step; and
`{% plan_unit unit number %}`: a module's card of the course home
(courses/_unit.html), rendered once per process for each distinct module and steps.

A course home lists every lesson and exam of the course, and rendering each through
the template engine was most of the page's cost (issue 19). A step is a frozen value
(its kind, title, state, URL, facts...) and its markup depends on nothing else, so
the HTML is kept per (step, read_only) in a bounded per-process cache: the steps of
one course in each of their states, shared by every learner. Content edits change
the steps themselves (title, URL), so no entry can outlive them; template edits take
a restart in production (the cached loader), and with DEBUG nothing is kept.

A step whose markup holds a form (starting an exam) carries the request's CSRF
token. It is kept too, rendered with a stand-in for the token (a random string of
this process), and each request puts its own token in the stand-in's place; so is a
unit holding one. A page without a token (no CSRF context) renders them afresh.
"""

from __future__ import annotations

import functools
import secrets

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from ..steps import Step, StepState

register = template.Library()

TEMPLATE = "courses/_step.html"
UNIT_TEMPLATE = "courses/_unit.html"


def _has_form(step: Step, read_only: bool) -> bool:
    # The condition under which courses/_step.html writes a form.
    return bool(
        step.action
        and not read_only
        and step.post_url
        and step.state not in (StepState.WAITING, StepState.LOCKED)
    )


def _render(step: Step, read_only: bool, csrf_token=None) -> SafeString:
    context = {"step": step, "read_only": read_only}
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return get_template(TEMPLATE).render(context)


@functools.lru_cache(maxsize=4096)
def _render_kept(step: Step, read_only: bool) -> SafeString:
    return _render(step, read_only)


# Stands for the request's CSRF token in kept markup (module docstring): random per
# process, so no text of a course can hold it.
CSRF_STAND_IN = f"csrf-stand-in-{secrets.token_hex(16)}"


@functools.lru_cache(maxsize=1024)
def _render_form_kept(step: Step, read_only: bool) -> SafeString:
    return _render(step, read_only, csrf_token=CSRF_STAND_IN)


def _with_token(html: str, token) -> SafeString:
    """Kept markup with the request's CSRF token in the stand-in's place."""
    return SafeString(html.replace(CSRF_STAND_IN, conditional_escape(str(token))))


@register.simple_tag(takes_context=True)
def step_item(context, step: Step, read_only: bool = False) -> SafeString:
    """`{% step_item step read_only=review %}`: the step's `<li>`."""
    read_only = bool(read_only)
    token = context.get("csrf_token")
    if settings.DEBUG or not _hashable(step):
        return _render(step, read_only, csrf_token=token)
    if _has_form(step, read_only):
        if not token:
            return _render(step, read_only)
        return _with_token(_render_form_kept(step, read_only), token)
    return _render_kept(step, read_only)


def _hashable(step: Step) -> bool:
    try:
        hash(step)
    except TypeError:  # a step holding an unhashable value: rendered, not kept
        return False
    return True


def _render_unit(values: dict, csrf_token=None) -> SafeString:
    context = dict(values)
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return get_template(UNIT_TEMPLATE).render(context)


@functools.lru_cache(maxsize=1024)
def _render_unit_kept(
    module_id: int,
    title: str,
    number: int,
    status: str,
    done: bool,
    steps: tuple[Step, ...],
    read_only: bool,
    csrf: str | None = None,
) -> SafeString:
    return _render_unit(
        {
            "module_id": module_id,
            "title": title,
            "number": number,
            "status": status,
            "done": done,
            "steps": steps,
            "read_only": read_only,
        },
        csrf_token=csrf,
    )


@register.simple_tag(takes_context=True)
def plan_unit(context, unit, number: int, read_only: bool = False) -> SafeString:
    """`{% plan_unit unit forloop.counter read_only=review %}`: the module's card."""
    read_only = bool(read_only)
    steps = tuple(unit.steps)
    values = {
        "module_id": unit.module.pk,
        "title": unit.module.title,
        "number": int(number),
        "status": unit.status,
        "done": unit.done,
        "steps": steps,
        "read_only": read_only,
    }
    token = context.get("csrf_token")
    if settings.DEBUG or not all(_hashable(step) for step in steps):
        return _render_unit(values, csrf_token=token)
    if any(_has_form(step, read_only) for step in steps):
        if not token:
            return _render_unit(values)
        return _with_token(_render_unit_kept(**values, csrf=CSRF_STAND_IN), token)
    return _render_unit_kept(**values)
