from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from certificates.attestations import skills_source_register
        from core.events import subscribe

        from . import handlers, menu
        from .events import InvitationIssued, SeatCodeIssued
        from .selectors.skills import skills_attestations_for

        # The header's links, read once per log-in (menu.py).
        user_logged_in.connect(menu.on_login, dispatch_uid="organizations.menu")

        # Services never import tasks: the invitation e-mail, rendered by the
        # service, is queued by the handler once the invitation is committed.
        subscribe(InvitationIssued, handlers.invitation_issued)
        subscribe(SeatCodeIssued, handlers.seat_code_issued)

        # A passed skills check is stated on the certificate; certificates sits
        # below and asks through its registry (certificates.attestations).
        skills_source_register(skills_attestations_for)
