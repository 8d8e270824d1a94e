"""The case's simulated clock in templates: `{{ seconds|case_clock }}` -> "2:14"."""

from __future__ import annotations

from django import template

from ..selectors.attempts import clock

register = template.Library()


@register.filter
def case_clock(seconds) -> str:
    if seconds is None or seconds == "":
        return ""
    return clock(int(seconds))
