"""Revoking a certificate: staff decide, the trail records who, when and why."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.events import publish

from ..errors import RevocationRefused
from ..events import CertificateRevoked
from ..models import Certificate

logger = logging.getLogger(__name__)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by, reason: str) -> bool:
    """Revokes the certificate, recording who, when and why on the row and in the
    audit trail (whatever called it: the admin, a shell, a task). From then on it
    verifies as revoked and no longer meets prerequisites; once committed, its
    Open Badges status list is published again (CertificateRevoked). Returns False
    (and changes nothing) when it was already revoked. Refuses (RevocationRefused) an
    empty reason.
    """
    reason = reason.strip()
    if not reason:
        raise RevocationRefused("Give the reason for revoking the certificate.")
    locked = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=certificate.pk)
    )
    if locked.status == Certificate.Status.REVOKED:
        return False
    locked.status = Certificate.Status.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action=AuditEvent.Action.CERTIFICATE_REVOKED,
        actor=by,
        subject=locked.user,
        target=locked,
        data={"code": locked.code, "reason": reason},
    )
    publish(CertificateRevoked(certificate_id=locked.pk))
    logger.info(
        "Certificate %s revoked by user %s", locked.code, getattr(by, "pk", None)
    )
    return True
