"""One error model for every app.

Services raise a `LifelineError` (or a subclass) when they refuse a request: it carries
a stable machine `code` ("enrollment.prerequisite_missing"), the sentence a learner or
staff member reads (`message`), and the HTTP status an API answers with. Views show
`message` (forms re-render, pages add it to `django.contrib.messages`); the API renders
`as_problem()` as RFC 9457 problem details. Nothing else about the error reaches the
user, so a message must never carry internal detail.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LifelineError(Exception):
    """A refusal the user can act on. Subclasses fix the status; `code` names it."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request refused"
    default_code: ClassVar[str] = "refused"

    def __init__(self, message: str, *, code: str | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        # Machine-readable context for callers (e.g. the courses still missing); the
        # API includes the JSON-safe ones as problem extension members.
        self.details = details

    def as_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details for this error."""
        problem: dict[str, Any] = {
            "type": f"urn:lifeline:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if instance:
            problem["instance"] = instance
        return problem

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InvalidInput(LifelineError):
    """The request itself is malformed or names something it may not (400)."""

    status = 400
    title = "Invalid input"
    default_code = "invalid"


class Unauthenticated(LifelineError):
    """The request does not say who makes it, or what it says is not valid (401).
    `challenge` is the WWW-Authenticate header the answer carries."""

    status = 401
    title = "Unauthorized"
    default_code = "unauthenticated"
    challenge: ClassVar[str] = "Bearer"


class NotAllowed(LifelineError):
    """A rule forbids this for this user now (403)."""

    status = 403
    title = "Not allowed"
    default_code = "not_allowed"


class NotFound(LifelineError):
    """The object does not exist for this user (404)."""

    status = 404
    title = "Not found"
    default_code = "not_found"


class Conflict(LifelineError):
    """The object's state does not allow this change (409)."""

    status = 409
    title = "Conflict"
    default_code = "conflict"


class RateLimited(LifelineError):
    """Too many requests; try again later (429)."""

    status = 429
    title = "Too many requests"
    default_code = "rate_limited"
