"""What the API answers, as Pydantic schemas (they are the OpenAPI components)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from certificates.selectors import CertificateFacts
from organizations.selectors.roster import MemberRow

EXAMPLE_CODE = "BLS-7KQ4-M2XD-9TRA"


class Course(Schema):
    title: str = Field(
        description="The course's title as printed on the certificate.",
        examples=["Basic Life Support"],
    )
    code: str = Field(
        description="The course's code (the certificate code starts with it).",
        examples=["BLS"],
    )


class Certificate(Schema):
    """A certificate as its verify page states it; no e-mail, license number or
    other account details."""

    code: str = Field(
        description="The certificate code in its printed form (upper case, dashes).",
        examples=[EXAMPLE_CODE],
    )
    status: Literal["valid", "expired", "revoked"] = Field(
        description="valid: genuine and current today; expired: genuine, past its "
        "expiry date; revoked: withdrawn by Lifeline, not valid whatever its dates."
    )
    holder_name: str = Field(
        description="The holder's name as printed on the certificate.",
        examples=["Jordan A. Rivera"],
    )
    course: Course
    issued_on: date = Field(description="The day the course was completed.")
    expires_on: date = Field(description="The last day the certificate is valid.")
    revoked_on: date | None = Field(
        description="The day it was revoked; null unless status is revoked."
    )
    ce_hours: float = Field(
        description="Continuing-education hours the course carries.", examples=[4.0]
    )
    scope: str = Field(
        description="What the certificate covers, as printed on it.",
        examples=["Online cognitive course; hands-on skills not assessed by Lifeline."],
    )
    verify_url: str = Field(
        description="The certificate's public verify page (the QR code's target).",
        examples=[f"https://lifeline.example/verify/{EXAMPLE_CODE}/"],
    )

    @classmethod
    def from_facts(cls, facts: CertificateFacts) -> Certificate:
        return cls(
            code=facts.code,
            status=facts.status,
            holder_name=facts.holder_name,
            course=Course(title=facts.course_title, code=facts.course_code),
            issued_on=facts.issued_on,
            expires_on=facts.expires_on,
            revoked_on=facts.revoked_on,
            ce_hours=float(facts.hours),
            scope=facts.scope,
            verify_url=facts.verify_url,
        )


# --- Organizations ---------------------------------------------------------------

ComplianceStatus = Literal["current", "expiring", "in_progress", "expired", "none"]


class RequiredCourse(Schema):
    """A member's standing in one course the organization requires of them."""

    course: Course
    status: ComplianceStatus = Field(
        description="current: holds a current credential; expiring: current, "
        "expiring within 90 days (still compliant); in_progress: not current, "
        "studying it now; expired: a credential that counted has expired; none: "
        "nothing of these."
    )
    due_on: date = Field(
        description="When it is due: the day they joined plus the requirement's days."
    )
    overdue: bool = Field(description="Not current or expiring, and past due_on.")
    expires_on: date | None = Field(
        description="current or expiring: the last day it is valid; expired: the "
        "day it lapsed; otherwise null."
    )
    percent: int | None = Field(
        description="in_progress: percent of the course's lessons done; otherwise "
        "null.",
        examples=[40],
    )


class Member(Schema):
    """A member who shares their certificate status with the organization, as its
    administrators see them on the compliance dashboard."""

    id: int = Field(description="The membership's id (stable while they stay).")
    name: str = Field(
        description="The legal name on their profile (their e-mail address if "
        "they have not given one).",
        examples=["Jordan A. Rivera"],
    )
    email: str = Field(examples=["jordan.rivera@example.org"])
    job_role: str | None = Field(
        description="Their job role in the organization, if one is set.",
        examples=["Nurse"],
    )
    joined_on: date
    compliant: bool = Field(
        description="Every course required of them is current or expiring."
    )
    overdue: bool = Field(description="A required course is overdue.")
    courses: list[RequiredCourse] = Field(
        description="Each course the organization requires of them."
    )

    @classmethod
    def from_row(cls, row: MemberRow) -> Member:
        zone = timezone.get_default_timezone()
        return cls(
            id=row.member.pk,
            name=row.name,
            email=row.email,
            job_role=row.member.job_role_name,
            joined_on=row.member.joined_at.astimezone(zone).date(),
            compliant=row.compliant,
            overdue=row.overdue,
            courses=[
                RequiredCourse(
                    course=Course(title=cell.course.title, code=cell.course.code),
                    status=cell.status.value,
                    due_on=cell.due_on,
                    overdue=cell.overdue,
                    expires_on=cell.expires_on,
                    percent=cell.percent,
                )
                for cell in row.required
            ],
        )


class MemberPage(Schema):
    """One page of the organization's sharing members, in the order they joined
    (membership id)."""

    count: int = Field(description="Sharing members in all, on every page.")
    page: int = Field(description="This page's number, from 1.", examples=[1])
    pages: int = Field(description="The number of pages (at least 1).", examples=[1])
    page_size: int = Field(examples=[50])
    next: str | None = Field(description="The next page's URL; null on the last.")
    previous: str | None = Field(
        description="The previous page's URL; null on the first."
    )
    results: list[Member]


class MemberMatches(Schema):
    """The sharing members found (an e-mail address finds one; a license number
    recorded on two accounts finds both)."""

    count: int = Field(examples=[1])
    results: list[Member]


class LookupByEmail(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(
        min_length=3,
        max_length=254,
        description="The e-mail address of the member's Lifeline account (any "
        "letter case).",
        examples=["jordan.rivera@example.org"],
    )


class LookupByLicence(Schema):
    model_config = ConfigDict(extra="forbid")

    licence_number: str = Field(
        min_length=1,
        max_length=64,
        description="The license number on the member's profile (any letter case).",
        examples=["RN 448812"],
    )
