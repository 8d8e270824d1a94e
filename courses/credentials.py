"""Which courses a learner currently holds, and until when, from the apps that know.

The courses rules that need it (prerequisites, the renewal window) read
`current_credentials`; a higher app (certificates) registers the source that decides
what counts as current in its AppConfig.ready(), so courses never imports it.
"""

from __future__ import annotations

from datetime import date

_sources: list = []


def credential_source_register(fn) -> None:
    """Adds a source: `fn(*, user) -> dict[course_id, expires_on]`. Registering the
    same function twice is a no-op (ready() may run more than once)."""
    if fn not in _sources:
        _sources.append(fn)


def current_credentials(*, user) -> dict[int, date]:
    """Course id -> the latest expiry of the user's current credentials for it, over
    every registered source."""
    merged: dict[int, date] = {}
    for source in _sources:
        for course_id, expires_on in source(user=user).items():
            if course_id not in merged or expires_on > merged[course_id]:
                merged[course_id] = expires_on
    return merged
