"""Reads of certificates: what a learner currently holds, what is due for reminders."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
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

# How long an e-mail claim (certificate issue e-mail, renewal reminder) keeps anyone
# else from sending that e-mail. Far longer than any live send can take (the tasks'
# hard time limit is 150 s, a Redis redelivery comes 10 minutes after a worker died),
# so a claim this old belongs to a sender that died; short enough that an e-mail lost
# that way still goes out the same day. docs/OPERATIONS.md, "E-mail delivery".
EMAIL_CLAIM_LEASE = timedelta(hours=1)

# Days from `today` to a certificate's expiry from which each reminder is due; each is
# due until the next one's day (it is then superseded), so a day the run missed is
# caught up the next day.
REMINDER_DAYS_BEFORE_EXPIRY = {
    RenewalReminder.Kind.DAYS_90: 90,
    RenewalReminder.Kind.DAYS_30: 30,
    RenewalReminder.Kind.DAYS_7: 7,
    RenewalReminder.Kind.EXPIRED: -1,  # from the day after it expired...
}
# ...until this many days after expiry: later, "it has expired" is stale news.
EXPIRED_REMINDER_WINDOW_DAYS = 30


def certificates_due_for_reminder(
    *, today: date | None = None, now: datetime | None = None
) -> QuerySet[Certificate]:
    """Certificates owed a renewal reminder today, each annotated with `reminder_kind`.

    Catch-up selection: the kind is the latest whose day has come (90d from 90 days
    before expiry, 30d from 30, 7d from 7, expired from the day after expiry until
    EXPIRED_REMINDER_WINDOW_DAYS later), never one a later kind superseded; it is owed
    unless that (certificate, kind) was sent or is claimed (a claim older than
    EMAIL_CLAIM_LEASE, whose sender died, is owed again). Never for a revoked
    certificate, one its holder renewed (holds a valid certificate of the same course
    expiring later), a holder who turned reminders off or whose account is closed.
    Uses the expiry index over the 120-day window.
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    days = REMINDER_DAYS_BEFORE_EXPIRY
    kinds = sorted(days, key=days.get, reverse=True)  # 90d, 30d, 7d, expired
    first_day = {k: today + timedelta(days=days[k]) for k in kinds}
    whens = [
        When(
            expires_on__lte=first_day[kind],
            expires_on__gt=first_day[later],
            then=Value(kind),
        )
        for kind, later in itertools.pairwise(kinds)
    ]
    oldest = today - timedelta(days=EXPIRED_REMINDER_WINDOW_DAYS)
    whens.append(When(expires_on__lte=first_day[kinds[-1]], then=Value(kinds[-1])))
    renewed = Certificate.objects.filter(
        user=OuterRef("user_id"),
        course=OuterRef("course_id"),
        status=Certificate.Status.VALID,
        expires_on__gt=OuterRef("expires_on"),
    )
    claimed_or_sent = RenewalReminder.objects.filter(
        Q(sent_at__isnull=False) | Q(claimed_at__gte=now - EMAIL_CLAIM_LEASE),
        certificate=OuterRef("pk"),
        kind=OuterRef("reminder_kind"),
    )
    return (
        Certificate.objects.filter(
            status=Certificate.Status.VALID,
            expires_on__gte=oldest,
            expires_on__lte=first_day[kinds[0]],
            user__renewal_reminders=True,
            user__is_active=True,
        )
        .annotate(reminder_kind=Case(*whens, output_field=CharField()))
        .exclude(Exists(renewed))
        .exclude(Exists(claimed_or_sent))
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
    *,
    issued_before: datetime,
    issued_after: datetime,
    claimed_before: datetime | None = None,
) -> QuerySet[Certificate]:
    """Valid certificates issued in the window whose issue e-mail never went out (the
    task ran out of retries or was lost mid-way), leaving out those a sender claimed
    at or after `claimed_before` (being sent, or sent by a sender that died before it
    could say so: EMAIL_CLAIM_LEASE). Older ones are left alone: a mail that failed
    for a week is an address problem, not a transient one."""
    unclaimed = Q(email_claimed_at__isnull=True)
    if claimed_before is not None:
        unclaimed |= Q(email_claimed_at__lt=claimed_before)
    return Certificate.objects.filter(
        unclaimed,
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
