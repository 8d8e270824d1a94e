"""Refusals of the organizations services (the core.errors model): each with a
stable dotted code and the sentence the administrator or learner reads."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Conflict, InvalidInput, NotAllowed, NotFound


class OrganizationRefused(NotAllowed):
    """Not an administrator of the organization, or not the member concerned."""

    default_code = "organization.not_allowed"


class InvitationClosed(Conflict):
    """The invitation was accepted, revoked, or has expired."""

    default_code = "invitation.closed"


class JoinLinkClosed(NotFound):
    """The join link was deactivated or has expired (or never existed)."""

    default_code = "join_link.closed"


class AlreadyMember(Conflict):
    default_code = "membership.exists"


class InvalidInvitation(InvalidInput):
    """An address or a job role the organization cannot invite."""

    default_code = "invitation.invalid"


@dataclass(frozen=True)
class RowError:
    """One bad line of an uploaded roster: its line number in the file (the header
    is line 1), the address as written, and what is wrong."""

    line: int
    email: str
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


class RosterInvalid(InvalidInput):
    """The uploaded roster has bad rows; `errors` lists every one. Nothing was
    imported."""

    default_code = "invitation.roster_invalid"

    def __init__(self, message: str, *, errors: list[RowError]):
        super().__init__(message)
        self.errors = errors


class SeatCodeUnknown(InvalidInput):
    """What was typed is not a seat code, or no seat has that code."""

    default_code = "seat.code_unknown"


class SeatCodeNotYours(NotAllowed):
    """The code was given to another member."""

    default_code = "seat.not_yours"


class SeatUnavailable(Conflict):
    """The code was used or withdrawn, no seat is free, the member holds one
    already, or redeeming would enrol them in nothing new. `code` says which."""

    default_code = "seat.unavailable"


class SkillsCheckRefused(InvalidInput):
    """A skills check that cannot be recorded or revoked as asked; `code` says
    why."""

    default_code = "skills_check.refused"


class ApiTokenRefused(InvalidInput):
    """A token that cannot be created as asked (no name, a name in use)."""

    default_code = "api_token.refused"
