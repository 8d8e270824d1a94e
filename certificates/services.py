"""Writes of certificates, outside cards and renewal reminders.

Views, admin actions, Celery tasks and commands call these; nothing else changes
Certificate, ExternalCertificate or RenewalReminder rows. Every function is safe to call
twice with the same input: the second call finds the work done and does nothing.

E-mail semantics (what "sent once" means here):
- The issue e-mail and an outside card's decision e-mail are sent while the row is
  locked (`select_for_update`) and marked sent in the same transaction, so concurrent
  or repeated calls send one. A failure to send rolls the mark back and raises, for the
  task to retry.
- A renewal reminder is claimed by inserting its RenewalReminder row (unique per
  certificate and kind) in the transaction that sends it: a concurrent run waits on
  the row and then skips it, a failed send leaves no row, so the next run sends it.
In both cases the only way to send twice is the database failing to commit after the
mail server accepted the message; nothing that fails before that loses an e-mail.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Enrollment
from courses.services import enrollments_activate_waiting

from .codes import generate_code
from .models import Certificate, ExternalCertificate, RenewalReminder
from .pdf import CertificateDocument, format_date, render_certificate_pdf
from .selectors import (
    REMINDER_DAYS_BEFORE_EXPIRY,
    certificates_due_for_reminder,
    courses_accepting_outside_cards,
)

logger = logging.getLogger(__name__)

# A fresh code collides with an existing one once in 2**60 draws; a handful of redraws
# turns "never" into "never, even with a broken random source".
CODE_ATTEMPTS = 5
EXTERNAL_CARD_TYPES = {"application/pdf", "image/jpeg", "image/png"}
ONE_PENDING_CARD = (
    "You already have a card waiting for review. Staff review one card at a time: "
    "we e-mail you their decision, and you can upload another card after that."
)


class CertificateNotIssuable(Exception):
    """The enrollment cannot get a certificate (yet); the message says why."""


class HolderNameMissing(CertificateNotIssuable):
    """The learner has no legal name on file, and a certificate must print one."""


# --- E-mail -------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _email(
    *,
    template: str,
    subject: str,
    to: str,
    context: dict,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """An HTML + plain-text message from templates/emails/<template>.{txt,html}."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "issuer_name": settings.CERTIFICATE_ISSUER_NAME,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}.html", context), "text/html"
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


# --- Issuing ------------------------------------------------------------------------


def certificate_expiry(*, issued_on: date, validity_months: int) -> date:
    """The last day of the month `validity_months` after `issued_on` (AHA convention):
    issued 23 November 2026 for 24 months, valid through 30 November 2028."""
    if validity_months < 1:
        raise CertificateNotIssuable(
            "The course has no validity period; set its validity in months."
        )
    months = issued_on.month - 1 + validity_months
    year, month = issued_on.year + months // 12, months % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def certificate_document(*, certificate: Certificate) -> CertificateDocument:
    """What the PDF prints: the certificate's snapshot, never the live course/user."""
    return CertificateDocument(
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        course_code=certificate.course_code,
        hours=certificate.hours,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        code=certificate.code,
        verify_url=certificate.verify_url,
        issuer_name=settings.CERTIFICATE_ISSUER_NAME,
    )


@transaction.atomic
def _certificate_create(*, enrollment: Enrollment) -> Certificate:
    # The enrollment row lock makes concurrent issuers queue; the unique constraint on
    # Certificate.enrollment backs it up where there are no row locks (SQLite).
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user", "course")
        .get(pk=enrollment.pk)
    )
    existing = Certificate.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        return existing
    if enrollment.status != Enrollment.Status.COMPLETED:
        raise CertificateNotIssuable(f"Enrollment {enrollment.pk} is not completed.")
    user, course = enrollment.user, enrollment.course
    holder_name = user.legal_name.strip()
    if not holder_name:
        raise HolderNameMissing(f"User {user.pk} has no legal name on file.")
    # The certificate states the day the learner completed, even when it is issued
    # later (the broker was down and the sweeper caught up).
    issued_on = timezone.localdate(enrollment.completed_at)
    fields = {
        "enrollment": enrollment,
        "user": user,
        "course": course,
        "holder_name": holder_name,
        "course_title": course.title,
        "course_code": course.code,
        "hours": course.hours,
        "issued_on": issued_on,
        "expires_on": certificate_expiry(
            issued_on=issued_on, validity_months=course.validity_months
        ),
    }
    for _ in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    code=generate_code(course.code), **fields
                )
        except IntegrityError:
            existing = Certificate.objects.filter(enrollment=enrollment).first()
            if existing is not None:
                return existing  # a concurrent issuer won
            continue  # the code was taken: draw another
        # Bundle enrollments waiting for this certificate (BLS before ACLS) open now.
        enrollments_activate_waiting(user=user)
        return certificate
    raise RuntimeError(f"No free certificate code after {CODE_ATTEMPTS} draws.")


def certificate_pdf_ensure(*, certificate: Certificate) -> Certificate:
    """Renders and stores the certificate's PDF unless storage already holds it.

    Returns the certificate as stored. Storage errors (OSError) propagate; the
    certificate row is untouched by them.
    """
    storage = certificate.pdf.storage
    if certificate.pdf.name and storage.exists(certificate.pdf.name):
        return certificate
    content = render_certificate_pdf(certificate_document(certificate=certificate))
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.pdf.name and storage.exists(locked.pdf.name):
            return locked  # rendered meanwhile by a concurrent call
        name = locked.pdf.name or f"certificates/{locked.code}.pdf"
        if storage.exists(name):
            storage.delete(name)  # left by a run that died before recording it
        locked.pdf.name = storage.save(name, ContentFile(content))
        locked.save(update_fields=["pdf"])
    return locked


def _certificate_issued_email(*, certificate: Certificate) -> Certificate:
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=certificate.pk)
        )
        if locked.emailed_at is not None or locked.status != Certificate.Status.VALID:
            return locked
        with locked.pdf.open("rb") as pdf:
            content = pdf.read()
        message = _email(
            template="certificate_issued",
            subject=f"Your {locked.course_title} certificate",
            to=locked.user.email,
            context={
                "certificate": locked,
                "expires_on": format_date(locked.expires_on),
                "issued_on": format_date(locked.issued_on),
                "download_url": _absolute(
                    reverse("certificates:pdf", args=[locked.code])
                ),
                "dashboard_url": _absolute(reverse("courses:dashboard")),
            },
            attachments=[(locked.pdf_filename, content, "application/pdf")],
        )
        mailers.default.send_messages([message])
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    return locked


def certificate_issue(*, enrollment: Enrollment) -> Certificate:
    """Issues the certificate of a completed enrollment, or finishes issuing it.

    In order, each step skipped when already done, so a retry resumes where the last
    attempt failed:
    1. creates the Certificate (one per enrollment: a concurrent or repeated call gets
       the existing one) and, in the same transaction, activates the learner's waiting
       bundle enrollments that this certificate unblocks;
    2. renders the PDF and stores it in the default storage;
    3. e-mails the learner a download link with the PDF attached, once.
    The row is committed before rendering, so a render, storage or mail failure never
    loses it; those errors (OSError, which includes SMTP errors) propagate for the
    caller to retry. Raises HolderNameMissing when the learner has no legal name, and
    CertificateNotIssuable when the enrollment is not completed.
    """
    certificate = _certificate_create(enrollment=enrollment)
    certificate = certificate_pdf_ensure(certificate=certificate)
    return _certificate_issued_email(certificate=certificate)


def certificate_holder_name_request(*, enrollment: Enrollment) -> None:
    """E-mails a learner who completed a course without a legal name on file that the
    certificate waits for it (it is issued as soon as they add it)."""
    user = enrollment.user
    message = _email(
        template="certificate_name_needed",
        subject=f"Add your legal name to receive your {enrollment.course.title} "
        "certificate",
        to=user.email,
        context={
            "course": enrollment.course,
            "profile_url": _absolute(reverse("accounts:profile")),
        },
    )
    mailers.default.send_messages([message])


def certificates_issue_waiting_for_name(*, user) -> int:
    """Enqueues, after commit, the certificates of the user's completed enrollments
    that have none (they waited for a legal name). Returns how many were enqueued."""
    from .tasks import issue_certificate

    waiting = list(
        Enrollment.objects.filter(
            user=user, status=Enrollment.Status.COMPLETED, certificate__isnull=True
        ).values_list("pk", flat=True)
    )
    for enrollment_id in waiting:
        issue_certificate.delay_on_commit(enrollment_id)
    return len(waiting)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by, reason: str) -> bool:
    """Revokes the certificate, recording who, when and why. From then on it verifies
    as revoked and no longer meets prerequisites. Returns False (and changes nothing)
    when it was already revoked."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for revoking the certificate.")
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status == Certificate.Status.REVOKED:
        return False
    locked.status = Certificate.Status.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    logger.info("Certificate %s revoked by user %s", locked.code, by.pk)
    return True


# --- Renewal reminders --------------------------------------------------------------

_REMINDER_SUBJECTS = {
    RenewalReminder.Kind.DAYS_90: "Your {course} certificate expires in 90 days",
    RenewalReminder.Kind.DAYS_30: "Your {course} certificate expires in 30 days",
    RenewalReminder.Kind.DAYS_7: "Your {course} certificate expires in 7 days",
    RenewalReminder.Kind.EXPIRED: "Your {course} certificate has expired",
}


def _reminder_message(
    *, certificate: Certificate, kind: str, today: date
) -> EmailMultiAlternatives:
    course, user = certificate.course, certificate.user
    profile_url = _absolute(reverse("accounts:profile"))
    return _email(
        template="renewal_reminder",
        subject=_REMINDER_SUBJECTS[kind].format(course=certificate.course_title),
        to=user.email,
        context={
            "certificate": certificate,
            "kind": kind,
            "expired": kind == RenewalReminder.Kind.EXPIRED,
            "days_left": REMINDER_DAYS_BEFORE_EXPIRY[kind],
            "expires_on": format_date(certificate.expires_on),
            "renew_url": _absolute(course.get_absolute_url()),
            "course_published": course.is_published,
            "profile_url": profile_url,
            "today": today,
        },
        headers={"List-Unsubscribe": f"<{profile_url}>"},
    )


def renewal_reminder_send(
    *, certificate: Certificate, kind: str, today: date, mailer=None
) -> bool:
    """Sends one renewal reminder unless it was sent already; True if sent now.

    The RenewalReminder row is inserted in the transaction that sends the e-mail: a
    concurrent sender blocks on it and then skips, and a failed send (raised) leaves
    no row behind.
    """
    try:
        with transaction.atomic():
            RenewalReminder.objects.create(certificate=certificate, kind=kind)
            message = _reminder_message(certificate=certificate, kind=kind, today=today)
            (mailer or mailers.default).send_messages([message])
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class ReminderRun:
    due: int
    sent: int


def renewal_reminders_send(*, today: date | None = None) -> ReminderRun:
    """Sends every renewal reminder due on `today` (default: today), each once.

    Safe to run any number of times, concurrently too. A mail error stops the run and
    propagates: what was sent stays recorded, and the next run (a retry) sends the rest.
    """
    today = today or timezone.localdate()
    due = list(certificates_due_for_reminder(today=today))
    sent = 0
    if due:
        # One mail-server session for the whole run.
        with mailers.default as mailer:
            for certificate in due:
                sent += renewal_reminder_send(
                    certificate=certificate,
                    kind=certificate.reminder_kind,
                    today=today,
                    mailer=mailer,
                )
    logger.info("Renewal reminders for %s: %d due, %d sent", today, len(due), sent)
    return ReminderRun(due=len(due), sent=sent)


# --- Outside cards ------------------------------------------------------------------


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
    """Records an outside card for staff review (status pending).

    `content_type` is what the caller established from the file's content. Refuses
    (ValidationError, by field) a course no other course requires, a card not current
    today, a file type other than PDF/JPEG/PNG, a card number the learner already
    submitted for the course that is pending or approved, and any card while another
    of the learner's cards waits for review (one pending per learner, backed by the
    external_one_pending_per_user constraint). Nothing is stored when it refuses.
    """
    today = today or timezone.localdate()
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
    if content_type not in EXTERNAL_CARD_TYPES:
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
    elif _pending_card_exists(user=user):
        errors[NON_FIELD_ERRORS] = ONE_PENDING_CARD
    if errors:
        raise ValidationError(errors)
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
        raise ValidationError({NON_FIELD_ERRORS: ONE_PENDING_CARD}) from None
    return card


def _pending_card_exists(*, user) -> bool:
    return ExternalCertificate.objects.filter(
        user=user, status=ExternalCertificate.Status.PENDING
    ).exists()


@transaction.atomic
def external_certificate_review(
    *,
    card: ExternalCertificate,
    by,
    approve: bool,
    note: str = "",
    today: date | None = None,
) -> bool:
    """Approves or rejects an outside card, recording who, when and the note.

    Approval makes the card count as a prerequisite and activates the learner's waiting
    enrollments it unblocks; the learner is e-mailed the decision after commit.
    Returns False (nothing changes) when the card already has that decision. Refuses
    (ValidationError) a rejection without a note, which is the learner's only
    explanation, and approving a card that has expired.
    """
    today = today or timezone.localdate()
    note = note.strip()
    locked = ExternalCertificate.objects.select_for_update().get(pk=card.pk)
    status = (
        ExternalCertificate.Status.APPROVED
        if approve
        else ExternalCertificate.Status.REJECTED
    )
    if locked.status == status:
        return False
    if not approve and not note:
        raise ValidationError("Say why the card is rejected: the learner reads it.")
    if approve and locked.expires_on < today:
        raise ValidationError(
            f"This card expired on {format_date(locked.expires_on)}: it cannot count "
            "as a prerequisite."
        )
    locked.status = status
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.review_note = note
    locked.decision_emailed_at = None
    locked.save(
        update_fields=[
            "status",
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "decision_emailed_at",
        ]
    )
    if approve:
        enrollments_activate_waiting(user=locked.user)
    logger.info("Outside card %s %s by user %s", locked.pk, status, by.pk)

    from .tasks import send_external_card_decision

    send_external_card_decision.delay_on_commit(locked.pk)
    return True


def external_certificate_decision_notify(*, card: ExternalCertificate) -> bool:
    """E-mails the learner the card's current decision, once per decision. True if
    sent now; False when pending, already told, or nothing to tell."""
    with transaction.atomic():
        locked = (
            ExternalCertificate.objects.select_for_update(of=("self",))
            .select_related("user", "course")
            .get(pk=card.pk)
        )
        if (
            locked.status == ExternalCertificate.Status.PENDING
            or locked.decision_emailed_at is not None
        ):
            return False
        approved = locked.status == ExternalCertificate.Status.APPROVED
        message = _email(
            template="external_card_decision",
            subject=f"Your outside {locked.course.code} card was "
            + ("approved" if approved else "not accepted"),
            to=locked.user.email,
            context={
                "card": locked,
                "approved": approved,
                "expires_on": format_date(locked.expires_on),
                "issued_on": format_date(locked.issued_on),
                "upload_url": _absolute(reverse("certificates:external_upload")),
                "catalog_url": _absolute(reverse("courses:catalog")),
                "dashboard_url": _absolute(reverse("courses:dashboard")),
            },
        )
        mailers.default.send_messages([message])
        locked.decision_emailed_at = timezone.now()
        locked.save(update_fields=["decision_emailed_at"])
    return True
