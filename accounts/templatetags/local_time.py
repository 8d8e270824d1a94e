"""Times as the learner reads them (their time zone is active: accounts.middleware)
and as HTML wants them in attributes. The written format is the site's one
(core/formats/en/formats.py): `|date`, `|date:"DATETIME_FORMAT"`, `|clock`."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from core.dates import datetime_attribute, format_clock

register = template.Library()


@register.filter
def datetime_attr(value: datetime | None) -> str:
    """For `<time datetime>` and data attributes: "2027-03-05T14:30:00-05:00"."""
    return datetime_attribute(value) if value else ""


@register.filter
def clock(value: datetime | None) -> str:
    """ "2:30 PM EST" in the learner's time zone."""
    return format_clock(value) if value else ""


@register.simple_tag
def time_zone_label() -> str:
    """The active time zone's abbreviation now ("EST", "UTC")."""
    return date_format(timezone.localtime(), "T")
