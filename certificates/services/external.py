"""Outside cards: a learner submits one, staff approve or reject it, the learner is
e-mailed each decision once.

A card row holds its current decision (status, reviewed_by/at, review_note). Staff may
change a decision (a card approved, then found forged, is rejected), so every decision
is also its own audit event, never overwritten: the card's decision history is its
audit trail (certificates.selectors.external_certificate_decisions), shown on its admin
page. The first reviewer is never lost.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.dates import site_today
from core.events import publish
from courses.models import Course
from courses.services import enrollments_activate_waiting

from ..errors import ExternalCardPendingExists, ExternalCardRefused
from ..events import ExternalCardDecided
from ..models import EXTERNAL_CARD_FILE_TYPES, ExternalCertificate
from ..pdf import format_date
from ..selectors import (
    EMAIL_CLAIM_LEASE,
    courses_accepting_outside_cards,
    external_card_pending_exists,
)
from .emails import absolute, email, message_id, record_sent, send_claimed

logger = logging.getLogger(__name__)

ONE_PENDING_CARD = (
    "You already have a card waiting for review. Staff review one card at a time: "
    "we e-mail you their decision, and you can upload another card after that."
)


def _card_audit_data(card: ExternalCertificate, **extra) -> dict:
    return {
        "course": card.course.code,
        "issuer": card.issuer,
        "card_number": card.card_number,
        "issued_on": card.issued_on,
        "expires_on": card.expires_on,
        **extra,
    }


@transaction.atomic
def external_certificate_submit(
    *,
    user,
    course: Course,
    issuer: str,
    card_number: str,
    issued_on: date,
    expires_on: date,
    file: UploadedFile,
    content_type: str,
    today: date | None = None,
) -> ExternalCertificate:
    """Records an outside card for staff review (status pending) and its audit event.

    `content_type` is what the caller established from the file's content. Refuses
    (ExternalCardRefused, by field) a course no other course requires, a card not
    current today, a file type other than PDF/JPEG/PNG, a card number the learner
    already submitted for the course that is pending or approved; and
    (ExternalCardPendingExists) any card while another of the learner's cards waits
    for review (one pending per learner, backed by the external_one_pending_per_user
    constraint). Nothing is stored when it refuses.
    """
    today = today or site_today()
    card_number = card_number.strip()
    errors: dict[str, str] = {}
    if not courses_accepting_outside_cards().filter(pk=course.pk).exists():
        errors["course"] = "Outside cards are accepted only for prerequisite courses."
    if issued_on > today:
        errors["issued_on"] = "The issue date cannot be in the future."
    if expires_on <= today:
        errors["expires_on"] = (
            "This card has expired; only a current card can count as a prerequisite."
        )
    elif expires_on <= issued_on:
        errors["expires_on"] = "The expiry date must be after the issue date."
    if content_type not in EXTERNAL_CARD_FILE_TYPES:
        errors["file"] = "Upload a PDF, JPEG or PNG file."
    duplicate = ExternalCertificate.objects.filter(
        user=user,
        course=course,
        card_number__iexact=card_number,
        status__in=[
            ExternalCertificate.Status.PENDING,
            ExternalCertificate.Status.APPROVED,
        ],
    )
    if "course" not in errors and duplicate.exists():
        errors["card_number"] = "You already uploaded this card."
    elif external_card_pending_exists(user=user):
        errors[NON_FIELD_ERRORS] = ONE_PENDING_CARD
    if list(errors) == [NON_FIELD_ERRORS]:
        raise ExternalCardPendingExists(ONE_PENDING_CARD, fields=errors)
    if errors:
        raise ExternalCardRefused(" ".join(errors.values()), fields=errors)
    card = ExternalCertificate(
        user=user,
        course=course,
        issuer=issuer.strip(),
        card_number=card_number,
        issued_on=issued_on,
        expires_on=expires_on,
        content_type=content_type,
        file=file,
    )
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:
        # A concurrent upload won the one-pending constraint: drop our stored file.
        if card.file.name:
            card.file.storage.delete(card.file.name)
        raise ExternalCardPendingExists(
            ONE_PENDING_CARD, fields={NON_FIELD_ERRORS: ONE_PENDING_CARD}
        ) from None
    audit_record(
        action=AuditEvent.Action.CARD_SUBMITTED,
        actor=user,
        subject=user,
        target=card,
        data=_card_audit_data(card),
    )
    return card


@transaction.atomic
def external_certificate_review(
    *,
    card: ExternalCertificate,
    by,
    approve: bool,
    note: str = "",
    today: date | None = None,
) -> bool:
    """Approves or rejects an outside card, recording who, when and the note on the
    card (its current decision) and as a new audit event (its history).

    Approval makes the card count as a prerequisite and activates the learner's waiting
    enrollments it unblocks; the learner is e-mailed the decision after commit. A
    decided card may be decided again the other way (approved, then found forged); the
    earlier decision stays in the history. Returns False (nothing changes) when the
    card already has that decision. Refuses (ExternalCardRefused) a rejection without
    a note, which is the learner's only explanation, and approving an expired card.
    """
    today = today or site_today()
    note = note.strip()
    locked = (
        ExternalCertificate.objects.select_for_update(of=("self",))
        .select_related("user", "course", "reviewed_by")
        .get(pk=card.pk)
    )
    status = (
        ExternalCertificate.Status.APPROVED
        if approve
        else ExternalCertificate.Status.REJECTED
    )
    if locked.status == status:
        return False
    if not approve and not note:
        raise ExternalCardRefused(
            "Say why the card is rejected: the learner reads it.",
            code="external_card.note_missing",
        )
    if approve and locked.expires_on < today:
        raise ExternalCardRefused(
            f"This card expired on {format_date(locked.expires_on)}: it cannot count "
            "as a prerequisite.",
            code="external_card.expired",
        )
    previous = {
        "previous_status": locked.status,
        "previous_reviewer": getattr(locked.reviewed_by, "email", None),
    }
    locked.status = status
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.review_note = note
    # A new decision is a new e-mail: unclaimed, unsent, not refused.
    locked.decision_emailed_at = None
    locked.decision_email_claimed_at = None
    locked.decision_email_failed_at = None
    locked.decision_email_failure = ""
    locked.save(
        update_fields=[
            "status",
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "decision_emailed_at",
            "decision_email_claimed_at",
            "decision_email_failed_at",
            "decision_email_failure",
        ]
    )
    audit_record(
        action=AuditEvent.Action.CARD_APPROVED
        if approve
        else AuditEvent.Action.CARD_REJECTED,
        actor=by,
        subject=locked.user,
        target=locked,
        data=_card_audit_data(locked, note=note, **previous),
    )
    if approve:
        enrollments_activate_waiting(user=locked.user)
    logger.info("Outside card %s %s by user %s", locked.pk, status, by.pk)

    # After commit, handlers.py queues the decision e-mail.
    publish(ExternalCardDecided(card_id=locked.pk))
    return True


def _decision_message(card: ExternalCertificate) -> EmailMultiAlternatives:
    approved = card.status == ExternalCertificate.Status.APPROVED
    return email(
        template="external_card_decision",
        subject=f"Your outside {card.course.code} card was "
        + ("approved" if approved else "not accepted"),
        to=card.user.email,
        context={
            "card": card,
            "approved": approved,
            "expires_on": format_date(card.expires_on),
            "issued_on": format_date(card.issued_on),
            "upload_url": absolute(reverse("certificates:external_upload")),
            "catalog_url": absolute(reverse("courses:catalog")),
            "dashboard_url": absolute(reverse("courses:dashboard")),
        },
        # One per card and decision: a re-decision is a new e-mail.
        headers={
            "Message-ID": message_id(
                "card-decision",
                str(card.pk),
                card.status,
                card.reviewed_at.strftime("%Y%m%d%H%M%S%f"),
            )
        },
    )


def external_certificate_decision_notify(*, card_id: int) -> bool:
    """E-mails the learner the card's current decision, once per decision: claim,
    send with a Message-ID per card and decision, mark (services.emails). True if
    sent now; False when pending, already told, claimed by another sender, refused
    for good by the mail server (recorded on the card), or the card is gone."""
    card = (
        ExternalCertificate.objects.select_related("user", "course")
        .filter(pk=card_id)
        .first()
    )
    if (
        card is None
        or card.status == ExternalCertificate.Status.PENDING
        or card.decision_emailed_at is not None
        or card.decision_email_failed_at is not None
    ):
        return False
    # Built before the claim: a template error never leaves one behind.
    message = _decision_message(card)
    now = timezone.now()
    claimable = Q(decision_email_claimed_at__isnull=True) | Q(
        decision_email_claimed_at__lt=now - EMAIL_CLAIM_LEASE
    )
    # The decision the message states: a re-decision meanwhile is not claimed here
    # (its own task tells it).
    decision = {"status": card.status, "reviewed_at": card.reviewed_at}
    if not ExternalCertificate.objects.filter(
        claimable,
        pk=card.pk,
        decision_emailed_at__isnull=True,
        decision_email_failed_at__isnull=True,
        **decision,
    ).update(decision_email_claimed_at=now):
        return False
    mine = ExternalCertificate.objects.filter(
        pk=card.pk, decision_email_claimed_at=now, **decision
    )
    if not send_claimed(
        send=lambda: mailers.default.send_messages([message]),
        release=lambda: mine.update(decision_email_claimed_at=None),
        fail=lambda reply: mine.update(
            decision_email_failed_at=timezone.now(), decision_email_failure=reply
        ),
        what=f"Decision e-mail of outside card {card.pk}",
    ):
        return False
    record_sent(lambda: mine.update(decision_emailed_at=timezone.now()))
    return True
