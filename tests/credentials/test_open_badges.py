"""Every certificate is also an Open Badges 3.0 credential, signed by Lifeline's key,
that anyone can verify from what Lifeline publishes (its key set and status lists):
checked here by an independent verifier (tests/credentials/verifier.py: jwcrypto,
where Lifeline signs with joserfc)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from certificates.models import BadgeCredential, Certificate, SigningKey, StatusList
from certificates.services.credentials import status_lists_publish
from certificates.services.revocation import certificate_revoke
from certificates.tasks import publish_status_list, publish_status_lists
from tests import factories
from tests.credentials.conftest import download, fetch, issue
from tests.credentials.verifier import Invalid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
    )


# --- What the credential says ------------------------------------------------------


def test_issued_credential_verifies_from_the_published_keys_and_status_list(
    issued, verifier
):
    verdict = verifier.verify(download(issued))

    assert verdict.status == "valid"
    credential = verdict.credential
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == issued.verify_url
    assert credential["issuer"]["name"] == "Lifeline"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "Basic Life Support"
    assert achievement["humanCode"] == "BLS"
    assert achievement["creditsAvailable"] == 4.5
    assert achievement["version"] == "2025 AHA Guidelines for CPR and ECC"
    assert (
        "passed each module quiz and the final exam"
        in (achievement["criteria"]["narrative"])
    )
    assert "hands-on skills not assessed" in achievement["criteria"]["narrative"]
    assert credential["validFrom"] == f"{issued.issued_on:%Y-%m-%d}T00:00:00Z"
    assert credential["validUntil"] == f"{issued.expires_on:%Y-%m-%d}T23:59:59Z"


def test_holder_is_identified_by_a_salted_hash_of_their_email_never_the_address(
    issued, verifier
):
    token = download(issued)
    credential = verifier.verify(token).credential
    identities = {
        i["identityType"]: i for i in credential["credentialSubject"]["identifier"]
    }
    email = identities["emailAddress"]
    assert email["hashed"] is True
    expected = hashlib.sha256(("ana.silva@example.org" + email["salt"]).encode())
    assert email["identityHash"] == "sha256$" + expected.hexdigest()
    assert identities["name"]["identityHash"] == "Ana Silva"
    # The address itself appears nowhere, not even base64-encoded in the token.
    assert "ana.silva" not in json.dumps(credential)
    assert (
        "ana.silva" not in base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    )


def test_two_certificates_of_one_holder_have_unrelated_email_hashes(issued, acls):
    from certificates.services.issuing import certificate_issue

    enrollment = factories.EnrollmentFactory(
        user=issued.user, course=acls, status="completed", completed_at=issued.issued_at
    )
    second = certificate_issue(enrollment=enrollment)
    hashes = {
        _parts(download(c))[1]["credentialSubject"]["identifier"][0]["identityHash"]
        for c in (issued, second)
    }
    assert len(hashes) == 2


def test_credential_header_is_what_open_badges_allows_and_its_kid_is_the_key_url(
    issued,
):
    header, payload = _parts(download(issued))
    assert set(header) == {"alg", "kid", "typ"}
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    content_type, body = fetch(header["kid"])
    key = json.loads(body)
    assert content_type == "application/jwk+json"
    assert key["kid"] == header["kid"]
    assert key["kty"] == "RSA"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    # JWT claims mirror the credential (Open Badges 3.0 section 8.2).
    assert payload["iss"] == payload["issuer"]["id"]
    assert payload["jti"] == payload["id"]
    assert "sub" not in payload  # the subject has no id: identified by identifier
    assert "credentialSubject" in payload and "vc" not in payload


def test_download_is_a_named_text_file_and_the_same_credential_every_time(issued):
    client = Client()
    client.force_login(issued.user)
    url = reverse("certificates:credential", args=[issued.code])
    first, second = client.get(url), client.get(url)

    assert first["Content-Type"] == "text/plain; charset=us-ascii"
    assert first["Content-Disposition"] == (
        f'attachment; filename="Lifeline-{issued.code}.jwt"'
    )
    assert first.content == second.content
    assert BadgeCredential.objects.filter(certificate=issued).count() == 1


def test_only_the_holder_and_staff_download_the_credential(issued, client, staff):
    url = reverse("certificates:credential", args=[issued.code])
    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404
    factories.login_with_mfa(client, staff)
    assert client.get(url).status_code == 200
    assert client.get(
        reverse("certificates:credential", args=["BLS-X"])
    ).status_code == (404)


def test_holder_cannot_download_the_credential_of_a_revoked_certificate(issued, staff):
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    client = Client()
    client.force_login(issued.user)
    url = reverse("certificates:credential", args=[issued.code])
    assert client.get(url).status_code == 404


# --- Tampering ---------------------------------------------------------------------


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return value + "x"


def test_changing_any_field_of_the_credential_breaks_the_proof(issued, verifier):
    token = download(issued)
    header, _payload, signature = token.split(".")
    credential = _parts(token)[1]
    leaves = list(_leaves(credential))
    assert len(leaves) > 40
    for path, value in leaves:
        forged = copy.deepcopy(credential)
        target = forged
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = _changed(value)
        body = _b64(json.dumps(forged, separators=(",", ":")).encode())
        with pytest.raises(Invalid, match="signature"):
            verifier.verify(f"{header}.{body}.{signature}")
    # Adding a field, or re-serialising the same JSON differently, breaks it too.
    for forged in (
        {**credential, "awardedDate": "2020-01-01T00:00:00Z"},
        credential,
    ):
        body = _b64(json.dumps(forged, indent=1).encode())
        with pytest.raises(Invalid, match="signature"):
            verifier.verify(f"{header}.{body}.{signature}")
    assert verifier.verify(token).status == "valid"


def test_a_changed_signature_or_header_breaks_the_proof(issued, verifier):
    header, payload, signature = download(issued).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[-1] ^= 1
    with pytest.raises(Invalid, match="signature"):
        verifier.verify(f"{header}.{payload}.{_b64(bytes(raw))}")
    decoded = json.loads(base64.urlsafe_b64decode(header + "=="))
    for forged in ({**decoded, "typ": "vc+jwt"}, {**decoded, "alg": "none"}):
        with pytest.raises(Invalid):
            verifier.verify(
                f"{_b64(json.dumps(forged).encode())}.{payload}.{signature}"
            )


def test_a_credential_signed_by_another_key_does_not_verify(issued, verifier, settings):
    from joserfc import jws
    from joserfc.jwk import RSAKey

    header, payload = _parts(download(issued))
    stranger = RSAKey.generate_key(2048)
    forged = jws.serialize_compact(header, json.dumps(payload).encode(), stranger)
    with pytest.raises(Invalid, match="signature"):
        verifier.verify(forged)


# --- Validity period and revocation ------------------------------------------------


def test_expired_credential_reports_expired(issued, verifier):
    token = download(issued)
    last_day = datetime.combine(issued.expires_on, datetime.min.time(), tzinfo=UTC)
    assert verifier.verify(token, now=last_day + timedelta(hours=23)).status == "valid"
    after = last_day + timedelta(days=1, seconds=1)
    assert verifier.verify(token, now=after).status == "expired"
    with time_machine.travel(after):
        assert verifier.verify(token).status == "expired"


def test_credential_is_not_valid_before_its_issue_day(issued, verifier):
    token = download(issued)
    day = datetime.combine(issued.issued_on, datetime.min.time(), tzinfo=UTC)
    assert verifier.verify(token, now=day - timedelta(seconds=1)).status == (
        "not yet valid"
    )


def test_revoked_certificate_has_its_status_bit_set_and_others_do_not(
    issued, bls, staff, verifier, django_capture_on_commit_callbacks
):
    other = issue(bls)
    token, other_token = download(issued), download(other)
    assert verifier.verify(token).status == "valid"

    # The revocation commits, then its event queues the publish task (eager here).
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(
            certificate=issued, by=staff, reason="Exam taken by someone else"
        )

    # The credential the holder downloaded before is still signed, but revoked.
    assert verifier.verify(token).status == "revoked"
    assert verifier.verify(other_token).status == "valid"
    entry = _parts(token)[1]["credentialStatus"]
    assert entry["statusPurpose"] == "revocation"
    assert verifier.status_bit(entry) == 1


def test_publishing_a_status_list_twice_writes_it_once(issued, staff):
    download(issued)
    Certificate.objects.filter(pk=issued.pk).update(
        status=Certificate.Status.REVOKED,
        revoked_at=issued.issued_at,
        revoke_reason="Lost task",
    )
    assert publish_status_list.delay(issued.pk).get() is True
    published = StatusList.objects.get()
    assert publish_status_list.delay(issued.pk).get() is False
    assert StatusList.objects.get().published_at == published.published_at
    assert StatusList.objects.get().token == published.token


def test_beat_run_publishes_a_revocation_whose_task_was_lost(issued, verifier):
    token = download(issued)
    # Revoked while the broker was down: the row changed, the publish task never ran.
    Certificate.objects.filter(pk=issued.pk).update(
        status=Certificate.Status.REVOKED,
        revoked_at=issued.issued_at,
        revoke_reason="Lost task",
    )
    assert verifier.verify(token).status == "valid"  # the list is stale...
    assert publish_status_lists.delay().get() == 1
    assert verifier.verify(token).status == "revoked"  # ...until the beat run
    assert publish_status_lists.delay().get() == 0


def test_revoking_a_certificate_that_never_had_a_credential_publishes_nothing(
    issued, staff
):
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    assert not StatusList.objects.exists()
    assert not BadgeCredential.objects.exists()


def test_status_list_is_a_signed_bitstring_of_at_least_16kb_served_for_caching(
    issued, verifier
):
    entry = _parts(download(issued))[1]["credentialStatus"]
    response = Client().get(
        entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response["Cache-Control"]
    status_list, _ = verifier.proof(response.content.decode())
    assert status_list["type"] == [
        "VerifiableCredential",
        "BitstringStatusListCredential",
    ]
    assert status_list["credentialSubject"]["ttl"] == 300_000
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    assert verifier.status_bit(entry) == 0


# --- Status list entries -----------------------------------------------------------


def test_status_list_indexes_are_unique_random_and_kept(bls, staff):
    certificates = [issue(bls) for _ in range(12)]
    for certificate in certificates:
        download(certificate)
    indexes = [b.status_index for b in BadgeCredential.objects.order_by("pk")]
    assert len(set(indexes)) == 12
    # Drawn at random, not handed out in order (inference of issue order or volume).
    assert indexes != sorted(indexes)
    assert max(indexes) - min(indexes) > 1000
    revoked = certificates[0]
    kept = BadgeCredential.objects.get(certificate=revoked).status_index
    certificate_revoke(certificate=revoked, by=staff, reason="Issued in error")
    download(certificates[1])
    assert BadgeCredential.objects.get(certificate=revoked).status_index == kept


def test_the_database_refuses_a_status_index_given_twice(issued, bls):
    download(issued)
    taken = BadgeCredential.objects.get()
    other = issue(bls)
    with pytest.raises(IntegrityError), transaction.atomic():
        BadgeCredential.objects.create(
            certificate=other,
            status_list=taken.status_list,
            status_index=taken.status_index,
            identity_salt="x",
        )


def test_a_full_list_sends_new_entries_to_the_next_list(bls, monkeypatch):
    from certificates.services import credentials

    monkeypatch.setattr(credentials, "STATUS_LIST_FILL", 2)
    certificates = [issue(bls) for _ in range(3)]
    tokens = [download(c) for c in certificates]
    lists = [_parts(t)[1]["credentialStatus"]["statusListCredential"] for t in tokens]
    assert lists[0] == lists[1] != lists[2]
    assert lists[2].endswith("/credentials/status/2/")
    assert StatusList.objects.count() == 2


# --- Keys and rotation -------------------------------------------------------------


def test_rotated_key_signs_new_credentials_and_old_ones_still_verify(
    issued,
    bls,
    verifier,
    settings,
    second_key_file,
    staff,
    django_capture_on_commit_callbacks,
):
    old_token = download(issued)
    old_kid = _parts(old_token)[0]["kid"]

    settings.CREDENTIAL_SIGNING_KEY_FILE = second_key_file
    # The beat run signs the status lists again with the current key, once.
    assert status_lists_publish() == 1
    assert status_lists_publish() == 0
    new_certificate = issue(bls)
    new_token = download(new_certificate)
    new_kid = _parts(new_token)[0]["kid"]

    assert new_kid != old_kid
    keys = json.loads(fetch(verifier.jwks_url)[1])["keys"]
    assert [k["kid"] for k in keys] == [old_kid, new_kid]
    assert verifier.verify(old_token).kid == old_kid
    assert verifier.verify(new_token).kid == new_kid
    # The holder's next download is signed with the current key.
    assert _parts(download(issued))[0]["kid"] == new_kid
    assert {row.key_thumbprint for row in StatusList.objects.all()} == {
        new_kid.rstrip("/").rsplit("/", 1)[-1]
    }
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    assert verifier.verify(old_token).status == "revoked"


def test_key_set_publishes_only_public_halves_with_cors_and_caching(issued):
    download(issued)
    response = Client().get(reverse("certificates:public_keys"))
    assert response["Content-Type"] == "application/jwk-set+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg"}
    assert SigningKey.objects.count() == 1


def test_unknown_key_and_status_list_are_404(db):
    client = Client()
    assert (
        client.get(reverse("certificates:public_key", args=["nope"])).status_code == 404
    )
    assert client.get(reverse("certificates:status_list", args=[9])).status_code == 404


def test_issuer_profile_is_published_at_its_id(db, settings):
    response = Client().get(reverse("certificates:issuer_profile"))
    profile = response.json()
    assert response["Content-Type"] == "application/ld+json"
    assert profile["id"] == "http://127.0.0.1:8000/credentials/issuer/"
    assert profile["type"] == ["Profile"]
    assert profile["name"] == settings.CERTIFICATE_ISSUER_NAME
    assert profile["@context"][0] == "https://www.w3.org/ns/credentials/v2"
