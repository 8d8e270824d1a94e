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
