"""What the API answers, as Pydantic schemas (they are the OpenAPI components)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field

from certificates.selectors import CertificateFacts

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
    """A certificate as its verify page states it; no e-mail, licence number or
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
