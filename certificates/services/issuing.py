"""Issuing certificates: the row (with its audit event), the PDF, the issue e-mail;
the request for a legal name when a learner has none. (The certificates that waited
for one are queued by handlers.legal_name_set.)"""

from __future__ import annotations

import calendar
import logging
from datetime import date

from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from cases.selectors import case_assessment_included
from core.events import publish
from core.issuer import issuer
from courses.models import Enrollment
from courses.services import enrollments_activate_waiting

from ..codes import generate_code
from ..errors import (
    CertificateCodesExhausted,
    CertificateNotIssuable,
    HolderNameMissing,
)
from ..events import CertificatePdfOutdated
from ..models import Certificate, HolderNameRequest
from ..pdf import CertificateDocument, format_date, render_certificate_pdf
from ..selectors import EMAIL_CLAIM_LEASE, certificate_facts, enrollment_for_issuing
from .emails import absolute, email, message_id, record_sent, send_claimed

logger = logging.getLogger(__name__)

# A fresh code collides with an existing one once in 2**60 draws; a handful of redraws
# turns "never" into "never, even with a broken random source".
CODE_ATTEMPTS = 5


def certificate_expiry(*, issued_on: date, validity_months: int) -> date:
    """The last day of the month `validity_months` after `issued_on` (AHA convention):
    issued 23 November 2026 for 24 months, valid through 30 November 2028."""
    if validity_months < 1:
        raise CertificateNotIssuable(
            "The course has no validity period; set its validity in months.",
            code="certificate.no_validity_period",
        )
    months = issued_on.month - 1 + validity_months
    year, month = issued_on.year + months // 12, months % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def certificate_document(*, certificate: Certificate) -> CertificateDocument:
    """What the PDF prints: the certificate's snapshot, never the live course/user."""
    facts = certificate_facts(certificate)
    who = issuer()
    # Today's signature image is printed only above today's signer: a certificate
    # signed by an earlier medical director (re-rendered later) shows the name alone.
    signature = who.signature_image if facts.signer_name == who.signer_name else None
    return CertificateDocument(
        holder_name=facts.holder_name,
        course_title=facts.course_title,
        course_code=facts.course_code,
        hours=facts.hours,
        issued_on=facts.issued_on,
        expires_on=facts.expires_on,
        code=facts.code,
        verify_url=facts.verify_url,
        issuer_name=facts.issuer_name,
        issuer_address=facts.issuer_address,
        issuer_contact=facts.issuer_contact,
        signer_name=facts.signer_name,
        signer_title=facts.signer_title,
        signature_png=signature.read_bytes() if signature else None,
        licence_number=facts.licence_number,
        accreditation=facts.accreditation,
        scope=facts.scope,
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
        raise CertificateNotIssuable(
            "This course is not completed yet, so no certificate can be issued.",
            enrollment_id=enrollment.pk,
        )
    user, course = enrollment.user, enrollment.course
    holder_name = user.legal_name.strip()
    if not holder_name:
        raise HolderNameMissing(
            "Add your legal full name to your profile: it is printed on your "
            "certificate.",
            user_id=user.pk,
        )
    # The certificate states the day the learner completed, even when it is issued
    # later (the broker was down and the sweeper caught up).
    issued_on = timezone.localdate(
        enrollment.completed_at, timezone.get_default_timezone()
    )
    who = issuer()
    fields = {
        "enrollment": enrollment,
        "user": user,
        "course": course,
        "holder_name": holder_name,
        "course_title": course.title,
        "course_code": course.code,
        "hours": course.hours,
        "licence_number": user.licence_number.strip(),
        "accreditation": course.accreditation,
        "guidelines": course.guidelines,
        "issuer_name": who.name,
        "signer_name": who.signer_name,
        "signer_title": who.signer_title,
        "issued_on": issued_on,
        "expires_on": certificate_expiry(
            issued_on=issued_on, validity_months=course.validity_months
        ),
        # The required case simulations were passed in this enrollment: stated on
        # the certificate, the wallet card and the verify page.
        "includes_case_assessment": case_assessment_included(enrollment=enrollment),
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
        audit_record(
            action=AuditEvent.Action.CERTIFICATE_ISSUED,
            subject=user,
            target=certificate,
            data={
                "code": certificate.code,
                "enrollment": enrollment.pk,
                "course": course.code,
                "holder_name": holder_name,
                "issued_on": certificate.issued_on,
                "expires_on": certificate.expires_on,
                "includes_case_assessment": certificate.includes_case_assessment,
            },
        )
        # Bundle enrollments waiting for this certificate (BLS before ACLS) open now.
        enrollments_activate_waiting(user=user)
        return certificate
    raise CertificateCodesExhausted(
        f"No free certificate code after {CODE_ATTEMPTS} draws."
    )


def certificate_pdf_ensure(*, certificate: Certificate) -> Certificate:
    """Renders and stores the certificate's PDF unless storage already holds it.

    Returns the certificate as stored. Storage errors (OSError) propagate; the
    certificate row is untouched by them.
    """
    storage = certificate.pdf.storage
    if certificate.pdf.name and storage.exists(certificate.pdf.name):
        return certificate
    document = certificate_document(certificate=certificate)
    content = render_certificate_pdf(document)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.pdf.name and storage.exists(locked.pdf.name):
            return locked  # rendered meanwhile by a concurrent call
        # What it states may have changed while it rendered (a skills check
        # recorded or revoked: certificate_pdf_outdate takes this row's lock), so
        # what is stored is what it states now.
        now_states = certificate_document(certificate=locked)
        if now_states != document:
            content = render_certificate_pdf(now_states)
        name = locked.pdf.name or f"certificates/{locked.code}.pdf"
        if storage.exists(name):
            storage.delete(name)  # left by a run that died before recording it
        locked.pdf.name = storage.save(name, ContentFile(content))
        locked.save(update_fields=["pdf"])
    return locked


def certificate_pdf_outdate(*, enrollment_id: int) -> Certificate | None:
    """What the certificate of this enrollment states changed after issue (a skills
    check recorded or revoked, certificates.attestations): its stored PDF is
    dropped, in the caller's transaction and under the certificate's row lock, and
    rendered again after commit (CertificatePdfOutdated; handlers.py queues the
    render). A download meanwhile renders it itself (certificate_pdf_ensure).
    Returns the certificate, or None when none is issued yet (it will state the
    check when it is)."""
    certificate = (
        Certificate.objects.select_for_update()
        .filter(enrollment_id=enrollment_id)
        .first()
    )
    if certificate is None:
        return None
    if certificate.pdf.name:
        Certificate.objects.filter(pk=certificate.pk).update(pdf="")
        certificate.pdf.name = ""
    publish(CertificatePdfOutdated(certificate_id=certificate.pk))
    return certificate


def certificate_pdf_render(*, certificate_id: int) -> bool:
    """What the render task does: the certificate's PDF, rendered unless storage
    holds a current one. False when the certificate is gone."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return False
    certificate_pdf_ensure(certificate=certificate)
    return True


def _certificate_issued_message(*, certificate: Certificate) -> EmailMultiAlternatives:
    with certificate.pdf.open("rb") as pdf:
        content = pdf.read()
    return email(
        template="certificate_issued",
        subject=f"Your {certificate.course_title} certificate",
        to=certificate.user.email,
        context={
            "certificate": certificate,
            "expires_on": format_date(certificate.expires_on),
            "issued_on": format_date(certificate.issued_on),
            "download_url": absolute(
                reverse("certificates:pdf", args=[certificate.code])
            ),
            "dashboard_url": absolute(reverse("courses:dashboard")),
        },
        attachments=[(certificate.pdf_filename, content, "application/pdf")],
        headers={"Message-ID": message_id("certificate-issued", certificate.code)},
    )


def _certificate_issued_email(*, certificate: Certificate) -> Certificate:
    """Claim, send, mark (services.emails). Returns the certificate as stored."""
    certificate = Certificate.objects.select_related("user").get(pk=certificate.pk)
    if (
        certificate.emailed_at is not None
        or certificate.email_failed_at is not None
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
            email_failed_at__isnull=True,
            status=Certificate.Status.VALID,
        ).update(email_claimed_at=now)
        == 1
    )
    if claimed:
        mine = Certificate.objects.filter(pk=certificate.pk, email_claimed_at=now)
        if send_claimed(
            send=lambda: mailers.default.send_messages([message]),
            release=lambda: mine.update(email_claimed_at=None),
            fail=lambda reply: mine.update(
                email_failed_at=timezone.now(), email_failure=reply
            ),
            what=f"Issue e-mail of {certificate.code}",
        ):
            record_sent(lambda: mine.update(emailed_at=timezone.now()))
    certificate.refresh_from_db()
    return certificate


def certificate_issue(*, enrollment: Enrollment) -> Certificate:
    """Issues the certificate of a completed enrollment, or finishes issuing it.

    In order, each step skipped when already done, so a retry resumes where the last
    attempt failed:
    1. creates the Certificate (one per enrollment: a concurrent or repeated call gets
       the existing one) and, in the same transaction, records it in the audit trail
       and activates the learner's waiting bundle enrollments it unblocks;
    2. renders the PDF and stores it in the default storage;
    3. e-mails the learner a download link with the PDF attached, once (claimed,
       sent with a stable Message-ID, then marked: see services.emails); an address
       the mail server refuses for good is marked failed (`email_failed_at`) instead
       and never retried (the certificate is on the learner's dashboard).
    The row is committed before rendering, so a render, storage or mail failure never
    loses it; those errors (OSError, which includes SMTP errors; a refusal for good
    excepted) propagate for the caller to retry, as do database errors. Raises
    HolderNameMissing when the learner has no legal name, and CertificateNotIssuable
    when the enrollment is not completed.
    """
    certificate = _certificate_create(enrollment=enrollment)
    certificate = certificate_pdf_ensure(certificate=certificate)
    return _certificate_issued_email(certificate=certificate)


def certificate_holder_name_request(*, enrollment: Enrollment) -> bool:
    """E-mails a learner who completed a course without a legal name on file that the
    certificate waits for it (it is issued as soon as they add it), once per
    enrollment: claimed by a HolderNameRequest row (unique per enrollment), sent with
    the Message-ID `<certificate-name-needed.ENROLLMENT@host>`, marked sent
    (services.emails). True if sent now."""
    user = enrollment.user
    message = email(
        template="certificate_name_needed",
        subject=f"Add your legal name to receive your {enrollment.course.title} "
        "certificate",
        to=user.email,
        context={
            "course": enrollment.course,
            "profile_url": absolute(reverse("accounts:profile")),
        },
        headers={
            "Message-ID": message_id("certificate-name-needed", str(enrollment.pk))
        },
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            HolderNameRequest.objects.create(enrollment=enrollment, claimed_at=now)
    except IntegrityError:
        # Sent, being sent, or refused; or claimed by a sender that died (lease).
        if not HolderNameRequest.objects.filter(
            enrollment=enrollment,
            sent_at__isnull=True,
            failed_at__isnull=True,
            claimed_at__lt=now - EMAIL_CLAIM_LEASE,
        ).update(claimed_at=now):
            return False
    mine = HolderNameRequest.objects.filter(
        enrollment=enrollment, claimed_at=now, sent_at__isnull=True
    )
    if not send_claimed(
        send=lambda: mailers.default.send_messages([message]),
        release=mine.delete,
        fail=lambda reply: mine.update(failed_at=timezone.now(), failure=reply),
        what=f"Legal name request of enrollment {enrollment.pk}",
    ):
        return False
    record_sent(lambda: mine.update(sent_at=timezone.now()))
    return True


def certificate_issue_for_enrollment(*, enrollment_id: int) -> Certificate | None:
    """What the issue task does: issues (or finishes issuing) the certificate of the
    enrollment, or returns None when there is nothing to issue.

    - The enrollment is gone, or not completed (a bug or a race; logged): None.
    - The learner has no legal name yet: they are e-mailed that the certificate
      waits for it, once per enrollment however often the task runs
      (certificate_holder_name_request), and None. The certificate is issued when
      they add a name (LegalNameSet, or the sweeper).
    Mail, storage and database errors propagate for the task to retry.
    """
    enrollment = enrollment_for_issuing(enrollment_id=enrollment_id)
    if enrollment is None:
        logger.warning("Enrollment %s does not exist: no certificate", enrollment_id)
        return None
    try:
        return certificate_issue(enrollment=enrollment)
    except HolderNameMissing:
        logger.info("Enrollment %s: certificate waits for a legal name", enrollment_id)
        certificate_holder_name_request(enrollment=enrollment)
    except CertificateNotIssuable as refused:
        logger.warning("Enrollment %s: %s", enrollment_id, refused.message)
    return None
