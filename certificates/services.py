"""Writes of certificates, outside cards and renewal reminders.

Views, admin actions, Celery tasks and commands call these; nothing else changes
Certificate, ExternalCertificate or RenewalReminder rows. Every function is safe to call
twice with the same input: the second call finds the work done and does nothing.

E-mail semantics of the issue e-mail and renewal reminders (what "sent once" means):
1. claim: a committed write says "being sent" (Certificate.email_claimed_at, or the
   RenewalReminder row, unique per certificate and kind, with `claimed_at`); a
   concurrent or repeated call finds the claim and sends nothing;
2. send, with a Message-ID that is the same for every attempt at the same e-mail
   (`<certificate-issued.CODE@host>`, `<renewal-reminder.KIND.CODE@host>`);
3. mark it sent (`emailed_at`, `sent_at`), retrying a dropped database connection.
A send the mail server refused releases the claim and raises, for the task to retry.
A crash or an unclear failure (timeout, dropped connection) between claim and mark
leaves the claim: nothing is resent until it is older than EMAIL_CLAIM_LEASE; then the
sweeper (issue e-mail) or the next reminder run sends it again with the same
Message-ID, which lets mail systems drop the copy if the first one had got through.
docs/OPERATIONS.md ("E-mail delivery") says what that window costs.
"""

from __future__ import annotations

import calendar
import logging
import smtplib
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Enrollment
from courses.services import enrollments_activate_waiting

from .codes import generate_code
from .models import Certificate, ExternalCertificate, RenewalReminder
from .pdf import CertificateDocument, format_date, render_certificate_pdf
from .selectors import (
    EMAIL_CLAIM_LEASE,
    certificates_due_for_reminder,
    certificates_not_emailed,
    courses_accepting_outside_cards,
    enrollments_missing_certificate,
    external_certificates_not_told,
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
# Recording "sent" after the mail server took a message: attempts on a fresh database
# connection (0.5 s, 1 s, 2 s, 4 s apart) before the claim is left to its lease.
MARK_ATTEMPTS = 5
# Renewal reminders sent by one batch task: at a slow relay (1.2 s a message) a full
# batch takes a minute, half the tasks' soft time limit.
REMINDER_BATCH = 50


class CertificateNotIssuable(Exception):
    """The enrollment cannot get a certificate (yet); the message says why."""


class HolderNameMissing(CertificateNotIssuable):
    """The learner has no legal name on file, and a certificate must print one."""


# --- E-mail -------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def message_id(*parts: str) -> str:
    """The Message-ID of one e-mail, the same on every attempt to send it, so a mail
    system that received it already can drop a second copy."""
    domain = urlsplit(settings.SITE_URL).hostname or "lifeline"
    return f"<{'.'.join(parts)}@{domain}>"


def _refused(error: BaseException) -> bool:
    """True when the mail server cannot have taken the message: no connection, or it
    answered with an error code. A timeout or a connection dropped during the
    transaction leaves it unknown (the message may be queued on the other side)."""
    return isinstance(
        error,
        (
            ConnectionRefusedError,
            socket.gaierror,
            smtplib.SMTPConnectError,
            smtplib.SMTPResponseException,  # any error reply, incl. DATA refused
            smtplib.SMTPRecipientsRefused,
        ),
    )


def _send_claimed(*, send: Callable[[], object], release: Callable[[], object]):
    """Sends a claimed e-mail; a refused send releases the claim, then raises."""
    try:
        send()
    except BaseException as error:
        if _refused(error):
            release()
        raise


def _record_sent(update: Callable[[], object]) -> None:
    """Records that the mail server took a message. It has it, so a database error
    here must not lead to a resend: reconnect and try again a few times, then give up
    to the claim's lease (which keeps it from being resent until it expires)."""
    for attempt in range(MARK_ATTEMPTS):
        try:
            update()
            return
        except (OperationalError, InterfaceError):
            if attempt == MARK_ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            logger.warning(
                "Recording a sent e-mail failed; reconnecting", exc_info=True
            )
            connection.close()
            time.sleep(0.5 * 2**attempt)


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


def _certificate_issued_message(*, certificate: Certificate) -> EmailMultiAlternatives:
    with certificate.pdf.open("rb") as pdf:
        content = pdf.read()
    return _email(
        template="certificate_issued",
        subject=f"Your {certificate.course_title} certificate",
        to=certificate.user.email,
        context={
            "certificate": certificate,
            "expires_on": format_date(certificate.expires_on),
            "issued_on": format_date(certificate.issued_on),
            "download_url": _absolute(
                reverse("certificates:pdf", args=[certificate.code])
            ),
            "dashboard_url": _absolute(reverse("courses:dashboard")),
        },
        attachments=[(certificate.pdf_filename, content, "application/pdf")],
        headers={"Message-ID": message_id("certificate-issued", certificate.code)},
    )


def _certificate_issued_email(*, certificate: Certificate) -> Certificate:
    """Claim, send, mark (module docstring). Returns the certificate as stored."""
    certificate = Certificate.objects.select_related("user").get(pk=certificate.pk)
    if (
        certificate.emailed_at is not None
        or certificate.status != Certificate.Status.VALID
    ):
        return certificate
    # Built before the claim: a template or storage error never leaves one behind.
    message = _certificate_issued_message(certificate=certificate)
    now = timezone.now()
    claimable = Q(email_claimed_at__isnull=True) | Q(
        email_claimed_at__lt=now - EMAIL_CLAIM_LEASE
    )
    claimed = (
        Certificate.objects.filter(
            claimable,
            pk=certificate.pk,
            emailed_at__isnull=True,
            status=Certificate.Status.VALID,
        ).update(email_claimed_at=now)
        == 1
    )
    if claimed:
        mine = Certificate.objects.filter(pk=certificate.pk, email_claimed_at=now)
        _send_claimed(
            send=lambda: mailers.default.send_messages([message]),
            release=lambda: mine.update(email_claimed_at=None),
        )
        _record_sent(lambda: mine.update(emailed_at=timezone.now()))
    certificate.refresh_from_db()
    return certificate


def certificate_issue(*, enrollment: Enrollment) -> Certificate:
    """Issues the certificate of a completed enrollment, or finishes issuing it.

    In order, each step skipped when already done, so a retry resumes where the last
    attempt failed:
    1. creates the Certificate (one per enrollment: a concurrent or repeated call gets
       the existing one) and, in the same transaction, activates the learner's waiting
       bundle enrollments that this certificate unblocks;
    2. renders the PDF and stores it in the default storage;
    3. e-mails the learner a download link with the PDF attached, once (claimed,
       sent with a stable Message-ID, then marked: see the module docstring).
    The row is committed before rendering, so a render, storage or mail failure never
    loses it; those errors (OSError, which includes SMTP errors) propagate for the
    caller to retry, as do database errors. Raises HolderNameMissing when the learner
    has no legal name, and CertificateNotIssuable when the enrollment is not completed.
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


def _reminder_message(
    *, certificate: Certificate, kind: str, today: date
) -> EmailMultiAlternatives:
    course, user = certificate.course, certificate.user
    profile_url = _absolute(reverse("accounts:profile"))
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
    return _email(
        template="renewal_reminder",
        subject=subject,
        to=user.email,
        context={
            "certificate": certificate,
            "kind": kind,
            "expired": expired,
            "days_left": days_left,
            "expires_on": format_date(certificate.expires_on),
            "renew_url": _absolute(course.get_absolute_url()),
            "course_published": course.is_published,
            "profile_url": profile_url,
            "today": today,
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
                claimed_at__lt=now - EMAIL_CLAIM_LEASE,
            ).update(claimed_at=now)
            == 1
        )
    return True


def renewal_reminder_send(
    *, certificate: Certificate, kind: str, today: date, mailer=None
) -> bool:
    """Sends one renewal reminder unless it was claimed or sent already; True if sent
    now. Claim, send, mark (module docstring): a refused send deletes the claim and
    raises, so the next run sends it."""
    message = _reminder_message(certificate=certificate, kind=kind, today=today)
    now = timezone.now()
    if not _renewal_reminder_claim(certificate=certificate, kind=kind, now=now):
        return False
    mine = RenewalReminder.objects.filter(
        certificate=certificate, kind=kind, claimed_at=now, sent_at__isnull=True
    )
    _send_claimed(
        send=lambda: (mailer or mailers.default).send_messages([message]),
        release=mine.delete,
    )
    _record_sent(lambda: mine.update(sent_at=timezone.now()))
    return True


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
    send), stops and returns the certificates not yet tried in `left`. A mail error
    stops the batch and propagates: what was sent stays recorded.
    """
    today = today or timezone.localdate()
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
    today = today or timezone.localdate()
    ids = renewal_reminders_due(today=today)
    due = sent = 0
    for start in range(0, len(ids), REMINDER_BATCH):
        run = renewal_reminders_send_batch(
            certificate_ids=ids[start : start + REMINDER_BATCH], today=today
        )
        due, sent = due + run.due, sent + run.sent
    logger.info("Renewal reminders for %s: %d due, %d sent", today, due, sent)
    return ReminderRun(due=due, sent=sent)


# --- The sweeper --------------------------------------------------------------------

# How far back the sweeper resends e-mails that never went out.
SWEEP_RESEND_WINDOW = timedelta(days=7)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class Sweep:
    certificates: int  # issue_certificate tasks queued
    cards: int  # send_external_card_decision tasks queued


def certificates_sweep(*, grace: timedelta | None = None) -> Sweep:
    """Queues the certificate work still owed after its own task was lost or gave up.

    - `issue_certificate` for completed enrollments without a certificate (the broker
      was down at completion, lost its queue in a restart, a worker died);
    - `issue_certificate` again for certificates of the last week whose e-mail never
      went out and is not claimed by a live sender (it resumes: only the e-mail is
      sent, with the same Message-ID);
    - `send_external_card_decision` for outside cards reviewed in the last week whose
      decision e-mail never went out.
    Work younger than `grace` (default CERTIFICATE_SWEEP_GRACE_MINUTES) is left to its
    own task. Queuing work that is in flight anyway is harmless: every task is safe to
    run twice.
    """
    from .tasks import issue_certificate, send_external_card_decision

    if grace is None:
        grace = timedelta(minutes=settings.CERTIFICATE_SWEEP_GRACE_MINUTES)
    now = timezone.now()
    before, after = now - grace, now - SWEEP_RESEND_WINDOW
    enrollment_ids = set(
        enrollments_missing_certificate(completed_before=before).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    enrollment_ids.update(
        certificates_not_emailed(
            issued_before=before,
            issued_after=after,
            claimed_before=now - EMAIL_CLAIM_LEASE,
        ).values_list("enrollment_id", flat=True)[:SWEEP_BATCH]
    )
    card_ids = list(
        external_certificates_not_told(
            reviewed_before=before, reviewed_after=after
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for enrollment_id in sorted(enrollment_ids):
        issue_certificate.delay(enrollment_id)
    for card_id in card_ids:
        send_external_card_decision.delay(card_id)
    if enrollment_ids or card_ids:
        logger.warning(
            "Sweeper queued %d certificate(s) and %d card decision(s)",
            len(enrollment_ids),
            len(card_ids),
        )
    return Sweep(certificates=len(enrollment_ids), cards=len(card_ids))


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
