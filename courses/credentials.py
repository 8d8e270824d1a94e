"""Which courses a learner currently holds a credential for, until when, and whether
one of them is our own certificate.

Courses' rules need it (prerequisites, the renewal window) but credentials belong to
an app above courses (docs/ARCHITECTURE.md). So the rule "current" is written there,
once, and registered here as a source in that app's `AppConfig.ready()`; courses
reads the merged answer and never imports the app that computes it.

A source is a function `source(*, user) -> dict[course_id, Held]` of the user's
current credentials (a user who is not signed in is never passed to it). `Held` says
until when the course is held and, apart, until when by our own certificate: a
prerequisite is met by any current credential (an approved outside card too), but
only our own certificate opens and closes the renewal window of our course.

A third kind answers "waiting for a decision": the courses a learner has submitted
proof for that staff have not reviewed yet (an outside card), so pages say "under
review" instead of offering another upload. It holds nothing: it is never a
prerequisite met.

A second kind of source answers "held now or until recently" (a renewing learner may
test out of module exams): the same shape, for the credentials that are current or
expired only recently; how recently is the registering app's rule, written there once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Held:
    """A course the learner holds: the latest expiry of their current credentials
    for it, and of those that are our own certificates (None: outside cards only)."""

    expires_on: date
    ours_expires_on: date | None = None

    @property
    def ours(self) -> bool:
        return self.ours_expires_on is not None

    def merged(self, other: Held) -> Held:
        """Both answers for one course: the later expiry of each kind."""
        ours = [d for d in (self.ours_expires_on, other.ours_expires_on) if d]
        return Held(
            expires_on=max(self.expires_on, other.expires_on),
            ours_expires_on=max(ours) if ours else None,
        )


_sources: list = []
_recent_sources: list = []
_pending_sources: list = []


def _merge(sources: list, *, user) -> dict[int, Held]:
    held: dict[int, Held] = {}
    if not user.is_authenticated:
        return held
    for source in sources:
        for course_id, answer in source(user=user).items():
            held[course_id] = (
                held[course_id].merged(answer) if course_id in held else answer
            )
    return held


def credential_source_register(fn) -> None:
    """Adds a source of current credentials; adding the same one again is a no-op
    (`ready()` may run more than once)."""
    if fn not in _sources:
        _sources.append(fn)


def current_credentials(*, user) -> dict[int, Held]:
    """{course id: Held} of every course the user currently holds a credential for,
    from every registered source, keeping the latest expiry of each kind."""
    return _merge(_sources, user=user)


def recent_credential_source_register(fn) -> None:
    """Adds a source of credentials held now or until recently; adding the same one
    again is a no-op."""
    if fn not in _recent_sources:
        _recent_sources.append(fn)


def recent_credentials(*, user) -> dict[int, Held]:
    """{course id: Held} of every course the user holds a credential for now or held
    one that expired recently (the sources' rule), keeping the latest expiries."""
    return _merge(_recent_sources, user=user)


def pending_credential_source_register(fn) -> None:
    """Adds a source of credentials waiting for review (`fn(*, user) -> set of
    course ids`); adding it again is a no-op."""
    if fn not in _pending_sources:
        _pending_sources.append(fn)


def pending_credentials(*, user) -> set[int]:
    """Ids of the courses the user submitted a credential for that waits for a
    decision (none for a visitor who is not signed in)."""
    if not user.is_authenticated:
        return set()
    pending: set[int] = set()
    for source in _pending_sources:
        pending |= source(user=user)
    return pending
