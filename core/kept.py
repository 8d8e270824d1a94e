"""Markup rendered once per process for each distinct set of values (issue 19).

Every page draws the same header and footer, and a course home the same module
cards and steps for every learner in the same state; rendering them through the
template engine on each request was most of a learner page's cost. A kept template
is a pure function of the values it is given: `render_kept(name, values)` renders it
with those values **and nothing else** (no request, no context processors, nothing
from the page around it), so its markup can be kept, keyed by the template's name
and the values, in a bounded per-process cache shared by every request. A value the
call forgot is then simply missing from the markup, in every process and on the
first render as on the hundredth: the tests see it; it can never leak one
learner's markup into another's page.

Markup holding a form carries the request's CSRF token. It is kept rendered with a
stand-in for the token (a random string of this process, which no content can
hold), and each request puts its own token in the stand-in's place. Without a token
(a page rendered outside a request) such markup is rendered afresh.

Nothing but the values may shape the markup, so a kept template may not read what
a request sets around it: no date or time formatting (the active time zone), no
translation (the active language), no clock, no `{% include %}` of a template that
does. Pass such values formatted. A template that breaks the rule is refused
(ImproperlyConfigured) the first time it is kept, in every environment but DEBUG,
so the suite's pages find it.

Content edits change the values themselves (titles, URLs); template edits take a
restart in production (the cached loader); with DEBUG nothing is kept.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Hashable, Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

# Stands for the request's CSRF token in kept markup (module docstring).
CSRF_STAND_IN = f"csrf-stand-in-{secrets.token_hex(16)}"


def render_fresh(
    template_name: str, values: Mapping[str, object], csrf_token=None
) -> SafeString:
    """The template rendered with `values` alone (and the token, if any)."""
    context = dict(values)
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return SafeString(get_template(template_name).render(context))


# What a kept template may not use (module docstring): filters and tags that read
# the active time zone, language or the clock.
_READS_THE_REQUEST = re.compile(
    r"\|\s*(?:date|time|timesince|timeuntil|naturaltime|naturalday|localtime|utc"
    r"|timezone)\b"
    r"|\{%\s*(?:now|trans|translate|blocktrans|blocktranslate|localtime|timezone"
    r"|get_current_timezone|get_current_language|language)\b"
)
_INCLUDE = re.compile(r"""\{%\s*include\s+["']([^"']+)["']""")


@functools.cache
def _check_pure(template_name: str) -> None:
    """Refuses a template (or one it includes) that reads more than its values."""
    source = get_template(template_name).template.source
    if found := _READS_THE_REQUEST.search(source):
        raise ImproperlyConfigured(
            f"{template_name} is kept (core.kept) but uses {found.group(0)!r}, which "
            "reads the request's time zone, language or clock: pass the value "
            "formatted instead."
        )
    for included in _INCLUDE.findall(source):
        _check_pure(included)


@functools.lru_cache(maxsize=4096)
def _kept(template_name: str, items: tuple[tuple[str, Hashable], ...]) -> SafeString:
    _check_pure(template_name)
    return render_fresh(template_name, dict(items), csrf_token=CSRF_STAND_IN)


def render_kept(
    template_name: str, values: Mapping[str, object], csrf_token=None
) -> SafeString:
    """`template_name` rendered with `values` alone, once per process for each
    distinct `values` (which must be hashable; others are rendered every time), with
    `csrf_token` where the markup holds the token."""
    if settings.DEBUG:
        return render_fresh(template_name, values, csrf_token)
    try:
        html = _kept(template_name, tuple(sorted(values.items())))
    except TypeError:  # an unhashable value: rendered, not kept
        return render_fresh(template_name, values, csrf_token)
    if CSRF_STAND_IN not in html:
        return html
    if not csrf_token:
        return render_fresh(template_name, values)
    return SafeString(html.replace(CSRF_STAND_IN, conditional_escape(str(csrf_token))))


def forget() -> None:
    """Drops every kept markup (tests that change templates or settings)."""
    _kept.cache_clear()
    _check_pure.cache_clear()


def _setting_changed(**kwargs) -> None:
    forget()  # tests that override TEMPLATES, DEBUG or URLs


setting_changed.connect(_setting_changed, dispatch_uid="core.kept.forget")
