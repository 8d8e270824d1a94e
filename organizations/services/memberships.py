"""Joining, consent, leaving and roles: every change to a Membership.

The learner decides about their own membership (join, consent, withdraw, leave);
site staff decide roles (the admin). Each decision is recorded in the audit trail
in its transaction, with the member as its subject.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from ..errors import AlreadyMember, OrganizationRefused
from ..models import JobRole, Membership, Organization


def require_admin(*, user, organization: Organization) -> None:
    """Refuses (OrganizationRefused) unless `user` is an active administrator of
    `organization`: every administrator's service starts here."""
    if not (
        user is not None
        and user.is_authenticated
        and Membership.objects.active()
        .filter(user=user, organization=organization, role=Membership.Role.ADMIN)
        .exists()
    ):
        raise OrganizationRefused(
            "Only an administrator of this organization can do that.",
            code="organization.not_admin",
        )


def _record(action, membership: Membership, *, actor, **data) -> None:
    audit_record(
        action=action,
        actor=actor,
        subject=membership.user,
        target=membership,
        data={"organization": membership.organization.slug, **data},
    )


def membership_join(
    *,
    organization: Organization,
    user,
    job_role: JobRole | None,
    consent: bool,
    via: str,
    actor=None,
    role: str = Membership.Role.MEMBER,
) -> tuple[Membership, bool]:
    """Makes `user` an active member (with `consent` to share their certificate
    status, or without); returns (membership, created). An active membership is
    returned unchanged (created False): joining twice joins once, the unique
    constraint deciding between concurrent joins. Records membership.joined (and
    membership.consent_given) with how they came (`via`: invitation, join link,
    staff); `actor` defaults to the member. Call inside the caller's transaction."""
    existing = Membership.objects.active().filter(organization=organization, user=user)
    if membership := existing.first():
        return membership, False
    now = timezone.now()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organization=organization,
                user=user,
                role=role,
                job_role=job_role,
                joined_at=now,
                consent_given_at=now if consent else None,
            )
    except IntegrityError:
        return existing.get(), False
    actor = user if actor is None else actor
    _record(
        AuditEvent.Action.MEMBERSHIP_JOINED,
        membership,
        actor=actor,
        via=via,
        role=role,
        job_role=job_role.name if job_role else "",
    )
    if consent:
        _record(AuditEvent.Action.CONSENT_GIVEN, membership, actor=user)
    return membership, True


@transaction.atomic
def membership_consent_set(*, membership: Membership, user, consent: bool) -> bool:
    """The member gives (`consent`) or withdraws consent to share their certificate
    status with the organization; only the member can. Returns whether anything
    changed (the same answer twice changes nothing). Withdrawing hides them from
    the organization's dashboard, exports and digests at once."""
    if membership.user_id != user.pk:
        raise OrganizationRefused(
            "Only the member can decide what they share.", code="membership.not_yours"
        )
    now = timezone.now()
    rows = Membership.objects.active().filter(pk=membership.pk)
    if consent:
        changed = rows.filter(consent_given_at__isnull=True).update(
            consent_given_at=now
        )
        action = AuditEvent.Action.CONSENT_GIVEN
    else:
        changed = rows.filter(consent_given_at__isnull=False).update(
            consent_given_at=None, consent_withdrawn_at=now
        )
        action = AuditEvent.Action.CONSENT_WITHDRAWN
    if not changed:
        return False
    membership.refresh_from_db(fields=["consent_given_at", "consent_withdrawn_at"])
    _record(action, membership, actor=user)
    return True


@transaction.atomic
def membership_leave(*, membership: Membership, user) -> bool:
    """The member leaves the organization (only they can): the membership ends
    (`left_at`, kept as history) and with it any sharing. Returns whether it was
    active. They may join again later, with a new invitation or link."""
    if membership.user_id != user.pk:
        raise OrganizationRefused(
            "Only the member can leave.", code="membership.not_yours"
        )
    now = timezone.now()
    was_sharing = membership.consent_given_at is not None
    left = (
        Membership.objects.active()
        .filter(pk=membership.pk)
        .update(
            left_at=now,
            consent_given_at=None,
            consent_withdrawn_at=now
            if was_sharing
            else membership.consent_withdrawn_at,
        )
    )
    if not left:
        return False
    membership.refresh_from_db()
    _record(
        AuditEvent.Action.MEMBERSHIP_LEFT,
        membership,
        actor=user,
        was_sharing=was_sharing,
    )
    return True


@transaction.atomic
def membership_add_by_staff(
    *,
    organization: Organization,
    user,
    role: str,
    job_role: JobRole | None,
    by,
) -> tuple[Membership, bool]:
    """Site staff add someone (typically the first administrator) from the admin.
    No consent is given for them: only the member can give it."""
    membership, created = membership_join(
        organization=organization,
        user=user,
        job_role=job_role,
        consent=False,
        via="staff",
        actor=by,
        role=role,
    )
    if not created:
        raise AlreadyMember(f"{user} is already a member of {organization}.")
    return membership, created


@transaction.atomic
def membership_update_by_staff(
    *, membership: Membership, role: str, job_role: JobRole | None, by
) -> list[str]:
    """Site staff change a member's role or job role (the admin); returns the
    fields changed and records membership.role_changed with old and new values."""
    stored = Membership.objects.select_for_update().get(pk=membership.pk)
    changes = {}
    if stored.role != role:
        changes["role"] = {"from": stored.role, "to": role}
    if stored.job_role_id != (job_role.pk if job_role else None):
        changes["job_role"] = {
            "from": stored.job_role.name if stored.job_role_id else "",
            "to": job_role.name if job_role else "",
        }
    if not changes:
        return []
    stored.role, stored.job_role = role, job_role
    stored.save(update_fields=["role", "job_role"])
    _record(
        AuditEvent.Action.MEMBERSHIP_ROLE_CHANGED, stored, actor=by, changes=changes
    )
    return list(changes)


@transaction.atomic
def organization_save(
    *,
    organization: Organization,
    by,
    changed: list[str],
    related: list | None = None,
) -> None:
    """Saves an organization edited by site staff (the admin) and records what
    changed (organization.changed): its fields with their new values, and
    `related`, the admin's description of its job roles and requirements added,
    changed or deleted."""
    creating = organization.pk is None
    organization.save()
    if creating or changed or related:
        audit_record(
            action=AuditEvent.Action.ORGANIZATION_CHANGED,
            actor=by,
            target=organization,
            data={
                "created": creating,
                "changed": {
                    name: str(getattr(organization, name)) for name in sorted(changed)
                },
                "related": related or [],
            },
        )
