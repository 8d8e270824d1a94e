"""django-allauth's apps under names that say what they hold in the admin's index
(both allauth's and ours were called "Accounts")."""

from __future__ import annotations

from allauth.account.apps import AccountConfig
from allauth.mfa.apps import MFAConfig


class LoginEmailsConfig(AccountConfig):
    verbose_name = "Log-in e-mail addresses"


class TwoFactorConfig(MFAConfig):
    verbose_name = "Two-factor authentication"
