"""Real concurrency against PostgreSQL: first downloads and publishers racing."""

from __future__ import annotations

import pytest

from certificates.models import BadgeCredential, Certificate, StatusList
from certificates.services.credentials import (
    certificate_credential_issue,
    status_list_publish,
)
from tests.credentials.conftest import issue
from tests.exams.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_first_downloads_give_one_entry_and_the_same_credential(bls):
    certificate = issue(bls)
    results = race(
        lambda: certificate_credential_issue(certificate=certificate),
        lambda: certificate_credential_issue(certificate=certificate),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    assert BadgeCredential.objects.filter(certificate=certificate).count() == 1
    assert StatusList.objects.count() == 1


def test_first_credentials_of_two_certificates_open_one_list_with_both_entries(bls):
    first, second = issue(bls), issue(bls)
    results = race(
        lambda: certificate_credential_issue(certificate=first),
        lambda: certificate_credential_issue(certificate=second),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert StatusList.objects.count() == 1
    indexes = set(BadgeCredential.objects.values_list("status_index", flat=True))
    assert len(indexes) == 2


def test_two_publishers_after_a_revocation_write_the_list_once(bls):
    certificate = issue(bls)
    certificate_credential_issue(certificate=certificate)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.REVOKED,
        revoked_at=certificate.issued_at,
        revoke_reason="Issued in error",
    )
    results = race(
        lambda: status_list_publish(number=1),
        lambda: status_list_publish(number=1),
    )
    assert sorted(results) == [False, True]
