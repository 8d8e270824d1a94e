"""An Open Badges 3.0 verifier written apart from the code that issues: another JOSE
library (jwcrypto, where Lifeline signs with joserfc), the standard library for the
status list, and nothing from the project. It knows only the issuer's identity and
JWK Set URL (the trust anchor) and reads everything else over HTTP through `fetch`,
as a verifier on the web would.

It follows Open Badges 3.0 section 8.2.4 ("Verify a Credential") and the W3C
Bitstring Status List validation algorithm.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from jwcrypto import jwk, jws

# (content type, body) of a GET of an absolute URL.
Fetch = Callable[[str], tuple[str, bytes]]

ALLOWED_HEADERS = {"alg", "kid", "jwk", "typ"}
MINIMUM_STATUS_ENTRIES = 131_072


class Invalid(Exception):
    """The credential or its proof is not valid."""


@dataclass(frozen=True)
class Verdict:
    status: str  # valid, expired, revoked, not yet valid
    credential: dict
    kid: str


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class Verifier:
    def __init__(self, *, issuer_id: str, jwks_url: str, fetch: Fetch) -> None:
        self.issuer_id = issuer_id
        self.jwks_url = jwks_url
        self.fetch = fetch

    def _key(self, kid: str) -> jwk.JWK:
        _content_type, body = self.fetch(self.jwks_url)
        keys = json.loads(body)["keys"]
        for candidate in keys:
            if candidate.get("kid") == kid:
                if "d" in candidate or "p" in candidate:
                    raise Invalid("the published key set holds a private key")
                return jwk.JWK(**candidate)
        raise Invalid(f"no published key {kid!r}")

    def proof(self, token: str) -> tuple[dict, str]:
        """Checks the JWS against the issuer's published keys; returns the payload
        and the key id."""
        try:
            header_part = token.split(".")[0]
            header = json.loads(_b64decode(header_part))
        except (ValueError, IndexError) as exc:
            raise Invalid("not a compact JWS") from exc
        if not set(header) <= ALLOWED_HEADERS:
            raise Invalid(f"headers Open Badges does not allow: {sorted(header)}")
        if header.get("typ", "JWT") != "JWT":
            raise Invalid("typ is not JWT")
        if header.get("alg") != "RS256" or "kid" not in header:
            raise Invalid("expected an RS256 signature with a kid")
        key = self._key(header["kid"])
        signed = jws.JWS()
        try:
            signed.deserialize(token)
            signed.verify(key, alg="RS256")
        except (jws.InvalidJWSSignature, jws.InvalidJWSObject, ValueError) as exc:
            raise Invalid(f"signature: {exc}") from exc
        try:
            payload = json.loads(signed.payload)
        except ValueError as exc:
            raise Invalid("payload is not JSON") from exc
        return payload, header["kid"]

    def _claims(self, payload: dict) -> None:
        issuer = payload.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if payload.get("iss") != issuer_id or issuer_id != self.issuer_id:
            raise Invalid("iss does not match the issuer")
        if payload.get("jti") != payload.get("id"):
            raise Invalid("jti does not match the credential id")
        subject_id = (payload.get("credentialSubject") or {}).get("id")
        if payload.get("sub") != subject_id:
            raise Invalid("sub does not match credentialSubject.id")
        nbf = payload.get("nbf")
        if not isinstance(nbf, int) or datetime.fromtimestamp(nbf, UTC) != (
            _parse_time(payload["validFrom"])
        ):
            raise Invalid("nbf does not match validFrom")
        if "exp" in payload or "validUntil" in payload:
            exp = payload.get("exp")
            if not isinstance(exp, int) or datetime.fromtimestamp(exp, UTC) != (
                _parse_time(payload["validUntil"])
            ):
                raise Invalid("exp does not match validUntil")

    def status_bit(self, entry: dict) -> int:
        """The credential's bit in its status list (W3C Bitstring Status List)."""
        if entry.get("type") != "BitstringStatusListEntry":
            raise Invalid("unknown credentialStatus type")
        list_token = self.fetch(entry["statusListCredential"])[1].decode()
        status_list, _ = self.proof(list_token)
        self._claims(status_list)
        if "BitstringStatusListCredential" not in status_list["type"]:
            raise Invalid("not a status list credential")
        subject = status_list["credentialSubject"]
        if subject["statusPurpose"] != entry["statusPurpose"]:
            raise Invalid("status purpose differs")
        encoded = subject["encodedList"]
        if not encoded.startswith("u"):
            raise Invalid("encodedList is not multibase base64url")
        bits = gzip.decompress(_b64decode(encoded[1:]))
        if len(bits) * 8 < MINIMUM_STATUS_ENTRIES:
            raise Invalid("status list shorter than the minimum (herd privacy)")
        index = int(entry["statusListIndex"])
        if index >= len(bits) * 8:
            raise Invalid("status index outside the list")
        return (bits[index // 8] >> (7 - index % 8)) & 1

    def verify(self, token: str, *, now: datetime | None = None) -> Verdict:
        payload, kid = self.proof(token)
        self._claims(payload)
        types = payload.get("type", [])
        if "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
            raise Invalid("not an OpenBadgeCredential")
        now = now or datetime.now(UTC)
        status = "valid"
        if now < _parse_time(payload["validFrom"]):
            status = "not yet valid"
        elif "validUntil" in payload and now > _parse_time(payload["validUntil"]):
            status = "expired"
        entry = payload.get("credentialStatus")
        if entry and entry["statusPurpose"] == "revocation" and self.status_bit(entry):
            status = "revoked"
        return Verdict(status=status, credential=payload, kid=kid)
