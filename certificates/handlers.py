"""Handlers of the domain events certificates subscribes to (apps.py), its own
(certificates.events) included. Like tasks, they decide nothing: each queues tasks or
calls one service. Services never import tasks; handlers, tasks and commands do.
They run after the publisher's transaction commits (core.events), so they queue at
once."""

from __future__ import annotations

from accounts.events import LegalNameSet
from courses.events import EnrollmentCompleted

from .events import CertificatePdfOutdated, CertificateRevoked, ExternalCardDecided
from .selectors import enrollments_waiting_for_name
from .tasks import (
    issue_certificate,
    publish_status_list,
    render_certificate_pdf,
    send_external_card_decision,
)


def enrollment_completed(event: EnrollmentCompleted) -> None:
    """A completed enrollment gets its certificate. With the broker unreachable the
    failure is logged and the sweeper issues it later."""
    issue_certificate.enqueue(event.enrollment_id)


def legal_name_set(event: LegalNameSet) -> None:
    """The certificates that waited for the learner's legal name are issued (the
    learner's completed enrollments without one: one issue task each)."""
    for enrollment_id in enrollments_waiting_for_name(user_id=event.user_id):
        issue_certificate.enqueue(enrollment_id)


def external_card_decided(event: ExternalCardDecided) -> None:
    """The learner is e-mailed the staff decision on their outside card."""
    send_external_card_decision.enqueue(event.card_id)


def certificate_revoked(event: CertificateRevoked) -> None:
    """The revoked certificate's status list is published again. With the broker
    unreachable the failure is logged and the beat run (publish_status_lists) catches
    up within minutes."""
    publish_status_list.enqueue(event.certificate_id)


def certificate_pdf_outdated(event: CertificatePdfOutdated) -> None:
    """The PDF is rendered again with what the certificate states now. With the
    broker unreachable it is rendered when next downloaded."""
    render_certificate_pdf.enqueue(event.certificate_id)
