"""Events the certificates app publishes (core.events) for its own asynchronous work.

Services never import tasks (tasks call services). A service whose decision owes
work to a task publishes an event; `handlers.py`, subscribed in `apps.py`, queues the
task once the decision commits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CertificatePdfOutdated:
    """What a certificate states changed after it was issued (a skills check was
    recorded or revoked): its PDF is rendered again."""

    certificate_id: int


@dataclass(frozen=True)
class ExternalCardDecided:
    """Staff approved or rejected an outside card: the learner is e-mailed it."""

    card_id: int


@dataclass(frozen=True)
class CertificateRevoked:
    """Staff revoked a certificate: its revocation status list is published again,
    so a verifier of its Open Badges credential sees the bit set."""

    certificate_id: int
