"""Rules of the certificates app written once and used by every caller: the download
rule (view and dashboard link), the outside-card file types (form, service, storage,
preview), and the request body limit views declare (core.http)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certificates.models import EXTERNAL_CARD_FILE_TYPES
from certificates.services.revocation import certificate_revoke
from tests import factories

from .uploads import image_bytes

pytestmark = pytest.mark.django_db


def _offered_and_served(client, certificate) -> tuple[bool, bool]:
    url = reverse("certificates:pdf", args=[certificate.code])
    offered = url in client.get(reverse("courses:dashboard")).content.decode()
    return offered, client.get(url).status_code == 200


def test_the_dashboard_offers_a_download_exactly_when_the_view_serves_it(
    client, issued, staff
):
    client.force_login(issued.user)
    assert _offered_and_served(client, issued) == (True, True)
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    assert _offered_and_served(client, issued) == (False, False)


def test_staff_allowed_to_view_certificates_are_offered_what_they_may_download(
    client, staff, bls
):
    # Staff may download any certificate, their own revoked one too: so the
    # dashboard offers it (it used to hide a link the view would have served).
    own = factories.CertificateFactory(user=staff, enrollment__user=staff)
    certificate_revoke(certificate=own, by=staff, reason="Issued in error")
    factories.login_with_mfa(client, staff)
    assert _offered_and_served(client, own) == (True, True)


@pytest.mark.parametrize(
    ("content_type", "extension"), EXTERNAL_CARD_FILE_TYPES.items()
)
def test_a_card_is_stored_and_previewed_with_the_extension_of_its_type(
    staff_client, bls, content_type, extension
):
    content = {
        "application/pdf": b"%PDF-1.4",
        "image/jpeg": image_bytes("JPEG"),
        "image/png": image_bytes("PNG"),
    }[content_type]
    card = factories.ExternalCertificateFactory(
        course=bls,
        file=SimpleUploadedFile("upload.bin", content),
        content_type=content_type,
    )
    assert card.file.name.endswith(f".{extension}")
    response = staff_client.get(reverse("certificates:external_file", args=[card.pk]))
    assert (
        f'filename="outside-card-{card.pk}.{extension}"'
        in (response["Content-Disposition"])
    )


def test_the_upload_form_accepts_exactly_the_card_file_types():
    from certificates.forms import ExternalCertificateForm

    accept = ExternalCertificateForm().fields["file"].widget.attrs["accept"]
    assert set(accept.split(",")) == set(EXTERNAL_CARD_FILE_TYPES)


def test_the_upload_view_takes_a_card_of_the_largest_size_and_nothing_larger(
    settings, learner_client
):
    """The request body limit the upload view declares (core.http.body_limit) is what
    the middleware enforces there: a body the size of the largest card plus its form
    gets through, one byte more is refused unread with the limit stated."""
    from tests.config.test_request_limits import WatchedBody, _post_declaring

    url = reverse("certificates:external_upload")
    limit = settings.EXTERNAL_CARD_MAX_BYTES + settings.EXTERNAL_CARD_REQUEST_OVERHEAD
    at_limit = WatchedBody(limit)
    assert _post_declaring(learner_client, url, at_limit).status_code != 413
    assert at_limit.position > 0  # the view read it
    over = WatchedBody(limit + 1)
    response = _post_declaring(learner_client, url, over)
    assert response.status_code == 413
    assert over.position == 0
    assert "the limit here is 5.1\xa0MB" in response.content.decode()
