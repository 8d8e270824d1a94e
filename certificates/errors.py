"""Refusals of the certificates services (the core.errors model).

Each carries a stable dotted `code` and the sentence the learner or staff member
reads (`message`). The refusals a form or an admin action shows field by field (an
outside card, a revocation, a review) are also Django `ValidationError`s, by field
when `fields` is given: forms and code written before the error model keep working,
and `fields` (in `details`) says where each message belongs.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.errors import Conflict, InvalidInput


class CertificateNotIssuable(Conflict):
    """The enrollment cannot get a certificate (yet); the message says why."""

    default_code = "certificate.not_issuable"


class HolderNameMissing(CertificateNotIssuable):
    """The learner has no legal name on file, and a certificate must print one."""

    default_code = "certificate.holder_name_missing"


class CertificateCodesExhausted(Conflict):
    """Every drawn code was taken (once in 2**60 per draw: a broken random source)."""

    default_code = "certificate.code_exhausted"


class _FormRefusal:
    """First in the bases, before a core.errors class and ValidationError (last):
    `LifelineError.__init__` chains to `ValidationError.__init__` with the message;
    `fields` (field name -> message, NON_FIELD_ERRORS for the form as a whole) makes
    it a by-field ValidationError too."""

    def __init__(
        self, message: str, *, code: str | None = None, fields=None, **details
    ):
        fields = dict(fields or {})
        super().__init__(message, code=code, fields=fields, **details)
        if fields:
            ValidationError.__init__(self, fields)

    @property
    def fields(self) -> dict[str, str]:
        """Where each message belongs: the whole message as a non-field error when
        the refusal names no field."""
        return self.details.get("fields") or {NON_FIELD_ERRORS: self.message}


class RevocationRefused(_FormRefusal, InvalidInput, ValidationError):
    default_code = "certificate.revoke_reason_missing"


class ExternalCardRefused(_FormRefusal, InvalidInput, ValidationError):
    """An outside card upload or review refused; `fields` says where (upload)."""

    default_code = "external_card.invalid"


class ExternalCardPendingExists(_FormRefusal, Conflict, ValidationError):
    """Staff review one card per learner at a time."""

    default_code = "external_card.pending_exists"
