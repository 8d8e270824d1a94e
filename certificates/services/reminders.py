"""Renewal reminders: each (certificate, kind) e-mailed once, claimed before it is
sent (services.emails), recorded in the audit trail once the mail server took it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.dates import site_today

from ..models import Certificate, RenewalReminder
from ..pdf import format_date
from ..selectors import (
    EMAIL_CLAIM_LEASE,
    REMINDER_DAYS_BEFORE_EXPIRY,
    certificates_due_for_reminder,
)
from .emails import absolute, email, message_id, record_sent, send_claimed

logger = logging.getLogger(__name__)

# Renewal reminders sent by one batch task: at a slow relay (1.2 s a message) a full
# batch takes a minute, half the tasks' soft time limit.
REMINDER_BATCH = 50


def _reminder_days() -> str:
    """When reminders go out before expiry, as the e-mail says it: "90, 30 and 7"
    (from REMINDER_DAYS_BEFORE_EXPIRY, the rule the selection uses)."""
    days = sorted(
        (d for d in REMINDER_DAYS_BEFORE_EXPIRY.values() if d > 0), reverse=True
    )
    return " and ".join(filter(None, [", ".join(map(str, days[:-1])), str(days[-1])]))


def _reminder_message(
    *, certificate: Certificate, kind: str, today: date
) -> EmailMultiAlternatives:
    course, user = certificate.course, certificate.user
    profile_url = absolute(reverse("accounts:profile"))
    days_left = (certificate.expires_on - today).days
    expired = kind == RenewalReminder.Kind.EXPIRED
    if expired:
        subject = f"Your {certificate.course_title} certificate has expired"
    elif days_left == 0:
        subject = f"Your {certificate.course_title} certificate expires today"
    else:
        unit = "day" if days_left == 1 else "days"
        subject = (
            f"Your {certificate.course_title} certificate expires in {days_left} {unit}"
        )
    return email(
        template="renewal_reminder",
        subject=subject,
        to=user.email,
        context={
            "certificate": certificate,
            "kind": kind,
            "expired": expired,
            "days_left": days_left,
            "expires_on": format_date(certificate.expires_on),
            "renew_url": absolute(course.get_absolute_url()),
            "course_published": course.is_published,
            "profile_url": profile_url,
            "today": today,
            "reminder_days": _reminder_days(),
        },
        headers={
            "List-Unsubscribe": f"<{profile_url}>",
            "Message-ID": message_id("renewal-reminder", kind, certificate.code),
        },
    )


def _renewal_reminder_claim(
    *, certificate: Certificate, kind: str, now: datetime
) -> bool:
    """Claims (certificate, kind) for sending: True if this caller may send it.

    The row is unique per certificate and kind: a second insert fails, and then only
    a claim that was never marked sent and is older than the lease (its sender died)
    can be taken over, by a compare-and-set on its claim time.
    """
    try:
        with transaction.atomic():
            RenewalReminder.objects.create(
                certificate=certificate, kind=kind, claimed_at=now
            )
    except IntegrityError:
        return (
            RenewalReminder.objects.filter(
                certificate=certificate,
                kind=kind,
                sent_at__isnull=True,
                failed_at__isnull=True,
                claimed_at__lt=now - EMAIL_CLAIM_LEASE,
            ).update(claimed_at=now)
            == 1
        )
    return True


def renewal_reminder_send(
    *, certificate: Certificate, kind: str, today: date, mailer=None
) -> bool:
    """Sends one renewal reminder unless it was claimed, sent or refused already; True
    if sent now. Claim, send, mark (services.emails): a permanent refusal (5xx) is
    marked failed on the row and returns False; any other refused send deletes the
    claim and raises, so the next run sends it. Marking it sent records it in the
    audit trail."""
    message = _reminder_message(certificate=certificate, kind=kind, today=today)
    now = timezone.now()
    if not _renewal_reminder_claim(certificate=certificate, kind=kind, now=now):
        return False
    mine = RenewalReminder.objects.filter(
        certificate=certificate, kind=kind, claimed_at=now, sent_at__isnull=True
    )
    if not send_claimed(
        send=lambda: (mailer or mailers.default).send_messages([message]),
        release=mine.delete,
        fail=lambda reply: mine.update(failed_at=timezone.now(), failure=reply),
        what=f"Renewal reminder {kind} of {certificate.code}",
    ):
        return False
    record_sent(lambda: _renewal_reminder_mark_sent(mine=mine, certificate=certificate))
    return True


@transaction.atomic
def _renewal_reminder_mark_sent(*, mine, certificate: Certificate) -> None:
    """Marks the claimed reminder sent and records it in the audit trail, together:
    one audit event per reminder the mail server took."""
    reminder = mine.select_for_update().first()
    if reminder is None:  # the claim was taken over after its lease: theirs to record
        return
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    audit_record(
        action=AuditEvent.Action.REMINDER_SENT,
        subject=certificate.user,
        target=certificate,
        data={"code": certificate.code, "kind": reminder.kind},
    )


@dataclass(frozen=True)
class ReminderRun:
    due: int
    sent: int
    # Certificates of the batch left for another task (the time budget ran out).
    left: list[int] = field(default_factory=list)


def renewal_reminders_due(*, today: date | None = None) -> list[int]:
    """The ids of the certificates owed a renewal reminder today (catch-up selection:
    certificates_due_for_reminder), for splitting into batches."""
    return list(certificates_due_for_reminder(today=today).values_list("pk", flat=True))


def renewal_reminder_batches(*, today: date | None = None) -> list[list[int]]:
    """The certificates owed a renewal reminder today, in batches of REMINDER_BATCH
    ids: what the daily task queues, one batch task each."""
    ids = renewal_reminders_due(today=today)
    logger.info("Renewal reminders: %d owed", len(ids))
    return [
        ids[start : start + REMINDER_BATCH]
        for start in range(0, len(ids), REMINDER_BATCH)
    ]


def renewal_reminders_send_batch(
    *,
    certificate_ids: Iterable[int],
    today: date | None = None,
    budget: float | None = None,
) -> ReminderRun:
    """Sends the reminders still owed today to the given certificates, each once.

    The selection is made again here, so a certificate renewed, revoked or opted out
    since it was queued gets nothing, and one already sent is skipped. One mail-server
    session for the batch. Once `budget` seconds have passed (after at least one
    send), stops and returns the certificates not yet tried in `left`. A recipient the
    mail server refuses for good is marked failed and the batch goes on; any other
    mail error stops the batch and propagates: what was sent stays recorded.
    """
    today = today or site_today()
    ids = list(certificate_ids)
    due = list(certificates_due_for_reminder(today=today).filter(pk__in=ids))
    deadline = None if budget is None else time.monotonic() + budget
    sent = 0
    left: list[int] = []
    if due:
        with mailers.default as mailer:
            for index, certificate in enumerate(due):
                if index and deadline is not None and time.monotonic() > deadline:
                    left = [c.pk for c in due[index:]]
                    break
                sent += renewal_reminder_send(
                    certificate=certificate,
                    kind=certificate.reminder_kind,
                    today=today,
                    mailer=mailer,
                )
    return ReminderRun(due=len(due), sent=sent, left=left)


def renewal_reminders_send(*, today: date | None = None) -> ReminderRun:
    """Sends every renewal reminder owed on `today` (default: today), each once, in
    batches of REMINDER_BATCH in this process (the command; the Celery task spreads
    the batches over workers instead).

    Safe to run any number of times, concurrently too. A mail error stops the run and
    propagates: what was sent stays recorded, and the next run sends the rest.
    """
    today = today or site_today()
    due = sent = 0
    for batch in renewal_reminder_batches(today=today):
        run = renewal_reminders_send_batch(certificate_ids=batch, today=today)
        due, sent = due + run.due, sent + run.sent
    logger.info("Renewal reminders for %s: %d due, %d sent", today, due, sent)
    return ReminderRun(due=due, sent=sent)
