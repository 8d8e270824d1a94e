"""Invitations (one address, or a roster validated as a whole) and join links, and
how a learner accepts them.

Tokens are 256 random bits, e-mailed or shown once and stored only as their SHA-256
(organizations.tokens): the database never holds a usable link. The invitation e-mail
is rendered here, with its link built on SITE_URL like every link Lifeline mails,
and sent after commit by the account e-mail task (events.InvitationIssued,
handlers.py), which retries the mail server.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core.dates import format_day
from core.events import publish

from ..errors import (
    AlreadyMember,
    InvalidInvitation,
    InvitationClosed,
    JoinLinkClosed,
    RosterInvalid,
    RowError,
)
from ..events import InvitationIssued
from ..models import Invitation, JobRole, JoinLink, Membership, Organization
from ..tokens import new_token, token_hash
from .memberships import membership_join, require_admin

# How long an invitation's link works; inviting the address again after that sends
# a new one.
INVITATION_VALID_DAYS = 14
# A roster larger than this is refused whole (split it): far above any ward or
# agency, small enough to validate and insert in one request.
ROSTER_MAX_ROWS = 5000
ROSTER_MAX_BYTES = 1024 * 1024


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email(email)


def _job_role_of(organization: Organization, job_role: JobRole | None) -> None:
    if job_role is not None and job_role.organization_id != organization.pk:
        raise InvalidInvitation(
            "That job role belongs to another organization.",
            code="invitation.job_role_unknown",
        )


def _invitation_message(
    *, invitation: Invitation, token: str, invited_by
) -> dict[str, object]:
    organization = invitation.organization
    context = {
        "organization": organization,
        "invitation": invitation,
        "invited_by": (invited_by.legal_name or invited_by.email) if invited_by else "",
        "accept_url": settings.SITE_URL
        + reverse("organizations:invitation", args=[token]),
        "expires_on": format_day(timezone.localtime(invitation.expires_at).date()),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    return {
        "subject": f"[{settings.SITE_NAME}] {organization.name} invites you to join "
        "them on Lifeline",
        "body": render_to_string("emails/organization_invitation.txt", context),
        "html": render_to_string("emails/organization_invitation.html", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [invitation.email],
        "headers": {},
    }


def _issue(*, invitation: Invitation, by, now: datetime) -> None:
    """Gives the invitation a new token and expiry, records invitation.sent and
    publishes its e-mail (sent after commit)."""
    token = new_token()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_VALID_DAYS)
    if invitation.pk is None:
        invitation.save()
    else:
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        action=AuditEvent.Action.INVITATION_SENT,
        actor=by,
        target=invitation,
        data={
            "organization": invitation.organization.slug,
            "email": invitation.email,
            "job_role": invitation.job_role.name if invitation.job_role_id else "",
        },
    )
    publish(
        InvitationIssued(
            invitation_id=invitation.pk,
            message=_invitation_message(
                invitation=invitation, token=token, invited_by=by
            ),
        )
    )


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    sent: bool  # False: an open invitation existed and was left as it was


def _invite(
    *, organization: Organization, email: str, job_role: JobRole | None, by, now
) -> Invited:
    """The one invitation rule, for an address already validated."""
    existing = (
        Invitation.objects.select_for_update()
        .filter(
            organization=organization,
            email=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )
    if existing is not None and existing.is_usable(now):
        return Invited(invitation=existing, sent=False)
    if existing is not None:  # expired: the same invitation, a new link
        existing.job_role = job_role
        existing.save(update_fields=["job_role"])
        _issue(invitation=existing, by=by, now=now)
        return Invited(invitation=existing, sent=True)
    invitation = Invitation(
        organization=organization,
        email=email,
        job_role=job_role,
        invited_by=by,
        created_at=now,
    )
    _issue(invitation=invitation, by=by, now=now)
    return Invited(invitation=invitation, sent=True)


def _already_member(organization: Organization, email: str) -> bool:
    return (
        Membership.objects.active()
        .filter(organization=organization, user__email__iexact=email)
        .exists()
    )


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, job_role: JobRole | None = None, by
) -> Invited:
    """An administrator invites one address. Sends the invitation e-mail (after
    commit) with a link valid INVITATION_VALID_DAYS days, and records
    invitation.sent. An open invitation to the address is returned as it is (sent
    False: inviting twice sends once); an expired one gets a new link. Refuses a
    malformed address, a job role of another organization, and an active member."""
    require_admin(user=by, organization=organization)
    email = _normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInvitation(
            f"“{email}” is not an e-mail address.", code="invitation.email_invalid"
        ) from None
    _job_role_of(organization, job_role)
    if _already_member(organization, email):
        raise AlreadyMember(f"{email} is already a member of {organization.name}.")
    return _invite(
        organization=organization,
        email=email,
        job_role=job_role,
        by=by,
        now=timezone.now(),
    )


@dataclass(frozen=True)
class RosterRow:
    line: int
    email: str
    job_role: JobRole | None


@dataclass
class RosterImport:
    invited: list[Invitation] = field(default_factory=list)
    # Addresses with an open invitation already (left as they were).
    already_invited: list[Invitation] = field(default_factory=list)


_EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address"}
_ROLE_HEADERS = {"job role", "job_role", "role", "job"}


def _read_roster(data: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row. Excel's UTF-8 BOM is allowed."""
    if len(data) > ROSTER_MAX_BYTES:
        raise RosterInvalid(
            "The file is larger than 1 MB: split it into smaller files.", errors=[]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterInvalid(
            "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.",
            errors=[],
        ) from None
    # Spreadsheets in some locales save CSV with semicolons: the first line's most
    # frequent separator decides.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=lambda d: (first_line.count(d), d == ","))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    for cells in reader:
        cells = [cell.strip() for cell in cells]
        if any(cells):
            rows.append((reader.line_num, cells))
    return rows


def roster_validate(
    *, organization: Organization, data: bytes
) -> tuple[list[RosterRow], list[RowError]]:
    """Reads an uploaded roster (CSV: an e-mail column and an optional job-role
    column, with or without a header row) and checks every row: a malformed
    address, a job role the organization does not have, an address listed twice in
    the file, and an active member are each reported with their line. Three
    queries whatever the number of rows."""
    rows = _read_roster(data)
    if not rows:
        raise RosterInvalid("The file has no rows.", errors=[])
    email_at, role_at = 0, 1
    first = [cell.lower() for cell in rows[0][1]]
    if first and "@" not in first[0]:
        header = [cell.strip() for cell in first]
        email_at = next((i for i, h in enumerate(header) if h in _EMAIL_HEADERS), -1)
        role_at = next((i for i, h in enumerate(header) if h in _ROLE_HEADERS), -1)
        if email_at < 0:
            raise RosterInvalid(
                "The first row names the columns but none is “email”.",
                errors=[RowError(line=rows[0][0], email="", message="no email column")],
            )
        rows = rows[1:]
    if len(rows) > ROSTER_MAX_ROWS:
        raise RosterInvalid(
            f"The file has {len(rows)} rows; at most {ROSTER_MAX_ROWS} at a time.",
            errors=[],
        )
    roles = {
        role.name.lower(): role
        for role in JobRole.objects.filter(organization=organization)
    }
    members = {
        email.lower()
        for email in Membership.objects.active()
        .filter(organization=organization)
        .values_list("user__email", flat=True)
    }
    seen: dict[str, int] = {}
    good: list[RosterRow] = []
    errors: list[RowError] = []
    for line, cells in rows:
        raw = cells[email_at] if email_at < len(cells) else ""
        email = _normalize_email(raw)
        role_name = cells[role_at] if 0 <= role_at < len(cells) else ""
        problems = []
        if not email:
            problems.append("no e-mail address")
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"“{raw}” is not an e-mail address")
        role = None
        if role_name:
            role = roles.get(role_name.lower())
            if role is None:
                known = ", ".join(sorted(r.name for r in roles.values())) or "none yet"
                problems.append(
                    f"unknown job role “{role_name}” (this organization has: {known})"
                )
        if email and email in seen:
            problems.append(f"{email} is listed already on line {seen[email]}")
        elif email:
            seen[email] = line
        if email and email in members:
            problems.append(f"{email} is already a member")
        for problem in problems:
            errors.append(RowError(line=line, email=raw, message=problem))
        if not problems:
            good.append(RosterRow(line=line, email=email, job_role=role))
    return good, errors


@transaction.atomic
def invitations_import(*, organization: Organization, data: bytes, by) -> RosterImport:
    """An administrator uploads a roster: validated as a whole (roster_validate);
    if any row is bad, RosterInvalid lists every bad row with its line and nothing
    is imported. Otherwise each address is invited as `invitation_create` would
    (open invitations are left as they are), all in one transaction, the e-mails
    sent after it commits."""
    require_admin(user=by, organization=organization)
    rows, errors = roster_validate(organization=organization, data=data)
    if errors:
        count = len({error.line for error in errors})
        raise RosterInvalid(
            f"{count} row{'s' if count != 1 else ''} of the file "
            f"{'need' if count != 1 else 'needs'} correcting; nothing was imported.",
            errors=errors,
        )
    result = RosterImport()
    now = timezone.now()
    for row in rows:
        invited = _invite(
            organization=organization,
            email=row.email,
            job_role=row.job_role,
            by=by,
            now=now,
        )
        (result.invited if invited.sent else result.already_invited).append(
            invited.invitation
        )
    return result


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by) -> bool:
    """An administrator withdraws an open invitation: its link stops working.
    Returns whether it was open; records invitation.revoked."""
    require_admin(user=by, organization=invitation.organization)
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_by=by)
    if not revoked:
        return False
    invitation.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.INVITATION_REVOKED,
        actor=by,
        target=invitation,
        data={"organization": invitation.organization.slug, "email": invitation.email},
    )
    return True


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user, consent: bool) -> Membership:
    """The learner accepts an invitation, signed in (the link, or their list of
    invitations to their verified addresses): they become a member with the
    invitation's job role, sharing their certificate status only if they
    `consent`. Accepting again returns their membership. Refuses an invitation
    revoked, expired or accepted by someone else (InvitationClosed)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None and locked.accepted_by_id == user.pk:
        membership = (
            Membership.objects.active()
            .filter(organization_id=locked.organization_id, user=user)
            .first()
        )
        if membership is not None:
            return membership
    if not locked.is_usable():
        raise InvitationClosed(
            "This invitation is no longer valid: it was used, withdrawn or has "
            "expired. Ask the organization for a new one."
        )
    membership, _ = membership_join(
        organization=locked.organization,
        user=user,
        job_role=locked.job_role,
        consent=consent,
        via="invitation",
    )
    locked.accepted_at, locked.accepted_by = timezone.now(), user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    invitation.accepted_at, invitation.accepted_by = locked.accepted_at, user
    return membership


@dataclass(frozen=True)
class JoinLinkCreated:
    link: JoinLink
    # Shown to the administrator once: only its hash is stored.
    url: str


@transaction.atomic
def join_link_create(
    *,
    organization: Organization,
    by,
    job_role: JobRole | None = None,
    label: str = "",
    expires_at: datetime | None = None,
) -> JoinLinkCreated:
    """An administrator creates a link anyone signed in can join through (with
    `job_role`), until it is deactivated or `expires_at`. The URL is returned once;
    records join_link.created."""
    require_admin(user=by, organization=organization)
    _job_role_of(organization, job_role)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInvitation(
            "Choose an expiry in the future.", code="join_link.expiry_past"
        )
    token = new_token()
    link = JoinLink.objects.create(
        organization=organization,
        label=label,
        token_hash=token_hash(token),
        job_role=job_role,
        expires_at=expires_at,
        created_by=by,
        created_at=now,
    )
    audit_record(
        action=AuditEvent.Action.JOIN_LINK_CREATED,
        actor=by,
        target=link,
        data={
            "organization": organization.slug,
            "job_role": job_role.name if job_role else "",
            "expires_at": expires_at,
        },
    )
    return JoinLinkCreated(
        link=link, url=settings.SITE_URL + reverse("organizations:join", args=[token])
    )


@transaction.atomic
def join_link_deactivate(*, link: JoinLink, by) -> bool:
    """An administrator turns a join link off for good; returns whether it was
    on. Records join_link.deactivated."""
    require_admin(user=by, organization=link.organization)
    changed = JoinLink.objects.filter(pk=link.pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now()
    )
    if changed:
        audit_record(
            action=AuditEvent.Action.JOIN_LINK_DEACTIVATED,
            actor=by,
            target=link,
            data={"organization": link.organization.slug},
        )
    return bool(changed)


@transaction.atomic
def join_link_join(*, link: JoinLink | None, user, consent: bool) -> Membership:
    """The signed-in learner joins through a join link, with its job role and
    their `consent` to share (or not). A member already is returned their
    membership. Refuses a link deactivated or expired (JoinLinkClosed), read again
    under a lock: a link turned off after the join page read it lets no one in."""
    if link is not None:
        link = (
            JoinLink.objects.select_for_update(of=("self",))
            .select_related("organization", "job_role")
            .filter(pk=link.pk)
            .first()
        )
    if link is None or not link.is_usable():
        raise JoinLinkClosed(
            "This join link no longer works. Ask the organization for a new one."
        )
    membership, _ = membership_join(
        organization=link.organization,
        user=user,
        job_role=link.job_role,
        consent=consent,
        via="join link",
    )
    return membership
