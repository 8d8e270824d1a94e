"""The learner's time zone: which names are accepted, and the choices offered.

Times are shown in the learner's own zone (exam deadlines, when a retake opens,
when an attempt was submitted). The browser tells us its zone
(static/js/timezone.js, an IANA name such as "America/Chicago"); the profile stores
it and lets the learner change it; accounts.middleware activates it per request.
Only names the server's zone database knows are accepted.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# The cookie static/js/timezone.js sets with the browser's zone: used until the
# profile has one (and for visitors who are not signed in).
TIME_ZONE_COOKIE = "tz"


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        # Legacy aliases ("US/Eastern", "Etc/GMT+5", "EST5EDT") only confuse a list.
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    ) | {"UTC"}


def is_time_zone(name: str) -> bool:
    return name in zoneinfo.available_timezones() or name == "UTC"


def validate_time_zone(name: str) -> None:
    if name and not is_time_zone(name):
        raise ValidationError("Choose a time zone from the list.")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """("America/New_York", "America / New York"), sorted by region then city."""
    return [
        (name, name.replace("_", " ").replace("/", " / "))
        for name in sorted(time_zone_names())
    ]
