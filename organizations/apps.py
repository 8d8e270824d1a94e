from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"

    def ready(self) -> None:
        from core.events import subscribe

        from . import handlers
        from .events import InvitationIssued

        # Services never import tasks: the invitation e-mail, rendered by the
        # service, is queued by the handler once the invitation is committed.
        subscribe(InvitationIssued, handlers.invitation_issued)
