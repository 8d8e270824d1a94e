"""The weekly digest to an organization's administrators, sent once per ISO week.

What it lists, since the last digest sent to the organization (the snapshot that
digest stored): members newly compliant, required credentials that entered the
"expiring" window (EXPIRING_WITHIN_DAYS), and required credentials that lapsed
(current then, not now). Only members who share their status appear; the first
digest compares against nothing, so it lists everyone's state as new.

Sent once: claim, send, mark, as certificates' e-mails are
(certificates/services/emails.py). The claim is the WeeklyDigest row, unique per
organization and ISO week, inserted in its own committed transaction before the
mail server is contacted; a second beat, a retry or a concurrent run finds it and
sends nothing. A claim never marked sent and older than EMAIL_CLAIM_LEASE (its
sender died) is taken over by a compare-and-set on its claim time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from certificates.selectors import EMAIL_CLAIM_LEASE
from certificates.services.emails import message_id, record_sent, send_claimed
from core.dates import site_today

from ..models import Organization, WeeklyDigest
from ..selectors import (
    EXPIRING_WITHIN_DAYS,
    Cell,
    Compliance,
    MemberRow,
    Status,
    Totals,
    compliance_for,
    digest_last_sent,
    digest_recipients,
)

logger = logging.getLogger(__name__)

# Names listed per section of the e-mail; the dashboard has the rest.
DIGEST_LIST_LIMIT = 50


def compliance_snapshot(compliance: Compliance) -> dict:
    """What the next digest compares against: who is compliant, which required
    courses each member holds, and which are expiring (membership ids as text:
    JSON keys)."""
    holds: dict[str, list[int]] = {}
    expiring: dict[str, list[int]] = {}
    for row in compliance.rows:
        key = str(row.member.pk)
        holds[key] = [c.course.pk for c in row.required if c.holds]
        expiring[key] = [c.course.pk for c in row.required if c.status == "expiring"]
    return {
        "compliant": sorted(row.member.pk for row in compliance.rows if row.compliant),
        "holds": holds,
        "expiring": expiring,
    }


@dataclass(frozen=True)
class DigestContent:
    organization: Organization
    totals: Totals
    first: bool
    since: date | None
    newly_compliant: list[MemberRow]
    expiring: list[tuple[MemberRow, Cell]]
    lapsed: list[tuple[MemberRow, Cell]]

    @property
    def changes(self) -> int:
        return len(self.newly_compliant) + len(self.expiring) + len(self.lapsed)


def digest_content(
    *, compliance: Compliance, previous: dict | None, since: date | None = None
) -> DigestContent:
    """The changes between `previous` (a snapshot, None for the first digest) and
    now. Reads nothing from the database."""
    previous = previous or {}
    was_compliant = set(previous.get("compliant", []))
    held = previous.get("holds", {})
    was_expiring = previous.get("expiring", {})
    newly, expiring, lapsed = [], [], []
    for row in compliance.rows:
        key = str(row.member.pk)
        if row.compliant and row.required and row.member.pk not in was_compliant:
            newly.append(row)
        for cell in row.required:
            if (
                cell.status == Status.EXPIRING
                and cell.course.pk not in was_expiring.get(key, [])
            ):
                expiring.append((row, cell))
            if not cell.holds and cell.course.pk in held.get(key, []):
                lapsed.append((row, cell))
    return DigestContent(
        organization=compliance.organization,
        totals=compliance.totals,
        first=not previous,
        since=since,
        newly_compliant=sorted(newly, key=lambda r: r.name.lower()),
        expiring=sorted(expiring, key=lambda pair: pair[1].expires_on or date.max),
        lapsed=sorted(lapsed, key=lambda pair: pair[0].name.lower()),
    )


def _digest_message(
    *, content: DigestContent, recipients: list[str], iso_year: int, iso_week: int
) -> EmailMultiAlternatives:
    organization = content.organization
    context = {
        "content": content,
        "limit": DIGEST_LIST_LIMIT,
        "newly_compliant": content.newly_compliant[:DIGEST_LIST_LIMIT],
        "expiring": content.expiring[:DIGEST_LIST_LIMIT],
        "lapsed": content.lapsed[:DIGEST_LIST_LIMIT],
        "more_compliant": max(0, len(content.newly_compliant) - DIGEST_LIST_LIMIT),
        "more_expiring": max(0, len(content.expiring) - DIGEST_LIST_LIMIT),
        "more_lapsed": max(0, len(content.lapsed) - DIGEST_LIST_LIMIT),
        "expiring_days": EXPIRING_WITHIN_DAYS,
        "dashboard_url": settings.SITE_URL
        + reverse("organizations:dashboard", args=[organization.slug]),
        "week": f"{iso_year}-W{iso_week:02d}",
        "site_name": settings.SITE_NAME,
    }
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {organization.name}: weekly compliance "
        f"digest ({content.totals.sentence})",
        body=render_to_string("emails/organization_digest.txt", context),
        to=recipients,
        headers={
            "Message-ID": message_id(
                "weekly-digest", organization.slug, f"{iso_year}-W{iso_week:02d}"
            )
        },
    )
    message.attach_alternative(
        render_to_string("emails/organization_digest.html", context), "text/html"
    )
    return message


def _digest_claim(
    *,
    organization: Organization,
    iso_year: int,
    iso_week: int,
    now,
    snapshot: dict,
    recipients: list[str],
) -> bool:
    """Claims the organization's digest of the week: True if this caller may send
    it. The insert commits on its own; a second one fails on the unique
    constraint, and then only a claim never sent, never refused and older than
    the lease can be taken over."""
    try:
        with transaction.atomic():
            WeeklyDigest.objects.create(
                organization=organization,
                iso_year=iso_year,
                iso_week=iso_week,
                claimed_at=now,
                snapshot=snapshot,
                recipients=recipients,
            )
    except IntegrityError:
        return (
            WeeklyDigest.objects.filter(
                organization=organization,
                iso_year=iso_year,
                iso_week=iso_week,
                sent_at__isnull=True,
                failed_at__isnull=True,
                claimed_at__lt=now - EMAIL_CLAIM_LEASE,
            ).update(claimed_at=now, snapshot=snapshot, recipients=recipients)
            == 1
        )
    return True


def weekly_digest_send(
    *,
    organization_id: int,
    iso_year: int,
    iso_week: int,
    today: date | None = None,
    mailer=None,
) -> bool:
    """E-mails the organization's active administrators its digest of the ISO week,
    once; True if sent now. Nothing for an organization without administrators.
    A permanent refusal (5xx) is marked failed and returns False; any other
    refused send deletes the claim and raises, for the task to retry. Marking it
    sent records digest.sent in the audit trail."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return False
    recipients = digest_recipients(organization=organization)
    if not recipients:
        return False
    if (
        WeeklyDigest.objects.filter(
            organization=organization, iso_year=iso_year, iso_week=iso_week
        )
        .exclude(sent_at__isnull=True, failed_at__isnull=True)
        .exists()
    ):
        return False
    compliance = compliance_for(organization=organization, today=today or site_today())
    last = digest_last_sent(organization=organization)
    content = digest_content(
        compliance=compliance,
        previous=last.snapshot if last else None,
        since=timezone.localtime(last.sent_at).date() if last else None,
    )
    message = _digest_message(
        content=content, recipients=recipients, iso_year=iso_year, iso_week=iso_week
    )
    now = timezone.now()
    if not _digest_claim(
        organization=organization,
        iso_year=iso_year,
        iso_week=iso_week,
        now=now,
        snapshot=compliance_snapshot(compliance),
        recipients=recipients,
    ):
        return False
    mine = WeeklyDigest.objects.filter(
        organization=organization,
        iso_year=iso_year,
        iso_week=iso_week,
        claimed_at=now,
        sent_at__isnull=True,
    )
    if not send_claimed(
        send=lambda: (mailer or mailers.default).send_messages([message]),
        release=mine.delete,
        fail=lambda reply: mine.update(failed_at=timezone.now(), failure=reply),
        what=f"Weekly digest {iso_year}-W{iso_week:02d} of {organization.slug}",
    ):
        return False
    record_sent(lambda: _digest_mark_sent(mine=mine, content=content))
    return True


@transaction.atomic
def _digest_mark_sent(*, mine, content: DigestContent) -> None:
    digest = mine.select_for_update().first()
    if digest is None:  # taken over after its lease: theirs to record
        return
    digest.sent_at = timezone.now()
    digest.save(update_fields=["sent_at"])
    audit_record(
        action=AuditEvent.Action.DIGEST_SENT,
        target=digest,
        data={
            "organization": digest.organization.slug,
            "week": f"{digest.iso_year}-W{digest.iso_week:02d}",
            "recipients": digest.recipients,
            "newly_compliant": len(content.newly_compliant),
            "expiring": len(content.expiring),
            "lapsed": len(content.lapsed),
        },
    )


def weekly_digest_week(today: date | None = None) -> tuple[int, int]:
    """The ISO (year, week) a digest run on `today` belongs to."""
    year, week, _ = (today or site_today()).isocalendar()
    return year, week
