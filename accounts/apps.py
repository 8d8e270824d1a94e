from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from . import checks  # noqa: F401  (registers the system checks)
        from .services import totp_activation_record

        def _record_activation_code(sender, authenticator, **kwargs) -> None:
            # The code typed to activate TOTP is used: it cannot also open a session.
            totp_activation_record(authenticator=authenticator)

        authenticator_added.connect(
            _record_activation_code,
            weak=False,
            dispatch_uid="accounts.totp_activation",
        )
