from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and profiles"

    def ready(self) -> None:
        from allauth.account.internal.flows.login import record_authentication
        from allauth.mfa.models import Authenticator
        from allauth.mfa.signals import authenticator_added
        from django.contrib.auth import update_session_auth_hash
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .learner_state import learner_records_register, on_post_migrate
        from .models import User
        from .services import totp_activation_record, user_other_sessions_end

        def _record_activation_code(sender, authenticator, **kwargs) -> None:
            # The code typed to activate TOTP is used: it cannot also open a session.
            totp_activation_record(authenticator=authenticator)

        def _totp_activated(sender, request, user, authenticator, **kwargs) -> None:
            """The session that activated the authenticator app typed a code from it:
            it counts as having passed two-factor (allauth's own "mfa" record, as a
            sign-in with the code makes). Every OTHER session of the account ends:
            one signed in with the password alone before now is out."""
            if authenticator.type != Authenticator.Type.TOTP:
                return
            user_other_sessions_end(user=user)
            if request is not None and request.user.pk == user.pk:
                update_session_auth_hash(request, user)
                record_authentication(
                    request,
                    user,
                    "mfa",
                    id=authenticator.pk,
                    type=authenticator.type,
                    activated=True,
                )

        authenticator_added.connect(
            _record_activation_code,
            weak=False,
            dispatch_uid="accounts.totp_activation",
        )
        authenticator_added.connect(
            _totp_activated,
            weak=False,
            dispatch_uid="accounts.totp_activated_session",
        )
        # Kept learner pages (accounts.learner_pages) show the profile (legal name,
        # profession); every app above names its own learner tables.
        learner_records_register(User, owner="pk")
        post_migrate.connect(
            on_post_migrate, sender=self, dispatch_uid="accounts.learner_triggers"
        )
