from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from accounts.events import LegalNameSet
        from core.events import subscribe
        from courses.credentials import (
            credential_source_register,
            recent_credential_source_register,
        )
        from courses.events import EnrollmentCompleted
        from courses.pages import page_section_register

        from . import checks, handlers, selectors  # noqa: F401 (checks register)
        from .events import ExternalCardDecided

        # Lower apps trigger certificate work through events and read what only this
        # app knows through registries (docs/ARCHITECTURE.md).
        subscribe(EnrollmentCompleted, handlers.enrollment_completed)
        subscribe(LegalNameSet, handlers.legal_name_set)
        # Its own: services never import tasks (docs/ARCHITECTURE.md).
        subscribe(ExternalCardDecided, handlers.external_card_decided)
        # "Current credential" is decided here, once; courses reads it through this.
        credential_source_register(selectors.current_credentials)
        # ...and "held now or until recently" (renewing learners may test out).
        recent_credential_source_register(selectors.recent_credentials)
        page_section_register("dashboard", selectors.dashboard_certificates)
