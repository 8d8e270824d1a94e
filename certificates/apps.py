from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        # What courses reads or triggers without importing certificates
        # (docs/ARCHITECTURE.md): the learner's current credentials, the dashboard's
        # certificates, and the certificate owed for a completed enrollment.
        from core.events import subscribe
        from courses.credentials import credential_source_register
        from courses.events import EnrollmentCompleted
        from courses.pages import page_section_register

        credential_source_register(_current_credentials)
        page_section_register("dashboard", _dashboard_certificates)
        subscribe(EnrollmentCompleted, _issue_certificate)


def _current_credentials(*, user) -> dict:
    """{course id: expiry} of our certificates not revoked or expired and outside
    cards approved and not expired (certificates.selectors: "current")."""
    from .selectors import certificates_current, external_certificates_current

    held: dict = {}
    for queryset in (
        certificates_current(user=user),
        external_certificates_current(user=user),
    ):
        for course_id, expires_on in queryset.values_list("course_id", "expires_on"):
            if course_id not in held or expires_on > held[course_id]:
                held[course_id] = expires_on
    return held


def _dashboard_certificates(*, user) -> dict:
    from .models import Certificate

    return {
        "certificates": list(
            Certificate.objects.filter(user=user)
            .select_related("course")
            .order_by("-issued_on")
        )
    }


def _issue_certificate(event) -> None:
    """Runs after the completion committed: queue the certificate now (a broker
    error is logged; the hourly sweeper issues what is owed)."""
    from .tasks import issue_certificate

    issue_certificate.enqueue(event.enrollment_id)
