"""Reads of certificates: what a learner currently holds, who may download what,
what is due for reminders and what the sweeper owes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import users_matching
from audit.models import AuditEvent
from audit.selectors import audit_events_for_target
from core.dates import format_day, site_today
from core.issuer import issuer
from core.prepared import prepared
from courses.credentials import Held
from courses.models import Course, Enrollment
from courses.selectors import RENEWAL_WINDOW
from courses.steps import (
    Link,
    Step,
    StepKind,
    StepState,
    rows_state,
    state_rows,
    step_state,
)

from .attestations import SkillsAttestation, skills_attestations_for
from .codes import normalize_code
from .models import (
    Certificate,
    ExternalCertificate,
    RenewalReminder,
    SigningKey,
    StatusList,
)
from .signing import ALGORITHM, key_url

# --- Current credentials ------------------------------------------------------------
# "Current" is written here once: our certificate, not revoked and not expired; or an
# outside card staff approved, not expired. Expired, revoked, pending and rejected
# ones never count. Every rule that asks "does this learner hold the course, and until
# when" (prerequisites, the renewal window) reads `current_credentials`, which
# certificates/apps.py registers with courses.credentials; each answer also says
# until when our own certificate holds it (only ours closes the renewal window).


# The rule, as filters: a credential that counts (ours not revoked, an outside card
# approved) and has not expired by `today`.
def _counts_q(ours: bool) -> Q:
    if ours:
        return Q(status=Certificate.Status.VALID)
    return Q(status=ExternalCertificate.Status.APPROVED)


def _current_q(*, ours: bool, today: date) -> Q:
    return _counts_q(ours) & Q(expires_on__gte=today)


def certificates_current(*, user, today: date | None = None) -> QuerySet[Certificate]:
    """The user's own certificates that are valid today (not revoked, not expired)."""
    today = today or site_today()
    return Certificate.objects.filter(_current_q(ours=True, today=today), user=user)


def external_certificates_current(
    *, user, today: date | None = None
) -> QuerySet[ExternalCertificate]:
    """Outside cards staff approved that have not expired."""
    today = today or site_today()
    return ExternalCertificate.objects.filter(
        _current_q(ours=False, today=today), user=user
    )


@dataclass(frozen=True, slots=True)
class CredentialDates:
    """One learner's standing in one course, by the "current" rule: the latest
    expiry of their current credentials (None: none is current) and of those that
    counted but have expired (None: none ever lapsed). Revoked certificates and
    pending or rejected cards are in neither."""

    current_until: date | None = None
    lapsed_on: date | None = None

    def merged(self, other: CredentialDates) -> CredentialDates:
        def later(a: date | None, b: date | None) -> date | None:
            return max(d for d in (a, b) if d) if (a or b) else None

        return CredentialDates(
            current_until=later(self.current_until, other.current_until),
            lapsed_on=later(self.lapsed_on, other.lapsed_on),
        )


def credential_dates_for(
    *, users: QuerySet, course_ids: list[int], today: date | None = None
) -> dict[tuple[int, int], CredentialDates]:
    """{(user id, course id): CredentialDates} for many learners at once (an
    organization's members): `users` is a queryset of user ids (a subquery, never
    a list), `course_ids` the courses asked about. The same rule as
    `current_credentials`, ours and approved outside cards alike. One query (ours
    and the outside cards, grouped apart and joined by UNION ALL), whatever the
    number of learners."""
    today = today or site_today()
    answer: dict[tuple[int, int], CredentialDates] = {}
    if not course_ids:
        return answer

    def grouped(model, ours: bool):
        return (
            model.objects.filter(
                _counts_q(ours), user_id__in=users, course_id__in=course_ids
            )
            .order_by()
            .values("user_id", "course_id")
            .annotate(
                current=Max("expires_on", filter=Q(expires_on__gte=today)),
                lapsed=Max("expires_on", filter=Q(expires_on__lt=today)),
            )
            .values_list("user_id", "course_id", "current", "lapsed")
        )

    rows = (
        grouped(Certificate, True)
        .union(grouped(ExternalCertificate, False), all=True)
        .order_by()
    )
    for user_id, course_id, current, lapsed in rows:
        dates = CredentialDates(current_until=current, lapsed_on=lapsed)
        key = (user_id, course_id)
        answer[key] = answer[key].merged(dates) if key in answer else dates
    return answer


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """A credential as an organization's history of a member shows it: what, from
    whom, when issued and until when, and its status today. Never how it was
    earned (no exam, no attempt)."""

    course_id: int
    course_title: str
    kind: str  # "Lifeline certificate" or "Outside card"
    reference: str  # our code, or the card's issuer and number
    issued_on: date
    expires_on: date
    status: str  # valid, expired or revoked
    verify_url: str = ""


def credentials_held_for(
    *, user, course_ids: list[int], today: date | None = None
) -> list[HeldCredential]:
    """The learner's certificates of ours (revoked ones too: the verify page is
    public) and approved outside cards for the given courses, newest first. Two
    queries."""
    today = today or site_today()
    held = [
        HeldCredential(
            course_id=c.course_id,
            course_title=c.course_title,
            kind="Lifeline certificate",
            reference=c.code,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            status=c.display_status(today),
            verify_url=c.get_absolute_url(),
        )
        for c in Certificate.objects.filter(user=user, course_id__in=course_ids)
    ]
    held += [
        HeldCredential(
            course_id=card.course_id,
            course_title=card.course.title,
            kind="Outside card",
            reference=f"{card.issuer} {card.card_number}",
            issued_on=card.issued_on,
            expires_on=card.expires_on,
            status="expired" if card.expires_on < today else "valid",
        )
        for card in ExternalCertificate.objects.filter(
            user=user,
            course_id__in=course_ids,
            status=ExternalCertificate.Status.APPROVED,
        ).select_related("course")
    ]
    return sorted(held, key=lambda h: (h.issued_on, h.expires_on), reverse=True)


@prepared(user_id=int, today=date)
def _latest_current(user_id: int, today: date):
    """(course id, latest expiry, ours) of the user's current credentials: per course
    the latest of our certificates and the latest of the approved outside cards, in
    one query compiled once per process (core.prepared)."""

    def latest(model, ours: bool):
        return (
            model.objects.filter(_current_q(ours=ours, today=today), user_id=user_id)
            .order_by()
            .values("course_id")
            .annotate(latest=Max("expires_on"), ours=Value(ours))
            .values_list("course_id", "latest", "ours")
        )

    both = latest(Certificate, True).union(latest(ExternalCertificate, False), all=True)
    return both.order_by()


def current_credentials(*, user, today: date | None = None) -> dict[int, Held]:
    """Course id -> Held: the expiry of the learner's best current credential for it
    (ours or an approved outside card, whichever lasts longer) and of their best
    current certificate of ours (None when only outside cards hold it: only ours
    closes the renewal window). One query; none for an anonymous visitor."""
    if not user.is_authenticated:
        return {}
    held: dict[int, Held] = {}
    for course_id, expires_on, ours in _latest_current(
        user_id=user.pk, today=today or site_today()
    ):
        answer = Held(
            expires_on=expires_on, ours_expires_on=expires_on if ours else None
        )
        held[course_id] = (
            held[course_id].merged(answer) if course_id in held else answer
        )
    return held


# A credential that expired fewer than this many days ago still makes its holder a
# renewing learner of the course (they may test out of its module exams, as AHA's
# adaptive renewal allows); from this many days after expiry they study first.
RECENTLY_EXPIRED_DAYS = 30


def recent_credentials(*, user, today: date | None = None) -> dict[int, Held]:
    """Course id -> latest expiry of the learner's credentials that are current, or
    were current on some day of the last RECENTLY_EXPIRED_DAYS - 1 days (expired 29
    days ago counts, 30 does not): the "current" rule above, as of that day.
    Revoked certificates and rejected or pending cards never count. Registered with
    courses.credentials (recent_credential_source_register). One query."""
    today = today or site_today()
    since = today - timedelta(days=RECENTLY_EXPIRED_DAYS - 1)
    return current_credentials(user=user, today=since)


# --- Verification and download ------------------------------------------------------


#: What a certificate covers while no hands-on skills check is attached to it.
SCOPE_ONLINE_ONLY = "Online cognitive course; hands-on skills not assessed by Lifeline."
#: What it covers once an instructor recorded a passed hands-on skills check of its
#: holder (certificates.attestations; issue 17).
SCOPE_SKILLS = (
    "Online course and hands-on skills check (instructor {instructor}, "
    "{organization}, {date})."
)
#: Added when the course required case simulations and the holder passed them
#: (Certificate.includes_case_assessment, a snapshot taken at issue).
SCOPE_CASES = "Includes simulated case assessment."


def certificate_scope(
    certificate: Certificate, *, skills: SkillsAttestation | None = None
) -> str:
    """The scope sentence the PDF, the wallet card and the verify page print, built
    here only: the online course alone, or with the passed hands-on skills check
    attached to the certificate's enrollment (read through
    certificates.attestations unless the caller passes it); then, when the holder
    passed the course's required case simulations, that too."""
    if skills is None:
        skills = skills_attestations_for(
            enrollment_ids=[certificate.enrollment_id]
        ).get(certificate.enrollment_id)
    if skills is None:
        scope = SCOPE_ONLINE_ONLY
    else:
        scope = SCOPE_SKILLS.format(
            instructor=skills.instructor_name,
            organization=skills.organization_name,
            date=format_day(skills.checked_on),
        )
    if certificate.includes_case_assessment:
        return f"{scope} {SCOPE_CASES}"
    return scope


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """Everything the PDF, the wallet card and the verify page state about a
    certificate, and nothing else (no e-mail, no account details)."""

    code: str
    status: str  # valid, expired or revoked
    holder_name: str
    licence_number: str
    course_title: str
    course_code: str
    hours: Decimal
    accreditation: str
    scope: str
    issued_on: date
    expires_on: date
    revoked_on: date | None
    issuer_name: str
    issuer_address: str
    issuer_contact: str
    signer_name: str
    signer_title: str
    verify_url: str


def certificate_facts(
    certificate: Certificate, *, today: date | None = None
) -> CertificateFacts:
    """The certificate's snapshot; where a certificate issued before the snapshot
    existed has none, the issuer's current details."""
    who = issuer()
    revoked = certificate.revoked_at
    return CertificateFacts(
        code=certificate.code,
        status=certificate.display_status(today),
        holder_name=certificate.holder_name,
        licence_number=certificate.licence_number,
        course_title=certificate.course_title,
        course_code=certificate.course_code,
        hours=certificate.hours,
        accreditation=certificate.accreditation,
        scope=certificate_scope(certificate),
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        revoked_on=timezone.localdate(revoked) if revoked else None,
        issuer_name=certificate.issuer_name or who.name,
        issuer_address=who.address,
        issuer_contact=who.contact,
        signer_name=certificate.signer_name or who.signer_name,
        signer_title=certificate.signer_title or who.signer_title,
        verify_url=certificate.verify_url,
    )


def certificate_of_enrollment(*, enrollment_id: int) -> Certificate | None:
    """The certificate issued for this enrollment, if any (one per enrollment)."""
    return Certificate.objects.filter(enrollment_id=enrollment_id).first()


def certificate_for_verification(*, code: str) -> Certificate | None:
    """The certificate with this normalised code, with only what a verifier sees (and
    whose it is, for the holder's share actions)."""
    return (
        Certificate.objects.filter(code=code)
        .only(
            "user_id",
            "code",
            "holder_name",
            "licence_number",
            "course_title",
            "course_code",
            "hours",
            "accreditation",
            "issuer_name",
            "signer_name",
            "signer_title",
            "issued_on",
            "expires_on",
            "includes_case_assessment",
            "status",
            "revoked_at",
            # Its skills check, if any, is attached to the enrollment.
            "enrollment",
        )
        .first()
    )


def certificate_download_allowed(
    *, certificate: Certificate, user, as_staff: bool = False
) -> bool:
    """Whether `user` may download the certificate's PDF: its holder while it is not
    revoked, or staff allowed to view certificates. `as_staff` is the request's
    staff decision (accounts.selectors.staff_verified: staff whose session passed
    two-factor), made by the caller; without it a staff member is a learner here.
    The download view enforces it and pages offer the link by it (the dashboard:
    `dashboard_certificates`, which offers a learner's own PDF as the holder)."""
    if not user.is_authenticated:
        return False
    holder = certificate.user_id == user.pk
    if holder and certificate.status == Certificate.Status.VALID:
        return True
    return as_staff and user.has_perm("certificates.view_certificate")


def certificate_for_download(
    *, code: str, user, as_staff: bool = False
) -> Certificate | None:
    """The certificate if `user` may download it (certificate_download_allowed); None
    when there is no such certificate or they may not."""
    if not user.is_authenticated:
        return None
    certificate = Certificate.objects.filter(code=code).first()
    if certificate is None or not certificate_download_allowed(
        certificate=certificate, user=user, as_staff=as_staff
    ):
        return None
    return certificate


# --- Sharing and Open Badges 3.0 (the holder's actions; the public documents) ------

LINKEDIN_ADD_CERTIFICATION = "https://www.linkedin.com/profile/add"


def linkedin_add_url(certificate: Certificate) -> str:
    """LinkedIn's "Add to profile" address for a certification, filled in: name,
    issuing organisation (its LinkedIn id when settings name one, else its name),
    issue and expiry year and month, the certificate code as credential id and the
    verify page as credential URL."""
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course_title,
        "organizationName": certificate.issuer_name or issuer().name,
        "issueYear": certificate.issued_on.year,
        "issueMonth": certificate.issued_on.month,
        "expirationYear": certificate.expires_on.year,
        "expirationMonth": certificate.expires_on.month,
        "certUrl": certificate.verify_url,
        "certId": certificate.code,
    }
    if settings.LINKEDIN_ORGANIZATION_ID:
        params["organizationId"] = settings.LINKEDIN_ORGANIZATION_ID
    return f"{LINKEDIN_ADD_CERTIFICATION}?{urlencode(params)}"


@dataclass(frozen=True, slots=True)
class CertificateShare:
    """What the holder may do with their own certificate on its verify page."""

    credential_url: str  # the signed Open Badges 3.0 credential (a .jwt file)
    pdf_url: str
    linkedin_url: str | None  # None once expired: nothing current to add


def certificate_share_for(
    *, certificate: Certificate, user, today: date | None = None
) -> CertificateShare | None:
    """The holder's share actions, or None for anyone else and for a revoked
    certificate (the same rule as the PDF download for a holder:
    certificate_download_allowed). No query."""
    if not user.is_authenticated or certificate.user_id != user.pk:
        return None
    if certificate.status == Certificate.Status.REVOKED:
        return None
    return CertificateShare(
        credential_url=reverse("certificates:credential", args=[certificate.code]),
        pdf_url=reverse("certificates:pdf", args=[certificate.code]),
        linkedin_url=(
            None if certificate.is_expired(today) else linkedin_add_url(certificate)
        ),
    )


def _published(row: SigningKey) -> dict:
    return {**row.public_jwk, "kid": key_url(row.thumbprint), "alg": ALGORITHM}


def published_keys() -> dict:
    """The issuer's JWK Set: the public key of every key that signed a credential,
    oldest first, each with its `kid` (its own URL). One query."""
    return {"keys": [_published(row) for row in SigningKey.objects.all()]}


def published_key(*, thumbprint: str) -> dict | None:
    """One published public JWK by its thumbprint, or None."""
    row = SigningKey.objects.filter(thumbprint=thumbprint).first()
    return _published(row) if row is not None else None


def status_list_token(*, number: int) -> str | None:
    """The signed status list credential published as list `number`, or None."""
    return (
        StatusList.objects.filter(number=number).values_list("token", flat=True).first()
    )


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


def external_card_pending_exists(*, user) -> bool:
    """The learner has a card waiting for review (staff review one at a time)."""
    return ExternalCertificate.objects.filter(
        user=user, status=ExternalCertificate.Status.PENDING
    ).exists()


def external_cards_pending_courses(*, user) -> set[int]:
    """Ids of the courses the learner's card waiting for review is for (at most
    one card: external_one_pending_per_user). Registered with courses.credentials
    (pending source): the course page says "under review". One query."""
    return set(
        ExternalCertificate.objects.filter(
            user=user, status=ExternalCertificate.Status.PENDING
        ).values_list("course_id", flat=True)
    )


def external_certificate_decisions(*, card: ExternalCertificate) -> list[AuditEvent]:
    """Every staff decision on the card, oldest first (its history: the card row
    holds only the current one)."""
    return list(
        audit_events_for_target(target=card)
        .filter(
            action__in=[
                AuditEvent.Action.CARD_APPROVED,
                AuditEvent.Action.CARD_REJECTED,
            ]
        )
        .order_by("created_at", "pk")
    )


def external_certificate_for_preview(
    *, pk: int, user, as_staff: bool = False
) -> ExternalCertificate | None:
    """The uploaded card if `user` is staff allowed to review cards; else None.
    `as_staff`: the request's staff decision (accounts.selectors.staff_verified)."""
    if not (as_staff and user.has_perm("certificates.view_externalcertificate")):
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
    unless that (certificate, kind) was sent, refused for good by the mail server
    (`failed_at`: never retried), or is claimed (a claim older than
    EMAIL_CLAIM_LEASE, whose sender died, is owed again). Never for a revoked
    certificate, one its holder renewed (holds a valid certificate of the same course
    expiring later), a holder who turned reminders off or whose account is closed.
    Uses the expiry index over the 120-day window.
    """
    today = today or site_today()
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
        Q(sent_at__isnull=False)
        | Q(failed_at__isnull=False)
        | Q(claimed_at__gte=now - EMAIL_CLAIM_LEASE),
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
    *, completed_before: datetime, completed_after: datetime | None = None
) -> QuerySet[Enrollment]:
    """Completed enrollments without a certificate, completed before the cut-off
    (and at or after `completed_after` when given: the recent window, read through
    the partial index of completed enrollments by completion time, so old history
    is never scanned).

    What the sweeper issues when the completion task was lost (broker down, worker
    died). Learners without a legal name are left out: their certificate waits until
    they add it (the completion task e-mailed them), then the next sweep issues it.
    """
    window = Q(completed_at__lte=completed_before)
    if completed_after is not None:
        window &= Q(completed_at__gte=completed_after)
    return (
        Enrollment.objects.filter(
            window,
            status=Enrollment.Status.COMPLETED,
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
    could say so: EMAIL_CLAIM_LEASE) and those the mail server refused for good
    (`email_failed_at`). Older ones are left alone: a mail that failed for a week is
    an address problem, not a transient one."""
    unclaimed = Q(email_claimed_at__isnull=True)
    if claimed_before is not None:
        unclaimed |= Q(email_claimed_at__lt=claimed_before)
    return Certificate.objects.filter(
        unclaimed,
        status=Certificate.Status.VALID,
        emailed_at__isnull=True,
        email_failed_at__isnull=True,
        issued_at__lt=issued_before,
        issued_at__gte=issued_after,
    ).order_by("issued_at", "pk")


def external_certificates_not_told(
    *,
    reviewed_before: datetime,
    reviewed_after: datetime,
    claimed_before: datetime | None = None,
) -> QuerySet[ExternalCertificate]:
    """Reviewed outside cards whose decision e-mail never went out, in the window,
    leaving out those claimed at or after `claimed_before` (as certificates_not_emailed)
    and those the mail server refused for good (`decision_email_failed_at`)."""
    unclaimed = Q(decision_email_claimed_at__isnull=True)
    if claimed_before is not None:
        unclaimed |= Q(decision_email_claimed_at__lt=claimed_before)
    return (
        ExternalCertificate.objects.exclude(status=ExternalCertificate.Status.PENDING)
        .filter(
            unclaimed,
            decision_emailed_at__isnull=True,
            decision_email_failed_at__isnull=True,
            reviewed_at__lt=reviewed_before,
            reviewed_at__gte=reviewed_after,
        )
        .order_by("reviewed_at", "pk")
    )


# How far back the sweeper resends e-mails that never went out.
SWEEP_RESEND_WINDOW = timedelta(days=7)
# How far back the frequent sweep looks for completions without a certificate: a
# broker outage of a day or two (or a weekend nobody noticed), plus the day by which
# a completion can be dated before it is recorded (an untimed attempt is graded as of
# its deadline, 24 h after it started), with room to spare. Older ones (a completion
# dated long before it was recorded, a certificate that waited months for the
# learner's legal name and whose task was then lost) are the nightly full sweep's.
SWEEP_ISSUE_WINDOW = timedelta(days=14)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class WorkOwed:
    """What the sweeper queues: enrollments to issue (or finish issuing) a
    certificate for, and outside cards whose decision e-mail never went out."""

    enrollment_ids: list[int]
    card_ids: list[int]


def certificate_work_owed(
    *, grace: timedelta, now: datetime, full: bool = False
) -> WorkOwed:
    """The certificate work still owed after its own task was lost or gave up, at
    most SWEEP_BATCH of each kind, leaving work younger than `grace` to its task:

    - completed enrollments without a certificate (enrollments_missing_certificate),
      completed in the last SWEEP_ISSUE_WINDOW, or at any time when `full`;
    - certificates of the last SWEEP_RESEND_WINDOW whose e-mail never went out and is
      not claimed by a live sender nor refused for good (certificates_not_emailed);
    - outside cards reviewed in that window whose decision e-mail never went out, on
      the same terms (external_certificates_not_told).
    """
    before, after = now - grace, now - SWEEP_RESEND_WINDOW
    enrollment_ids = set(
        enrollments_missing_certificate(
            completed_before=before,
            completed_after=None if full else now - SWEEP_ISSUE_WINDOW,
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
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
            reviewed_before=before,
            reviewed_after=after,
            claimed_before=now - EMAIL_CLAIM_LEASE,
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return WorkOwed(enrollment_ids=sorted(enrollment_ids), card_ids=card_ids)


# --- Issuing ------------------------------------------------------------------------


def enrollment_for_issuing(*, enrollment_id: int) -> Enrollment | None:
    """The enrollment a certificate is issued for, with its learner and course."""
    return (
        Enrollment.objects.select_related("user", "course")
        .filter(pk=enrollment_id)
        .first()
    )


def enrollments_waiting_for_name(*, user_id: int) -> list[int]:
    """The ids of the learner's completed enrollments that have no certificate (they
    waited for a legal name)."""
    return list(
        Enrollment.objects.filter(
            user_id=user_id,
            status=Enrollment.Status.COMPLETED,
            certificate__isnull=True,
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class DashboardCertificate:
    """A certificate on the dashboard: whether the page offers its PDF
    (`certificate_download_allowed`, the rule the download view enforces) and, for
    the learner's latest certificate of a course, its renewal window (courses'
    RENEWAL_WINDOW_DAYS, the rule enrollment_create enforces): when it opens,
    whether it is open now, and whether a renewal is already under way. Decided
    here so the courses template only shows it."""

    certificate: Certificate
    downloadable: bool
    status: str = "valid"  # valid, expired or revoked (display_status)
    # Superseded by a later certificate of the same course: no renewal offered.
    superseded: bool = False
    renewal_opens_on: date | None = None
    renewal_open: bool = False
    renewing: bool = False  # an enrollment in the course is open

    @property
    def renewal_shown(self) -> bool:
        return not self.superseded and self.status != "revoked"


# The learner's certificates, read on every dashboard: compiled once per process
# (core.prepared).
@prepared(user_id=int)
def _certificates_of(user_id: int) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(user_id=user_id)
        .select_related("course")
        .order_by("-issued_on", "-pk")
    )


@prepared(user_id=int)
def _certificates_following(user_id: int) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user_id=user_id).only(
        "code", "status", "expires_on", "enrollment_id", "user_id", "course_title"
    )


def dashboard_certificates(
    *, user, as_staff: bool = False, open_course_ids: set[int] | None = None
) -> dict:
    """The dashboard's certificate section: every certificate of the learner, newest
    first, each with whether its PDF is offered and, for the latest of each course,
    its renewal window (registered with courses.pages); `as_staff` is the request's
    staff decision, as for the download itself; `open_course_ids` the courses the
    learner has an open enrollment in (the dashboard loaded them). One query."""
    certificates = _certificates_of(user_id=user.pk)
    today = site_today()
    seen: set[int] = set()
    rows = []
    for certificate in certificates:
        superseded = certificate.course_id in seen
        seen.add(certificate.course_id)
        opens = certificate.expires_on - RENEWAL_WINDOW
        rows.append(
            DashboardCertificate(
                certificate=certificate,
                downloadable=certificate_download_allowed(
                    certificate=certificate, user=user, as_staff=as_staff
                ),
                status=certificate.display_status(today),
                superseded=superseded,
                renewal_opens_on=opens,
                renewal_open=opens <= today,
                renewing=certificate.course_id in (open_course_ids or set()),
            )
        )
    return {"certificates": rows}


# --- The certificate as the step that follows a completed course (courses.steps) --


def certificate_state() -> Subquery:
    """The enrollment's certificate (or NULL), as a JSON object: the step state
    courses reads with the enrollment (courses.steps, registered in apps.py), so
    the dashboard reads what follows each completed course with its enrollments."""
    return rows_state(
        Certificate.objects.filter(enrollment=OuterRef("pk")),
        code="code",
        status="status",
        expires_on="expires_on",
    )


def _certificate_of_state(enrollment: Enrollment, rows: str | None):
    """The certificate described by `certificate_state`, or None: an unsaved
    instance holding what the step shows."""
    found = state_rows(rows)  # at most one: a certificate per enrollment
    if not found:
        return None
    return Certificate(
        enrollment_id=enrollment.pk,
        user_id=enrollment.user_id,
        code=found[0]["code"],
        status=found[0]["status"],
        expires_on=date.fromisoformat(found[0]["expires_on"]),
    )


def certificate_steps_for(*, user, enrollments: list[Enrollment]) -> dict[int, Step]:
    """What follows each completed enrollment: its certificate, to download (with
    its verify page), or one being issued (the page showing it refreshes itself
    until it is), or waiting for the learner's legal name. Registered with
    courses.steps (completion source); no query when the enrollments were read
    with their step state (courses.steps.with_step_state), else one."""
    if any(enrollment.user_id != user.pk for enrollment in enrollments):
        raise ValueError("The enrollments must be the user's.")
    certificates = {}
    unread = set()
    for enrollment in enrollments:
        loaded, rows = step_state(enrollment, "certificate")
        if loaded:
            certificates[enrollment.pk] = _certificate_of_state(enrollment, rows)
        else:
            unread.add(enrollment.pk)
    if unread:
        certificates.update(
            (certificate.enrollment_id, certificate)
            for certificate in _certificates_following(user_id=user.pk)
            if certificate.enrollment_id in unread
        )
    today = site_today()
    answer = {}
    for enrollment in enrollments:
        certificate = certificates.get(enrollment.pk)
        common = {
            "kind": StepKind.CERTIFICATE,
            "key": "certificate",
            "counts": False,
        }
        if certificate is None:
            if not user.legal_name:
                answer[enrollment.pk] = Step(
                    title="Your certificate",
                    state=StepState.WAITING,
                    url=reverse("accounts:profile"),
                    action="Add your legal name",
                    status="Waiting for your legal name",
                    note="Your certificate is issued as soon as your legal full name "
                    "is on your profile: it is printed on the certificate.",
                    **common,
                )
            else:
                answer[enrollment.pk] = Step(
                    title="Your certificate",
                    state=StepState.WAITING,
                    status="Being issued",
                    note="Your certificate is being issued. This usually takes a "
                    "few seconds: this page updates by itself.",
                    refresh=True,
                    **common,
                )
            continue
        verify = Link("Verify page", certificate.get_absolute_url())
        if certificate.status == Certificate.Status.REVOKED:
            answer[enrollment.pk] = Step(
                title=f"Certificate {certificate.code}",
                state=StepState.DONE,
                status="Revoked",
                note="This certificate was revoked and is not valid.",
                links=(verify,),
                **common,
            )
        elif certificate.is_expired(today):
            answer[enrollment.pk] = Step(
                title=f"Certificate {certificate.code}",
                state=StepState.DONE,
                status="Expired",
                note=f"It expired on {format_day(certificate.expires_on)}.",
                links=(verify,),
                **common,
            )
        else:
            answer[enrollment.pk] = Step(
                title=f"Certificate {certificate.code}",
                state=StepState.DONE,
                url=reverse("certificates:pdf", args=[certificate.code]),
                action="Download your certificate (PDF)",
                status="Issued",
                facts=(f"Valid through {format_day(certificate.expires_on)}",),
                links=(verify,),
                **common,
            )
    return answer


def certificates_search(
    *, queryset: QuerySet[Certificate], term: str
) -> QuerySet[Certificate]:
    """A staff search of certificates, each kind of term on its own index: a code
    (typed as the verify page reads it) exactly, an e-mail address (or its
    beginning) through the holder's account, otherwise words of the name printed
    on the certificate (a trigram index on PostgreSQL)."""
    term = term.strip()
    if code := normalize_code(term):
        return queryset.filter(code=code)
    if "@" in term:
        return queryset.filter(user__in=users_matching(term=term).values("pk"))
    for word in term.split():
        queryset = queryset.filter(holder_name__icontains=word)
    return queryset
