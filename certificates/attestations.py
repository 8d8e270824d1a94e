"""What apps above certificates attest about a certificate, read without importing
them: today, a hands-on skills check passed with an instructor of an organization
(issue 17), which the certificate then states ("Online course and hands-on skills
check (instructor ..., organization, date)").

The check is the organizations app's record; certificates sits below it
(docs/ARCHITECTURE.md, "Layers"), so that app registers a source here in its
`AppConfig.ready()` and certificates asks this module. A source is a function
`source(*, enrollment_ids) -> {enrollment id: SkillsAttestation}` answering for the
enrollments whose certificates are asked about (a certificate is unique per
enrollment): the passed, not revoked check attached to each, if any.

When such a record changes, the owning app calls
`certificates.services.certificate_pdf_outdate` in the same transaction, so the PDF
is rendered again with the new statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SkillsAttestation:
    """A passed hands-on skills check, as the certificate states it."""

    instructor_name: str
    organization_name: str
    checked_on: date


SkillsSource = Callable[..., dict[int, SkillsAttestation]]
_skills_sources: list[SkillsSource] = []


def skills_source_register(fn: SkillsSource) -> None:
    """Adds a source of skills checks; adding the same one again is a no-op
    (`ready()` may run more than once)."""
    if fn not in _skills_sources:
        _skills_sources.append(fn)


def skills_attestations_for(
    *, enrollment_ids: Iterable[int]
) -> dict[int, SkillsAttestation]:
    """{enrollment id: the skills check its certificate states}, from every
    source; where two answer for one enrollment, the later check."""
    ids = sorted(set(enrollment_ids))
    found: dict[int, SkillsAttestation] = {}
    if not ids:
        return found
    for source in _skills_sources:
        for enrollment_id, attestation in source(enrollment_ids=ids).items():
            held = found.get(enrollment_id)
            if held is None or attestation.checked_on > held.checked_on:
                found[enrollment_id] = attestation
    return found
