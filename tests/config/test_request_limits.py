"""Request bodies are refused by their declared size before anything reads them."""

from __future__ import annotations

import io
import os
import socket
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates.models import ExternalCertificate
from tests.certificates.test_external import _form

UPLOAD_URL = reverse("certificates:external_upload")
BOUNDARY = "lifelineboundary"
SIXTY_MB = 60 * 1024 * 1024
CSRF_COOKIE = "a" * 32


class WatchedBody:
    """A multipart request body of `size` bytes (one file of zeros), produced only as
    it is read; `position` says how much was read."""

    def __init__(self, size: int):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="card.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.position = 0

    def _at(self, start: int, end: int) -> bytes:
        zeros_end = self.size - len(self.tail)
        head = self.head[start:end]
        zeros = b"0" * max(0, min(end, zeros_end) - max(start, len(self.head)))
        tail = self.tail[max(0, start - zeros_end) : max(0, end - zeros_end)]
        return head + zeros + tail

    def read(self, n: int | None = -1) -> bytes:
        remaining = self.size - self.position
        n = remaining if n is None or n < 0 else min(n, remaining)
        chunk = self._at(self.position, self.position + n)
        self.position += n
        return chunk

    def readline(self, limit: int | None = -1) -> bytes:
        unbounded = limit is None or limit < 0
        end = self.size if unbounded else min(self.size, self.position + limit)
        ahead = self._at(self.position, end)
        line = ahead[: ahead.index(b"\n") + 1] if b"\n" in ahead else ahead
        self.position += len(line)
        return line


def _post_declaring(client: Client, url: str, body: WatchedBody):
    return client.post(
        url,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )


def _browser_client(user=None) -> Client:
    """A client as a browser is: CSRF checks on (as in production) and the CSRF cookie
    it got from an earlier page, so the CSRF check goes on to read the body's token."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_COOKIE
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    """Where Django would spool an upload; empty to start with."""
    path = tmp_path / "upload-tmp"
    path.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(path)
    return path


@pytest.mark.django_db
def test_oversized_upload_is_refused_before_its_body_is_read(
    user, bls, acls, upload_temp_dir
):
    client = _browser_client(user)
    body = WatchedBody(SIXTY_MB)
    response = _post_declaring(client, UPLOAD_URL, body)
    assert body.position == 0, "the body was read"
    assert response.status_code == 413
    page = response.content.decode()
    assert "That upload is too large" in page
    assert "the limit here is 5.1\xa0MB" in page
    assert list(upload_temp_dir.iterdir()) == []
    assert not ExternalCertificate.objects.exists()


@pytest.mark.django_db
def test_anonymous_large_post_is_refused_before_the_log_in_redirect(upload_temp_dir):
    client = _browser_client()
    body = WatchedBody(SIXTY_MB)
    response = _post_declaring(client, UPLOAD_URL, body)
    assert body.position == 0, "the body was read"
    assert response.status_code == 413
    assert "You are not signed in" in response.content.decode()
    assert list(upload_temp_dir.iterdir()) == []


@pytest.mark.django_db
def test_anonymous_post_over_64_kb_is_refused_anywhere(upload_temp_dir):
    client = _browser_client()
    body = WatchedBody(65 * 1024)
    response = _post_declaring(client, reverse("account_login"), body)
    assert response.status_code == 413
    assert body.position == 0


@pytest.mark.django_db
def test_signed_in_post_over_1_mb_is_refused_outside_upload_forms(
    learner_client, upload_temp_dir
):
    body = WatchedBody(2 * 1024 * 1024)
    response = _post_declaring(learner_client, reverse("accounts:profile"), body)
    assert response.status_code == 413
    assert "the limit here is 1.0\xa0MB" in response.content.decode()
    assert body.position == 0


@pytest.mark.django_db
def test_body_without_a_declared_length_is_refused(learner_client):
    response = learner_client.post(
        UPLOAD_URL, data=b"", content_type="application/octet-stream",
        HTTP_TRANSFER_ENCODING="chunked",
    )  # fmt: skip
    assert response.status_code == 411
    assert "did not say how large it was" in response.content.decode()


@pytest.mark.django_db
def test_card_just_under_the_limit_is_still_uploaded(learner_client, bls, acls):
    # Random pixels do not compress: a PNG of about 4.9 MB, under the 5 MB limit.
    side = 1280
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG", compress_level=0)
    content = buffer.getvalue()
    assert 4_800_000 < len(content) < 5 * 1024 * 1024
    upload = SimpleUploadedFile("card.png", content)
    response = learner_client.post(UPLOAD_URL, _form(bls, upload))
    assert response.status_code == 302
    card = ExternalCertificate.objects.get()
    assert card.content_type == "image/png"
    assert card.file.size == len(content)


@pytest.mark.django_db
def test_small_anonymous_posts_still_reach_the_form(client):
    response = client.post(
        reverse("account_login"), {"login": "someone@example.org", "password": "x"}
    )
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct" in (
        response.content.decode()
    )


def test_real_server_answers_413_without_waiting_for_the_body(live_server):
    """Over a real socket: the headers promise 60 MB and no body follows. The server
    must answer from the headers alone; if it tried to read the body it would wait
    for bytes that never come (the 20 s socket timeout turns that into a failure)."""
    address = urlparse(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as s:
        s.sendall(
            (
                f"POST {UPLOAD_URL} HTTP/1.1\r\nHost: {address.hostname}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {SIXTY_MB}\r\nCookie: csrftoken={CSRF_COOKIE}\r\n\r\n"
            ).encode()
        )
        s.sendall(f"--{BOUNDARY}\r\n".encode())  # the body starts, then stalls
        try:
            status_line = s.makefile("rb").readline()
        except TimeoutError:
            pytest.fail("the server waited for the body instead of refusing it")
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
