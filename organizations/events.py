"""Events of organizations, handled in handlers.py after the publisher commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InvitationIssued:
    """An invitation was created (or renewed) and its e-mail is owed. `message` is
    the rendered e-mail (subject, body, html, from_email, to, headers): it carries
    the invitation's link, whose token is stored only hashed, so it cannot be
    rendered again later."""

    invitation_id: int
    message: dict


@dataclass(frozen=True)
class SeatCodeIssued:
    """A seat code was given to a member and their e-mail is owed. `message` is the
    rendered e-mail: it carries the code, which is stored only hashed, so it cannot
    be rendered again later."""

    assignment_id: int
    message: dict
