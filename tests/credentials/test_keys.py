"""The signing key: from the environment or a key file, a development key generated
by `make run` that production refuses, and keys that cannot sign refused loudly."""

from __future__ import annotations

import stat

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

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


def test_a_server_without_its_key_tells_the_holder_and_issues_nothing(
    settings, tmp_path, issued, caplog
):
    """Without a key the download is refused with a message on the verify page and an
    error in the log for the team, not a server error; no credential row is made."""
    from certificates.models import BadgeCredential

    settings.CREDENTIAL_SIGNING_KEY = ""
    settings.CREDENTIAL_SIGNING_KEY_FILE = tmp_path / "absent.pem"
    client = Client()
    client.force_login(issued.user)
    response = client.get(
        reverse("certificates:credential", args=[issued.code]), follow=True
    )
    assert response.redirect_chain == [
        (reverse("certificates:verify_code", args=[issued.code]), 302)
    ]
    assert "Your credential cannot be downloaded right now" in response.text
    assert not BadgeCredential.objects.filter(certificate=issued).exists()
    assert any(
        record.levelname == "ERROR" and issued.code in record.getMessage()
        for record in caplog.records
    )
