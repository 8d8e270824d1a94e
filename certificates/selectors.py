"""Reads of certificates: what a learner currently holds, what is due for reminders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone

from courses.models import Course, Enrollment

from .models import Certificate, ExternalCertificate, RenewalReminder


def certificates_current(*, user, today: date | None = None) -> QuerySet[Certificate]:
    """The user's own certificates that are valid today (not revoked, not expired)."""
    today = today or timezone.localdate()
    return Certificate.objects.filter(
        user=user, status=Certificate.Status.VALID, expires_on__gte=today
    )


def external_certificates_current(
    *, user, today: date | None = None
) -> QuerySet[ExternalCertificate]:
    """Outside cards staff approved that have not expired."""
    today = today or timezone.localdate()
    return ExternalCertificate.objects.filter(
        user=user, status=ExternalCertificate.Status.APPROVED, expires_on__gte=today
    )


def certified_course_ids(
    *, user, course_ids: Iterable[int], today: date | None = None
) -> set[int]:
    """Which of `course_ids` the user holds a current certificate for (two queries)."""
    course_ids = list(course_ids)
    if not course_ids or not user.is_authenticated:
        return set()
    own = certificates_current(user=user, today=today).filter(course_id__in=course_ids)
    outside = external_certificates_current(user=user, today=today).filter(
        course_id__in=course_ids
    )
    return set(own.values_list("course_id", flat=True)) | set(
        outside.values_list("course_id", flat=True)
    )


def certificate_current_for(
    *, user, course: Course, today: date | None = None
) -> Certificate | ExternalCertificate | None:
    """The current credential (ours first, else an approved outside card) for `course`.

    Current means: ours, not revoked and not expired; or an outside card staff approved
    and not expired. Expired, revoked, pending and rejected ones never count.
    """
    if not user.is_authenticated:
        return None
    own = (
        certificates_current(user=user, today=today)
        .filter(course=course)
        .order_by("-expires_on")
        .first()
    )
    if own:
        return own
    return (
        external_certificates_current(user=user, today=today)
        .filter(course=course)
        .order_by("-expires_on")
        .first()
    )


def prerequisites_missing(*, user, course: Course) -> list[Course]:
    """The prerequisites of `course` the user holds no current certificate for."""
    required = list(course.prerequisites.all())
    held = certified_course_ids(user=user, course_ids=[c.pk for c in required])
    return [c for c in required if c.pk not in held]


# --- Verification and download ------------------------------------------------------


def certificate_for_verification(*, code: str) -> Certificate | None:
    """The certificate with this normalised code, with only what a verifier sees."""
    return (
        Certificate.objects.filter(code=code)
        .only(
            "code",
            "holder_name",
            "course_title",
            "course_code",
            "hours",
            "issued_on",
            "expires_on",
            "status",
            "revoked_at",
        )
        .first()
    )


def certificate_for_download(*, code: str, user) -> Certificate | None:
    """The certificate if `user` may download it: its holder (unless it was revoked),
    or staff allowed to view certificates. None for everyone else."""
    if not user.is_authenticated:
        return None
    certificate = Certificate.objects.filter(code=code).first()
    if certificate is None:
        return None
    if user.is_staff and user.has_perm("certificates.view_certificate"):
        return certificate
    if (
        certificate.user_id == user.pk
        and certificate.status == Certificate.Status.VALID
    ):
        return certificate
    return None


# --- Outside cards ------------------------------------------------------------------


def courses_accepting_outside_cards() -> QuerySet[Course]:
    """Published courses another published course requires (e.g. BLS for ACLS): an
    outside card can stand in only for a prerequisite."""
    return (
        Course.objects.published()
        .filter(required_by__is_published=True)
        .distinct()
        .order_by("order", "title")
    )


def external_certificates_for(*, user) -> QuerySet[ExternalCertificate]:
    """The learner's own uploaded cards, newest first, with their course."""
    return (
        ExternalCertificate.objects.filter(user=user)
        .select_related("course")
        .order_by("-uploaded_at", "-id")
    )


def external_certificate_for_preview(*, pk: int, user) -> ExternalCertificate | None:
    """The uploaded card if `user` is staff allowed to review cards; else None."""
    if not (user.is_staff and user.has_perm("certificates.view_externalcertificate")):
        return None
    return ExternalCertificate.objects.filter(pk=pk).first()


# --- Renewal reminders and the sweeper ----------------------------------------------

# Days from `today` to a certificate's expiry on which each reminder goes out.
REMINDER_DAYS_BEFORE_EXPIRY = {
    RenewalReminder.Kind.DAYS_90: 90,
    RenewalReminder.Kind.DAYS_30: 30,
    RenewalReminder.Kind.DAYS_7: 7,
    RenewalReminder.Kind.EXPIRED: -1,  # it expired yesterday
}


def certificates_due_for_reminder(
    *, today: date | None = None
) -> QuerySet[Certificate]:
    """Certificates owed a renewal reminder today, each annotated with `reminder_kind`.

    Due: expiry exactly 90, 30 or 7 days after `today`, or the day before it. Never for
    a revoked certificate, one its holder renewed (holds a valid certificate of the same
    course expiring later), a holder who turned reminders off or whose account is
    closed, or a (certificate, kind) already sent. Uses the expiry index: its cost
    follows the number due, not the number of certificates.
    """
    today = today or timezone.localdate()
    expiry_for_kind = {
        kind: today + timedelta(days=days)
        for kind, days in REMINDER_DAYS_BEFORE_EXPIRY.items()
    }
    kind = Case(
        *(
            When(expires_on=expiry, then=Value(k))
            for k, expiry in expiry_for_kind.items()
        ),
        output_field=CharField(),
    )
    renewed = Certificate.objects.filter(
        user=OuterRef("user_id"),
        course=OuterRef("course_id"),
        status=Certificate.Status.VALID,
        expires_on__gt=OuterRef("expires_on"),
    )
    already_sent = RenewalReminder.objects.filter(
        certificate=OuterRef("pk"), kind=OuterRef("reminder_kind")
    )
    return (
        Certificate.objects.filter(
            status=Certificate.Status.VALID,
            expires_on__in=expiry_for_kind.values(),
            user__renewal_reminders=True,
            user__is_active=True,
        )
        .annotate(reminder_kind=kind)
        .exclude(Exists(renewed))
        .exclude(Exists(already_sent))
        .select_related("user", "course")
        .order_by("expires_on", "pk")
    )


def enrollments_missing_certificate(
    *, completed_before: datetime
) -> QuerySet[Enrollment]:
    """Completed enrollments without a certificate, completed before the cut-off.

    What the sweeper issues when the completion task was lost (broker down, worker
    died). Learners without a legal name are left out: their certificate waits until
    they add it (the completion task e-mailed them), then the next sweep issues it.
    """
    return (
        Enrollment.objects.filter(
            status=Enrollment.Status.COMPLETED,
            completed_at__lte=completed_before,
            certificate__isnull=True,
        )
        .exclude(user__legal_name="")
        .order_by("completed_at", "pk")
    )


def certificates_not_emailed(
    *, issued_before: datetime, issued_after: datetime
) -> QuerySet[Certificate]:
    """Valid certificates issued in the window whose issue e-mail never went out (the
    task ran out of retries or was lost mid-way). Older ones are left alone: a mail
    that failed for a week is an address problem, not a transient one."""
    return Certificate.objects.filter(
        status=Certificate.Status.VALID,
        emailed_at__isnull=True,
        issued_at__lt=issued_before,
        issued_at__gte=issued_after,
    ).order_by("issued_at", "pk")


def external_certificates_not_told(
    *, reviewed_before: datetime, reviewed_after: datetime
) -> QuerySet[ExternalCertificate]:
    """Reviewed outside cards whose decision e-mail never went out, in the window."""
    return (
        ExternalCertificate.objects.exclude(status=ExternalCertificate.Status.PENDING)
        .filter(
            decision_emailed_at__isnull=True,
            reviewed_at__lt=reviewed_before,
            reviewed_at__gte=reviewed_after,
        )
        .order_by("reviewed_at", "pk")
    )
