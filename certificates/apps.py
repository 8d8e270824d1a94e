from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from accounts.events import LegalNameSet
        from core.events import subscribe
        from courses.credentials import (
            credential_source_register,
            pending_credential_source_register,
            recent_credential_source_register,
        )
        from courses.events import EnrollmentCompleted
        from courses.pages import page_section_register
        from courses.steps import completion_source_register, step_state_register

        from . import checks, handlers, selectors  # noqa: F401 (checks register)
        from .events import (
            CertificatePdfOutdated,
            CertificateRevoked,
            ExternalCardDecided,
        )

        # Lower apps trigger certificate work through events and read what only this
        # app knows through registries (docs/ARCHITECTURE.md).
        subscribe(EnrollmentCompleted, handlers.enrollment_completed)
        subscribe(LegalNameSet, handlers.legal_name_set)
        # Its own: services never import tasks (docs/ARCHITECTURE.md).
        subscribe(ExternalCardDecided, handlers.external_card_decided)
        subscribe(CertificateRevoked, handlers.certificate_revoked)
        subscribe(CertificatePdfOutdated, handlers.certificate_pdf_outdated)
        # "Current credential" is decided here, once; courses reads it through this.
        credential_source_register(selectors.current_credentials)
        # ...and "held now or until recently" (renewing learners may test out).
        recent_credential_source_register(selectors.recent_credentials)
        # ...and "waiting for review" (an outside card staff have not decided on).
        pending_credential_source_register(selectors.external_cards_pending_courses)
        page_section_register("dashboard", selectors.dashboard_certificates)
        # What follows a completed course: its certificate (courses.steps).
        completion_source_register(selectors.certificate_steps_for)
        # ...read with the enrollments themselves where a page reads their state.
        step_state_register(
            "certificate", selectors.certificate_state, completed_only=True
        )
        # What the learner's kept pages show moves their state version
        # (accounts.learner_state).
        from accounts.learner_state import learner_records_register

        from .models import Certificate, ExternalCertificate, HolderNameRequest

        learner_records_register(Certificate)
        learner_records_register(ExternalCertificate)
        learner_records_register(HolderNameRequest, owner="enrollment__user")
