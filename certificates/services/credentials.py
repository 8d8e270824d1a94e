"""Open Badges 3.0 credentials: issuing a certificate's signed credential, and
publishing the revocation status lists it points into.

- `certificate_credential_issue` signs the certificate's credential with the current
  key. The first time, it gives the certificate its status list entry (a random free
  index, never reused) and identity salt, and makes sure the list is published.
  Signing is deterministic, so every later download gives the same token until the
  key rotates.
- `status_list_publish` recomputes a list from the certificates revoked now and
  rewrites it only when a bit changed or another key signed it; the task that runs
  after a revocation, and the beat run that catches up, call it. Safe to run twice or
  concurrently (the list row is locked, the comparison is made under the lock).
- Every key that signs is recorded (`SigningKey`), so the published key set keeps it
  after a rotation and old credentials still verify.
"""

from __future__ import annotations

import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from ..models import (
    STATUS_LIST_FILL,
    STATUS_LIST_SIZE,
    BadgeCredential,
    Certificate,
    SigningKey,
    StatusList,
)
from ..openbadges import (
    certificate_credential,
    encode_bitstring,
    status_list_credential,
)
from ..signing import IssuerKey, sign, signing_key

logger = logging.getLogger(__name__)

# Draws of a random index before giving up. A list is at most half full
# (STATUS_LIST_FILL), so each draw is free with probability 1/2 or more: 40 draws all
# taken happens about once in 10**12.
INDEX_ATTEMPTS = 40


class StatusListFull(Exception):
    """No free index was found (only with a broken random source)."""


def signing_key_record(*, key: IssuerKey) -> SigningKey:
    """Records the public half of `key` the first time it signs (the key set Lifeline
    publishes is read from these rows). Does nothing when it is recorded already."""
    row, _ = SigningKey.objects.get_or_create(
        thumbprint=key.thumbprint, defaults={"public_jwk": key.public_jwk}
    )
    return row


def _open_list() -> int:
    """The list new entries go to: the newest one while it holds fewer than
    STATUS_LIST_FILL entries, else a new one."""
    newest = BadgeCredential.objects.aggregate(number=Max("status_list"))["number"]
    if newest is None:
        return 1
    used = BadgeCredential.objects.filter(status_list=newest).aggregate(n=Count("id"))
    return newest if used["n"] < STATUS_LIST_FILL else newest + 1


def _badge_ensure(*, certificate: Certificate) -> tuple[BadgeCredential, bool]:
    existing = BadgeCredential.objects.filter(certificate=certificate).first()
    if existing is not None:
        return existing, False
    number = _open_list()
    salt = secrets.token_hex(16)
    for _ in range(INDEX_ATTEMPTS):
        try:
            with transaction.atomic():
                badge = BadgeCredential.objects.create(
                    certificate=certificate,
                    status_list=number,
                    status_index=secrets.randbelow(STATUS_LIST_SIZE),
                    identity_salt=salt,
                )
        except IntegrityError:
            # Either the index was taken (draw again) or another request gave this
            # certificate its entry first (use that one).
            existing = BadgeCredential.objects.filter(certificate=certificate).first()
            if existing is not None:
                return existing, False
            continue
        return badge, True
    raise StatusListFull(f"No free index in status list {number}.")


def certificate_credential_issue(*, certificate: Certificate) -> str:
    """The certificate's Open Badges 3.0 credential, signed (a VC-JWT, compact JWS).

    The first time: creates its BadgeCredential (a random free status list index and
    the identity salt, kept for good) and publishes the status list if needed. Records
    the signing key. Raises signing.SigningKeyMissing when no key is configured.
    """
    key = signing_key()
    badge, created = _badge_ensure(certificate=certificate)
    if created:
        status_list_publish(number=badge.status_list, key=key)
    signing_key_record(key=key)
    certificate = Certificate.objects.select_related("course", "user").get(
        pk=certificate.pk
    )
    payload = certificate_credential(
        certificate=certificate, badge=badge, email=certificate.user.email
    )
    return sign(payload, key=key)


def _revoked_indices(number: int) -> list[int]:
    return list(
        BadgeCredential.objects.filter(
            status_list=number, certificate__status=Certificate.Status.REVOKED
        ).values_list("status_index", flat=True)
    )


@transaction.atomic
def status_list_publish(*, number: int, key: IssuerKey | None = None) -> bool:
    """Publishes status list `number` as the certificates stand now: bit set for
    each revoked certificate with an entry in it, signed with the current key.
    Writes only when a bit changed or another key signed the published list; returns
    whether it wrote. Raises signing.SigningKeyMissing without a key."""
    key = key or signing_key()
    row = StatusList.objects.select_for_update().filter(number=number).first()
    encoded = encode_bitstring(_revoked_indices(number))
    if (
        row is not None
        and row.encoded_list == encoded
        and row.key_thumbprint == key.thumbprint
    ):
        return False
    signing_key_record(key=key)
    now = timezone.now()
    token = sign(
        status_list_credential(number=number, encoded_list=encoded, published_at=now),
        key=key,
    )
    if row is None:
        try:
            with transaction.atomic():
                StatusList.objects.create(
                    number=number,
                    encoded_list=encoded,
                    token=token,
                    key_thumbprint=key.thumbprint,
                    published_at=now,
                )
        except IntegrityError:
            # Another publisher created it meanwhile: lock theirs and compare again.
            return status_list_publish(number=number, key=key)
    else:
        row.encoded_list, row.token = encoded, token
        row.key_thumbprint, row.published_at = key.thumbprint, now
        row.save(
            update_fields=["encoded_list", "token", "key_thumbprint", "published_at"]
        )
    logger.info("Status list %s published (key %s)", number, key.thumbprint)
    return True


def status_list_publish_for_certificate(*, certificate_id: int) -> bool:
    """Publishes the status list the certificate has its entry in (after it was
    revoked). False, and nothing written, when it has no entry (no credential was
    ever issued for it: nothing to revoke in a list) or the list is up to date."""
    number = (
        BadgeCredential.objects.filter(certificate_id=certificate_id)
        .values_list("status_list", flat=True)
        .first()
    )
    if number is None:
        return False
    return status_list_publish(number=number)


def status_lists_publish() -> int:
    """Publishes every status list that is out of date (a lost publish task, a key
    rotation); returns how many were written."""
    numbers = set(
        BadgeCredential.objects.values_list("status_list", flat=True).distinct()
    ) | set(StatusList.objects.values_list("number", flat=True))
    if not numbers:
        return 0
    key = signing_key()
    return sum(status_list_publish(number=n, key=key) for n in sorted(numbers))
