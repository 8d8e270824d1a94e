"""Which courses a learner currently holds a credential for, and until when.

Courses' rules need it (prerequisites, the renewal window) but credentials belong to
an app above courses (docs/ARCHITECTURE.md). So the rule "current" is written there,
once, and registered here as a source in that app's `AppConfig.ready()`; courses
reads the merged answer and never imports the app that computes it.

A source is a function `source(*, user) -> dict[course_id, expires_on]` of the user's
current credentials (a user who is not signed in is never passed to it).

A second kind of source answers "held now or until recently" (a renewing learner may
test out of module exams): `source(*, user) -> dict[course_id, expires_on]` of the
credentials that are current or expired only recently; how recently is the
registering app's rule, written there once.
"""

from __future__ import annotations

from datetime import date

_sources: list = []
_recent_sources: list = []


def credential_source_register(fn) -> None:
    """Adds a source of current credentials; adding the same one again is a no-op
    (`ready()` may run more than once)."""
    if fn not in _sources:
        _sources.append(fn)


def current_credentials(*, user) -> dict[int, date]:
    """{course id: expiry} of every course the user currently holds a credential for,
    from every registered source, keeping the latest expiry per course."""
    held: dict[int, date] = {}
    if not user.is_authenticated:
        return held
    for source in _sources:
        for course_id, expires_on in source(user=user).items():
            if course_id not in held or expires_on > held[course_id]:
                held[course_id] = expires_on
    return held


def recent_credential_source_register(fn) -> None:
    """Adds a source of credentials held now or until recently; adding the same one
    again is a no-op."""
    if fn not in _recent_sources:
        _recent_sources.append(fn)


def recent_credentials(*, user) -> dict[int, date]:
    """{course id: expiry} of every course the user holds a credential for now or
    held one that expired recently (the sources' rule), keeping the latest expiry."""
    held: dict[int, date] = {}
    if not user.is_authenticated:
        return held
    for source in _recent_sources:
        for course_id, expires_on in source(user=user).items():
            if course_id not in held or expires_on > held[course_id]:
                held[course_id] = expires_on
    return held
