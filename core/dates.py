"""Dates and times: the site's day for rules, the one written format for people.

**Rules read the site's day.** A request may activate the learner's own time zone
for display (accounts.middleware); what is current, expired or open must not depend
on who looks (a certificate expiring today is not "expired" for a verifier in
Sydney and "valid" for its holder in Hawaii). So services and selectors ask
`site_today()` (settings.TIME_ZONE), never `timezone.localdate()`.

**People read one format** (core/formats/en/formats.py): "March 5, 2027" and
"March 5, 2027, 2:30 PM EST" in the active time zone, in templates and in the
sentences services write alike. `datetime_attribute` is the machine form for
`<time datetime>`: whole seconds with the offset (HTML refuses microseconds).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format, time_format

from . import horizon


def site_today() -> date:
    """Today in the site's time zone (settings.TIME_ZONE), whatever time zone the
    request activated for display."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(timezone=zone)
    # What is drawn from today's date changes at the site's next midnight.
    horizon.note(datetime.combine(today + timedelta(days=1), time(), tzinfo=zone))
    return today


def format_day(value: date) -> str:
    """ "March 5, 2027"."""
    return date_format(value, "DATE_FORMAT")


def format_moment(value: datetime) -> str:
    """ "March 5, 2027, 2:30 PM EST", in the active time zone."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def format_clock(value: datetime) -> str:
    """ "2:30 PM EST", in the active time zone."""
    local = timezone.localtime(value)
    return f"{time_format(local, 'TIME_FORMAT')} {date_format(local, 'T')}"


def datetime_attribute(value: datetime) -> str:
    """A valid HTML datetime ("2027-03-05T14:30:00+00:00"): seconds, no fraction."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()
