"""The issuer's signing key and the VC-JWT proof of Open Badges 3.0 credentials.

One key signs at a time: the RSA private key in settings (CREDENTIAL_SIGNING_KEY, or
the file CREDENTIAL_SIGNING_KEY_FILE). Its name is its RFC 7638 thumbprint; the `kid`
in every signature's header is the URL where its public JWK is published
(certificates:public_key), as Open Badges 3.0 section 8.2 asks: a URI that
dereferences to the JWK. The algorithm is RS256: the one every Open Badges 3.0
verifier must accept and the one the 1EdTech conformance suite checks for JWT proofs.

The JOSE work (JWK, thumbprint, compact JWS) is joserfc's; nothing here computes a
signature by hand. RSASSA-PKCS1-v1_5 is deterministic, so signing the same credential
with the same key gives the same token: a certificate's credential can be signed again
at each download instead of being stored.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
# RFC 7518 section 3.3: RS256 keys have at least 2048 bits.
MINIMUM_KEY_BITS = 2048
# What `generate_signing_key` makes: NIST SP 800-57 puts 2048-bit RSA at "acceptable
# through 2030"; 3072 bits carries credentials signed now past their expiry.
GENERATED_KEY_BITS = 3072


class SigningKeyMissing(Exception):
    """No usable signing key is configured (see settings, CREDENTIAL_SIGNING_KEY)."""


@dataclass(frozen=True, slots=True)
class IssuerKey:
    key: RSAKey
    thumbprint: str
    # Where the key came from (for messages): "CREDENTIAL_SIGNING_KEY" or a path.
    source: str

    @property
    def public_jwk(self) -> dict:
        """The public half, as published: no private member ever."""
        return self.key.as_dict(private=False)

    @property
    def bits(self) -> int:
        return self.key.private_key.key_size


def key_url(thumbprint: str) -> str:
    """The `kid` of a key: the URL of its published public JWK."""
    return settings.SITE_URL + reverse("certificates:public_key", args=[thumbprint])


def generate_private_key_pem(bits: int = GENERATED_KEY_BITS) -> bytes:
    """A new RSA private key, PEM (PKCS #8), for `generate_signing_key`."""
    return RSAKey.generate_key(bits, private=True).as_pem(private=True)


def thumbprint_of(pem: bytes) -> str:
    """The RFC 7638 thumbprint of a PEM key (its name here)."""
    return RSAKey.import_key(pem).thumbprint()


@functools.lru_cache(maxsize=4)
def _load(pem: bytes, source: str) -> IssuerKey:
    try:
        key = RSAKey.import_key(pem)
    except (ValueError, TypeError, JoseError) as exc:
        raise SigningKeyMissing(f"{source} is not an RSA private key in PEM.") from exc
    if not key.is_private:
        raise SigningKeyMissing(f"{source} holds a public key; give the private key.")
    loaded = IssuerKey(key=key, thumbprint=key.thumbprint(), source=source)
    if loaded.bits < MINIMUM_KEY_BITS:
        raise SigningKeyMissing(
            f"{source} has {loaded.bits} bits; RS256 needs at least {MINIMUM_KEY_BITS}."
        )
    return loaded


def signing_key() -> IssuerKey:
    """The key that signs now, from settings. Parsed once per process and key (an
    RSA import costs about 0.2 s); a changed file or setting is read anew. Raises
    SigningKeyMissing when none is configured or it is unusable."""
    if settings.CREDENTIAL_SIGNING_KEY:
        text = settings.CREDENTIAL_SIGNING_KEY.strip().encode()
        return _load(text, "CREDENTIAL_SIGNING_KEY")
    path = Path(settings.CREDENTIAL_SIGNING_KEY_FILE)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise SigningKeyMissing(
            f"No credential signing key: CREDENTIAL_SIGNING_KEY is empty and "
            f"{path} cannot be read ({exc.strerror})."
        ) from exc
    return _load(pem, str(path))


def signing_key_is_development() -> bool:
    """True while credentials would be signed with the key `make run` generates."""
    return (
        not settings.CREDENTIAL_SIGNING_KEY
        and Path(settings.CREDENTIAL_SIGNING_KEY_FILE).resolve()
        == Path(settings.DEVELOPMENT_CREDENTIAL_KEY_FILE).resolve()
    )


def encode_payload(payload: dict) -> bytes:
    """The JSON the signature covers: compact, in the order the builder wrote it,
    so the same credential always gives the same bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict, *, key: IssuerKey) -> str:
    """A compact JWS of `payload` (VC-JWT): the JOSE header holds exactly `alg`,
    `kid` and `typ` ("JWT"), the only headers Open Badges 3.0 allows."""
    header = {"alg": ALGORITHM, "kid": key_url(key.thumbprint), "typ": "JWT"}
    return jws.serialize_compact(
        header, encode_payload(payload), key.key, algorithms=[ALGORITHM]
    )
