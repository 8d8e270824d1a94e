"""The signing key: from the environment or a key file, a development key generated
by `make run` that production refuses, and keys that cannot sign refused loudly."""

from __future__ import annotations

import stat

import pytest
from django.core.management import CommandError, call_command

from certificates.checks import credential_key_is_configured
from certificates.signing import (
    SigningKeyMissing,
    generate_private_key_pem,
    signing_key,
)


def _ids(settings) -> list[str]:
    return [message.id for message in credential_key_is_configured()]


def test_production_refuses_the_development_key(settings):
    settings.DEBUG = False
    settings.CREDENTIAL_SIGNING_KEY = ""
    settings.CREDENTIAL_SIGNING_KEY_FILE = settings.DEVELOPMENT_CREDENTIAL_KEY_FILE
    assert _ids(settings) == ["certificates.E004"]
    settings.DEBUG = True  # `make run` signs with it
    assert _ids(settings) == []


@pytest.mark.filterwarnings("ignore:Key size should be")
def test_production_refuses_a_missing_or_unusable_key(settings, tmp_path):
    settings.DEBUG = False
    settings.CREDENTIAL_SIGNING_KEY_FILE = tmp_path / "absent.pem"
    assert _ids(settings) == ["certificates.E005"]
    weak = tmp_path / "weak.pem"
    weak.write_bytes(generate_private_key_pem(1024))
    settings.CREDENTIAL_SIGNING_KEY_FILE = weak
    (message,) = credential_key_is_configured()
    assert message.id == "certificates.E005" and "1024 bits" in message.msg


def test_production_accepts_its_own_key_from_a_file_or_the_environment(
    settings, tmp_path, credential_key_file
):
    settings.DEBUG = False
    assert _ids(settings) == []
    pem = credential_key_file.read_text()
    settings.CREDENTIAL_SIGNING_KEY = pem
    settings.CREDENTIAL_SIGNING_KEY_FILE = tmp_path / "absent.pem"
    assert _ids(settings) == []
    assert signing_key().source == "CREDENTIAL_SIGNING_KEY"


def test_a_public_key_cannot_sign(settings, tmp_path):
    from joserfc.jwk import RSAKey

    public = tmp_path / "public.pem"
    public.write_bytes(RSAKey.generate_key(2048).as_pem(private=False))
    settings.CREDENTIAL_SIGNING_KEY_FILE = public
    with pytest.raises(SigningKeyMissing, match="public key"):
        signing_key()


def test_generate_signing_key_writes_a_private_file_and_never_overwrites(tmp_path):
    path = tmp_path / "key.pem"
    call_command("generate_signing_key", str(path), "--bits", "2048")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    assert first.startswith(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(CommandError, match="not overwriting"):
        call_command("generate_signing_key", str(path), "--bits", "2048")
    assert path.read_bytes() == first


def test_staff_see_the_published_keys_and_lists_read_only(staff_client, issued):
    from django.urls import reverse

    from tests.credentials.conftest import download

    download(issued)
    for name in ("signingkey", "statuslist"):
        listing = staff_client.get(reverse(f"admin:certificates_{name}_changelist"))
        assert listing.status_code == 200
        assert staff_client.get(
            reverse(f"admin:certificates_{name}_add")
        ).status_code == (403)
