"""Open Badges 3.0 documents: a certificate's credential, the issuer's profile and the
revocation status list, as the JSON that gets signed or served. Builders only: they
read the rows they are given and settings, and write nothing (services/credentials.py
decides and stores; certificates/signing.py signs).

The credential (an `OpenBadgeCredential`, a W3C Verifiable Credential 2.0) states what
the certificate states, from its snapshot taken at issue, and hashes the holder's
account address as it is now (not a snapshot): signing it again later gives the same
document until the holder changes their e-mail address, after which the credential
downloaded next carries the new address's hash:

- `id`: the certificate's verify page; `issuer`: Lifeline's Profile (its `id` is the
  profile's stable URL, also the JWT `iss`).
- `validFrom` / `validUntil`: the start of the issue day and the end of the expiry
  day in the site's time zone (the certificate is valid through its expiry date),
  also the JWT `nbf` / `exp`.
- `credentialSubject`: the holder, with no `id` (Lifeline knows no DID of theirs) but
  two `IdentityObject`s: the e-mail address as `sha256$` of the lower-cased address
  and a per-certificate salt (`identityHash`, hashed), and the name as printed.
  Without a subject `id` the JWT carries no `sub` (RFC 7519 makes it optional; the
  VC-JOSE-COSE mapping is `credentialSubject.id`).
- the achievement: course title and code, description, criteria, CE hours
  (`creditsAvailable`, and `creditsEarned` on the subject), the guideline edition
  (`version`), `achievementType` CertificateOfCompletion (what an online course
  without a skills check is).
- `credentialStatus`: a `BitstringStatusListEntry` (revocation) pointing into a
  status list credential published at /credentials/status/<n>/.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.issuer import issuer

from .models import STATUS_LIST_SIZE, BadgeCredential, Certificate
from .selectors import SCOPE_ONLINE_ONLY

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json"
)
# How long a verifier may keep a status list before fetching it again (milliseconds,
# the list's `ttl`); the status list view sends the same as Cache-Control max-age.
STATUS_LIST_TTL_SECONDS = 300


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def issuer_profile_id() -> str:
    """The issuer's stable identifier: the URL of its Profile document."""
    return absolute(reverse("certificates:issuer_profile"))


def status_list_url(number: int) -> str:
    return absolute(reverse("certificates:status_list", args=[number]))


def timestamp(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC, whole seconds: 2027-03-05T00:00:00Z."""
    utc = moment.astimezone(timezone.UTC).replace(microsecond=0)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_from(issued_on: date) -> datetime:
    """The first moment of the issue day in the site's time zone."""
    return datetime.combine(issued_on, time.min, tzinfo=timezone.get_default_timezone())


def valid_until(expires_on: date) -> datetime:
    """The last whole second of the expiry day in the site's time zone: a
    certificate is valid through its expiry date (Certificate.is_expired)."""
    return datetime.combine(
        expires_on, time(23, 59, 59), tzinfo=timezone.get_default_timezone()
    )


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' IdentityHash of an e-mail address: `sha256$` and the hex SHA-256
    of the lower-cased address followed by the salt. A verifier told the holder's
    address checks it by computing the same."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


def _credits(hours: Decimal) -> float:
    return float(hours)


def issuer_profile() -> dict:
    """Lifeline's issuer Profile (Open Badges 3.0), served at its `id`."""
    who = issuer()
    profile = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_profile_id(),
        "type": ["Profile"],
        "name": who.name,
        "url": who.site_url,
        "description": (
            f"{who.name} issues certificates of completion of online "
            f"life-support courses. {who.address}"
        ),
    }
    if "@" in who.contact:
        profile["email"] = who.contact
    return profile


def achievement_description(certificate: Certificate) -> str:
    parts = [f"{certificate.course_title}, an online course"]
    if certificate.guidelines:
        parts[0] += f" following the {certificate.guidelines}"
    parts[0] += "."
    # The hours are `creditsAvailable`; what they are (and what accreditation is or
    # is not claimed) is the course's own statement, as printed on the certificate.
    if certificate.accreditation:
        parts.append(certificate.accreditation)
    return " ".join(parts)


def criteria_narrative(certificate: Certificate) -> str:
    return (
        f"Completed every lesson of the {certificate.course_title} online course and "
        f"passed each module quiz and the final exam. {SCOPE_ONLINE_ONLY}"
    )


def certificate_credential(
    *, certificate: Certificate, badge: BadgeCredential, email: str
) -> dict:
    """The OpenBadgeCredential of `certificate` with the JWT claims of its VC-JWT
    proof (Open Badges 3.0 section 8.2: the payload is the credential plus `iss`,
    `jti`, `nbf` and `exp`). `certificate.course` is read for the achievement's
    URL (select it with the certificate)."""
    issuer_id = issuer_profile_id()
    course_url = absolute(reverse("courses:detail", args=[certificate.course.slug]))
    starts = valid_from(certificate.issued_on)
    ends = valid_until(certificate.expires_on)
    list_url = status_list_url(badge.status_list)
    credential_id = certificate.verify_url
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.course_title,
        "description": (
            f"{certificate.holder_name} completed {certificate.course_title}: "
            f"certificate {certificate.code}."
        ),
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": certificate.issuer_name or issuer().name,
            "url": settings.SITE_URL,
        },
        "validFrom": timestamp(starts),
        "validUntil": timestamp(ends),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": identity_hash(email, badge.identity_salt),
                    "salt": badge.identity_salt,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                },
            ],
            "creditsEarned": _credits(certificate.hours),
            "achievement": {
                "id": course_url,
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": certificate.course_title,
                "description": achievement_description(certificate),
                "criteria": {
                    "id": course_url,
                    "narrative": criteria_narrative(certificate),
                },
                "creditsAvailable": _credits(certificate.hours),
                "humanCode": certificate.course_code,
                **(
                    {"version": certificate.guidelines}
                    if certificate.guidelines
                    else {}
                ),
                "inLanguage": "en",
            },
        },
        "credentialStatus": {
            "id": f"{list_url}#{badge.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(badge.status_index),
            "statusListCredential": list_url,
        },
        "credentialSchema": [
            {"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"},
        ],
        "iss": issuer_id,
        "jti": credential_id,
        "nbf": int(starts.timestamp()),
        "exp": int(ends.timestamp()),
    }


def encode_bitstring(indices: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """W3C Bitstring Status List `encodedList`: the bitstring (index 0 the left-most,
    most significant bit of the first byte) GZIP-compressed, base64url without
    padding, with the multibase prefix `u`. The GZIP header's time is zero, so the
    same bits always encode the same."""
    bits = bytearray(size // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def status_list_credential(
    *, number: int, encoded_list: str, published_at: datetime
) -> dict:
    """The BitstringStatusListCredential of list `number` (revocation), with the JWT
    claims of its VC-JWT proof."""
    url = status_list_url(number)
    issuer_id = issuer_profile_id()
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": timestamp(published_at),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
            "ttl": STATUS_LIST_TTL_SECONDS * 1000,
        },
        "iss": issuer_id,
        "jti": url,
        "sub": f"{url}#list",
        "nbf": int(published_at.timestamp()),
    }
