"""Reads of organizations: who may see what, and each member's compliance.

Permissions are decided here, never in templates: an organization's pages are for
its active administrators (anyone else gets a 404, as for any object they may not
see); a member's certificate status is shown only while they consent to share it
(`Membership.consent_given_at`) and only as a status per required course, from the
certificates app's "current credential" rule and the courses app's progress: never
an exam, an attempt or an answer.

Compliance of a member in a required course, in the order it is decided:
- current: a current credential (ours not revoked, or an approved outside card)
  that expires more than EXPIRING_WITHIN_DAYS days from today;
- expiring: current, expiring within EXPIRING_WITHIN_DAYS days (exactly 90 days out
  is expiring; still compliant);
- in progress: not current, an open enrollment (percent of its lessons done);
- expired: not current, a credential that counted has expired (the day after its
  expiry date: "expired yesterday");
- none: nothing of the above.
A member is compliant when every course required of them is current or expiring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from allauth.account.models import EmailAddress
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from certificates.selectors import (
    CredentialDates,
    HeldCredential,
    credential_dates_for,
    credentials_held_for,
)
from core.dates import site_today
from courses.models import Course
from courses.selectors import RENEWAL_WINDOW_DAYS, OpenProgress, open_progress_for

from ..models import (
    Invitation,
    JobRole,
    JoinLink,
    Membership,
    Organization,
    Requirement,
    WeeklyDigest,
)
from ..tokens import token_hash

# "Expiring" is the window in which a holder may renew (courses' rule): an
# administrator chasing someone "expiring" sends them to a course they can take.
EXPIRING_WITHIN_DAYS = RENEWAL_WINDOW_DAYS


# --- Who may see what ---------------------------------------------------------------


def organizations_administered(*, user) -> list[tuple[Organization, str]]:
    """(organization, role) where `user` is an active administrator or instructor
    (the header's links: the compliance dashboard, or the skills checks). One
    query; none for a visitor who is not signed in."""
    if not user.is_authenticated:
        return []
    return [
        (membership.organization, membership.role)
        for membership in Membership.objects.active()
        .filter(user=user, role__in=[Membership.Role.ADMIN, Membership.Role.INSTRUCTOR])
        .select_related("organization")
        .order_by("organization__name")
    ]


def member_while_sharing(path: str = "membership") -> dict:
    """Annotations naming the member at `path` (a relation to Membership) only while
    they share their status: `member_name` (the legal name, may be empty) and
    `member_email`, both None once they withdraw consent or leave. Rows an
    organization keeps about a member (seat codes, skills checks) are read with these
    instead of the member's user, so its pages cannot name someone who stopped
    sharing."""
    sharing = Q(
        **{f"{path}__left_at__isnull": True, f"{path}__consent_given_at__isnull": False}
    )
    return {
        f"member_{name}": Case(
            When(sharing, then=F(f"{path}__user__{field}")), default=Value(None)
        )
        for name, field in (("name", "legal_name"), ("email", "email"))
    }


def organization_for_admin(*, user, slug: str) -> Organization:
    """The organization if `user` is one of its active administrators; else 404 (an
    organization's pages do not tell others it exists). One query."""
    if not user.is_authenticated:
        raise Http404("No such organization.")
    organization = Organization.objects.filter(
        slug=slug,
        memberships__user=user,
        memberships__left_at__isnull=True,
        memberships__role=Membership.Role.ADMIN,
    ).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization


def job_roles_of(*, organization: Organization) -> list[JobRole]:
    return list(JobRole.objects.filter(organization=organization).order_by("name"))


# --- Compliance ---------------------------------------------------------------------


class Status(StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"
    IN_PROGRESS = "in_progress"
    EXPIRED = "expired"
    NONE = "none"


STATUS_LABELS = {
    Status.CURRENT: "Current",
    Status.EXPIRING: "Expiring",
    Status.IN_PROGRESS: "In progress",
    Status.EXPIRED: "Expired",
    Status.NONE: "Not started",
}
STATUS_BADGES = {
    Status.CURRENT: "badge-success",
    Status.EXPIRING: "badge-warning",
    Status.IN_PROGRESS: "badge-muted",
    Status.EXPIRED: "badge-danger",
    Status.NONE: "badge-danger",
}
HOLDS = (Status.CURRENT, Status.EXPIRING)


@dataclass(slots=True)
class Cell:
    """One member's standing in one required course."""

    course: Course
    status: Status
    due_on: date
    today: date
    # Current or expiring: until when; expired: when it lapsed.
    expires_on: date | None = None
    percent: int | None = None  # in progress

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def holds(self) -> bool:
        return self.status in HOLDS

    @property
    def overdue(self) -> bool:
        """Not held and past the date it was due (joining + the requirement's days)."""
        return not self.holds and self.today > self.due_on

    @property
    def days_left(self) -> int | None:
        if self.holds and self.expires_on:
            return (self.expires_on - self.today).days
        return None

    @property
    def detail(self) -> str:
        """The cell's words after its badge, as the matrix and the export show them."""
        if self.holds:
            return f"until {self.expires_on:%Y-%m-%d}"
        if self.status == Status.IN_PROGRESS:
            return f"{self.percent}% of lessons"
        if self.status == Status.EXPIRED:
            return f"expired {self.expires_on:%Y-%m-%d}"
        return ""


# A member's standing in one course as the rule decides it: (status, the date that
# goes with it (expiry, or lapse), percent of lessons when in progress). Plain
# tuples, so thousands of members cost little; Cell objects are made for the rows
# a page or an export shows.
State = tuple[Status, date | None, int | None]


def state_for(
    *,
    dates: CredentialDates | None,
    progress: OpenProgress | None,
    window: date,
) -> State:
    """The status rule (module docstring), for one member and one course; `window`
    is today + EXPIRING_WITHIN_DAYS."""
    if dates is not None and dates.current_until:
        current = dates.current_until
        return (Status.EXPIRING if current <= window else Status.CURRENT, current, None)
    if progress is not None:
        return (Status.IN_PROGRESS, None, progress.percent)
    if dates is not None and dates.lapsed_on:
        return (Status.EXPIRED, dates.lapsed_on, None)
    return (Status.NONE, None, None)


class Member(NamedTuple):
    """A sharing member as the dashboard shows them: read as plain values (not
    model instances), so thousands of rows cost little."""

    pk: int
    user_id: int
    email: str
    legal_name: str
    job_role_id: int | None
    job_role_name: str | None
    joined_at: datetime
    consent_given_at: datetime | None


_MEMBER_FIELDS = (
    "pk",
    "user_id",
    "user__email",
    "user__legal_name",
    "job_role_id",
    "job_role__name",
    "joined_at",
    "consent_given_at",
)


class MemberRow:
    """A sharing member and their standing in each required course. The summary
    the dashboard filters, sorts and totals by is computed once; the Cells
    (`cells`) only when a page or an export shows the row."""

    __slots__ = (
        "_cells",
        "columns",
        "compliant",
        "dues",
        "member",
        "overdue",
        "soonest_expiry",
        "states",
        "today",
    )

    def __init__(
        self,
        *,
        member: Member,
        columns: list[Course],
        states: list[State | None],
        dues: list[date | None],
        today: date,
    ):
        self.member = member
        self.columns = columns
        # Aligned with columns; None where the course is not required of them.
        self.states = states
        self.dues = dues
        self.today = today
        self._cells: list[Cell | None] | None = None
        compliant, overdue, soonest = True, False, None
        for state, due in zip(states, dues, strict=True):
            if state is None:
                continue
            status, when = state[0], state[1]
            if status in HOLDS:
                if soonest is None or when < soonest:
                    soonest = when
            else:
                compliant = False
                if today > due:
                    overdue = True
        self.compliant: bool = compliant
        self.overdue: bool = overdue
        # The earliest expiry among the required credentials they hold.
        self.soonest_expiry: date | None = soonest

    @property
    def cells(self) -> list[Cell | None]:
        if self._cells is None:
            self._cells = [
                None
                if state is None
                else Cell(course, state[0], due, self.today, state[1], state[2])
                for course, state, due in zip(
                    self.columns, self.states, self.dues, strict=True
                )
            ]
        return self._cells

    @property
    def name(self) -> str:
        return self.member.legal_name or self.member.email

    @property
    def email(self) -> str:
        return self.member.email

    @property
    def job_role(self) -> str:
        return self.member.job_role_name or ""

    @property
    def required(self) -> list[Cell]:
        return [cell for cell in self.cells if cell is not None]

    def expiring_within(self, days: int) -> bool:
        """A required credential they hold expires within `days` days."""
        soonest = self.soonest_expiry
        return soonest is not None and (soonest - self.today).days <= days

    def has_status(self, status: str) -> bool:
        return any(state is not None and state[0] == status for state in self.states)


@dataclass(frozen=True)
class Totals:
    members: int
    compliant: int
    expiring: int  # members with a required credential expiring within 90 days
    overdue: int
    not_sharing: int  # active members who do not share their status (counted only)

    @property
    def percent(self) -> int:
        """Share of sharing members who are compliant, rounded down (so 99.6% is
        never shown as 100% while someone is not)."""
        return 100 * self.compliant // self.members if self.members else 100

    @property
    def sentence(self) -> str:
        return (
            f"{self.percent}% compliant, {self.expiring} expiring within "
            f"{EXPIRING_WITHIN_DAYS} days"
        )


@dataclass
class Compliance:
    organization: Organization
    columns: list[Course]
    rows: list[MemberRow]
    today: date
    not_sharing: int = 0
    job_roles: list[JobRole] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        return Totals(
            members=len(self.rows),
            compliant=sum(1 for row in self.rows if row.compliant),
            expiring=sum(
                1 for row in self.rows if row.expiring_within(EXPIRING_WITHIN_DAYS)
            ),
            overdue=sum(1 for row in self.rows if row.overdue),
            not_sharing=self.not_sharing,
        )


def _requirements(organization: Organization) -> list[Requirement]:
    return list(
        Requirement.objects.filter(organization=organization)
        .select_related("course", "job_role")
        .order_by("course__order", "course__title", "pk")
    )


def _compliance(
    *,
    organization: Organization,
    memberships: QuerySet[Membership],
    today: date,
    requirements: list[Requirement] | None = None,
) -> tuple[list[Course], list[MemberRow], int]:
    """Columns, rows for the sharing memberships among the active ones in
    `memberships`, and how many do not share (counted, never shown): three
    queries (members, credentials, progress) plus one for the requirements unless
    given."""
    if requirements is None:
        requirements = _requirements(organization)
    columns: list[Course] = []
    for requirement in requirements:
        if requirement.course not in columns:
            columns.append(requirement.course)
    course_ids = [course.pk for course in columns]
    active = memberships.filter(organization=organization).active()
    members, not_sharing = [], 0
    for values in active.order_by("pk").values_list(*_MEMBER_FIELDS):
        member = Member._make(values)
        if member.consent_given_at is None:
            not_sharing += 1  # counted; nothing else of theirs is read
        else:
            members.append(member)
    if not members:
        return columns, [], not_sharing
    sharing = memberships.filter(organization=organization).sharing()
    user_ids = sharing.values("user_id")
    dates = credential_dates_for(users=user_ids, course_ids=course_ids, today=today)
    progress = open_progress_for(users=user_ids, course_ids=course_ids)
    # Days due per (job role id or None, course id): the tightest requirement.
    due_days: dict[tuple[int | None, int], int] = {}
    for requirement in requirements:
        key = (requirement.job_role_id, requirement.course_id)
        due_days[key] = min(due_days.get(key, 10**6), requirement.due_within_days)
    # Per job role: each column's time due (None: not required of that role).
    plans: dict[int | None, list[timedelta | None]] = {}
    window = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    site_zone = timezone.get_default_timezone()
    rows = []
    for member in members:
        plan = plans.get(member.job_role_id)
        if plan is None:
            days = [
                min(
                    (
                        due_days[key]
                        for key in ((None, c.pk), (member.job_role_id, c.pk))
                        if key in due_days
                    ),
                    default=None,
                )
                for c in columns
            ]
            plan = plans[member.job_role_id] = [
                None if d is None else timedelta(days=d) for d in days
            ]
        joined = member.joined_at.astimezone(site_zone).date()
        states: list[State | None] = []
        dues: list[date | None] = []
        for course_id, days in zip(course_ids, plan, strict=True):
            if days is None:
                states.append(None)
                dues.append(None)
                continue
            key = (member.user_id, course_id)
            states.append(
                state_for(
                    dates=dates.get(key), progress=progress.get(key), window=window
                )
            )
            dues.append(joined + days)
        rows.append(
            MemberRow(
                member=member, columns=columns, states=states, dues=dues, today=today
            )
        )
    return columns, rows, not_sharing


def compliance_for(
    *, organization: Organization, today: date | None = None
) -> Compliance:
    """Every sharing member's status in every course required of them, with the
    totals and the number of members who do not share. Five queries whatever the
    number of members (asserted with 10 and 1,000)."""
    today = today or site_today()
    columns, rows, not_sharing = _compliance(
        organization=organization, memberships=Membership.objects.all(), today=today
    )
    return Compliance(
        organization=organization,
        columns=columns,
        rows=rows,
        today=today,
        not_sharing=not_sharing,
        job_roles=job_roles_of(organization=organization),
    )


# --- The dashboard's filters, search, sorting and paging ----------------------------


def _sort_key(sort: str, columns: list[Course]):
    if sort == "job_role":
        return lambda row: (row.job_role.lower(), row.name.lower())
    if sort == "joined":
        return lambda row: (row.member.joined_at, row.name.lower())
    if sort == "compliant":
        # Not compliant first, overdue first among them.
        return lambda row: (row.compliant, not row.overdue, row.name.lower())
    if sort == "expiry":
        return lambda row: (row.soonest_expiry or date.max, row.name.lower())
    if sort.startswith("course-"):
        course_id = int(sort.removeprefix("course-"))
        index = next(i for i, c in enumerate(columns) if c.pk == course_id)
        order = {status: n for n, status in enumerate(Status)}

        def by_course(row: MemberRow):
            state = row.states[index]
            if state is None:
                return (len(order), date.max, row.name.lower())
            return (order[state[0]], state[1] or date.max, row.name.lower())

        return by_course
    return lambda row: (row.name.lower(), row.email)


def sort_choices(columns: list[Course]) -> list[tuple[str, str]]:
    """The orders the dashboard offers: (value, label)."""
    return [
        ("name", "Name"),
        ("job_role", "Job role"),
        ("joined", "Joined"),
        ("compliant", "Not compliant first"),
        ("expiry", "Soonest expiry first"),
        *((f"course-{c.pk}", f"{c.code} status") for c in columns),
    ]


def compliance_rows(
    compliance: Compliance,
    *,
    job_role: int | None = None,
    status: str = "",
    expiring_within: int | None = None,
    search: str = "",
    sort: str = "name",
    descending: bool = False,
) -> list[MemberRow]:
    """The rows the dashboard and the export show: filtered by job role, by a
    status in any required course ("overdue" and "not_compliant" too), by a
    credential expiring within N days, by a search in name and e-mail, then sorted.
    Reads nothing from the database."""
    rows = compliance.rows
    if job_role:
        rows = [r for r in rows if r.member.job_role_id == job_role]
    if status == "overdue":
        rows = [r for r in rows if r.overdue]
    elif status == "not_compliant":
        rows = [r for r in rows if not r.compliant]
    elif status == "compliant":
        rows = [r for r in rows if r.compliant]
    elif status:
        rows = [r for r in rows if r.has_status(status)]
    if expiring_within is not None:
        rows = [r for r in rows if r.expiring_within(expiring_within)]
    needle = search.strip().lower()
    if needle:
        rows = [r for r in rows if needle in r.name.lower() or needle in r.email]
    return sorted(rows, key=_sort_key(sort, compliance.columns), reverse=descending)


@dataclass
class MemberHistory:
    member: Member
    row: MemberRow
    columns: list[Course]
    credentials: list[HeldCredential]


def member_history_for(
    *, organization: Organization, membership_id: int, today: date | None = None
) -> MemberHistory:
    """A sharing member's row and their credentials in the courses the organization
    requires (no attempt, no exam); 404 for anyone else: another organization's
    member, one who does not share, one who left."""
    today = today or site_today()
    columns, rows, _ = _compliance(
        organization=organization,
        memberships=Membership.objects.filter(pk=membership_id),
        today=today,
    )
    if not rows:
        raise Http404("No such member.")
    row = rows[0]
    return MemberHistory(
        member=row.member,
        row=row,
        columns=columns,
        credentials=credentials_held_for(
            user=row.member.user_id,
            course_ids=[c.pk for c in columns],
            today=today,
        ),
    )


# --- Invitations, join links, requirements ----------------------------------------


def invitations_for_admin(*, organization: Organization) -> QuerySet[Invitation]:
    """The organization's invitations for its administrators' list (paged by the
    page): waiting ones first, by address; then accepted, withdrawn and expired
    ones, newest first."""
    waiting = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return (
        Invitation.objects.filter(organization=organization)
        .select_related("job_role")
        .annotate(
            closed=Case(When(waiting, then=Value(0)), default=Value(1)),
            waiting_email=Case(When(waiting, then=F("email"))),
        )
        .order_by("closed", "waiting_email", "-created_at", "-pk")
    )


def join_links_for_admin(*, organization: Organization) -> QuerySet[JoinLink]:
    """The organization's join links, active ones first, newest first (paged by
    the page)."""
    return (
        JoinLink.objects.filter(organization=organization)
        .select_related("job_role")
        .order_by("-is_active", "-created_at", "-pk")
    )


def requirements_for_admin(*, organization: Organization) -> list[Requirement]:
    return _requirements(organization)


def courses_requirable() -> QuerySet[Course]:
    return Course.objects.published().order_by("order", "title")


def invitation_for_admin(*, organization: Organization, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(organization=organization, pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def join_link_for_admin(*, organization: Organization, pk: int) -> JoinLink:
    link = JoinLink.objects.filter(organization=organization, pk=pk).first()
    if link is None:
        raise Http404("No such join link.")
    return link


def requirement_for_admin(*, organization: Organization, pk: int) -> Requirement:
    requirement = Requirement.objects.filter(organization=organization, pk=pk).first()
    if requirement is None:
        raise Http404("No such requirement.")
    return requirement


# --- The learner's side -------------------------------------------------------------


def memberships_for(*, user) -> list[Membership]:
    """The learner's active memberships with their organization and job role."""
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organization", "job_role")
        .order_by("organization__name")
    )


def membership_of(*, user, pk: int) -> Membership:
    """The learner's own active membership; 404 for anyone else's."""
    membership = (
        Membership.objects.active()
        .filter(user=user, pk=pk)
        .select_related("organization")
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    return membership


def _verified_emails(user) -> list[str]:
    emails = {user.email.lower()}
    emails.update(
        address.lower()
        for address in EmailAddress.objects.filter(
            user=user, verified=True
        ).values_list("email", flat=True)
    )
    return sorted(emails)


def invitations_open_for(*, user) -> list[Invitation]:
    """Open, unexpired invitations to any of the learner's verified addresses, from
    organizations they are not an active member of. Two queries."""
    if not user.is_authenticated:
        return []
    return list(
        Invitation.objects.filter(
            email__in=_verified_emails(user),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(
            organization__in=Membership.objects.active()
            .filter(user=user)
            .values("organization_id")
        )
        .select_related("organization", "job_role")
        .order_by("organization__name")
    )


def invitation_open_for(*, user, pk: int) -> Invitation:
    """One of invitations_open_for; 404 otherwise."""
    for invitation in invitations_open_for(user=user):
        if invitation.pk == pk:
            return invitation
    raise Http404("No such invitation.")


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation whose link carries `token` (any state), or None."""
    return (
        Invitation.objects.filter(token_hash=token_hash(token))
        .select_related("organization", "job_role")
        .first()
    )


def is_member(*, user, organization: Organization) -> bool:
    """Whether `user` belongs to `organization` now (joined and not left). One
    query."""
    return (
        Membership.objects.active()
        .filter(user=user, organization=organization)
        .exists()
    )


def join_link_by_token(*, token: str) -> JoinLink | None:
    return (
        JoinLink.objects.filter(token_hash=token_hash(token))
        .select_related("organization", "job_role")
        .first()
    )


# --- The weekly digest --------------------------------------------------------------


def organizations_for_digest() -> list[int]:
    """Ids of organizations with at least one active administrator."""
    return list(
        Organization.objects.filter(
            memberships__left_at__isnull=True,
            memberships__role=Membership.Role.ADMIN,
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def digest_recipients(*, organization: Organization) -> list[str]:
    return list(
        Membership.objects.active()
        .filter(organization=organization, role=Membership.Role.ADMIN)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def digest_last_sent(*, organization: Organization) -> WeeklyDigest | None:
    return (
        WeeklyDigest.objects.filter(organization=organization, sent_at__isnull=False)
        .order_by("-iso_year", "-iso_week")
        .first()
    )
