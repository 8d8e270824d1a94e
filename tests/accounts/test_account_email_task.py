"""Account e-mails are sent by a task that retries a failing mail server."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from accounts.tasks import MAX_RETRIES, send_account_email
from config.celery import app as celery_app

MESSAGE = {
    "subject": "[Lifeline] Please confirm your e-mail address",
    "body": "Follow the link to confirm.",
    "html": None,
    "from_email": "Lifeline <no-reply@lifeline.example>",
    "to": ["learner@example.org"],
    "headers": {},
}


class _SMTPSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on a free local port that hangs up on the first
    `drop_first` connections (as a restarting mail server does), then accepts mail."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, drop_first: int) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.drop_first = drop_first
        self.connections = 0
        self.messages: list[bytes] = []


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: _SMTPSink = self.server  # type: ignore[assignment]
        server.connections += 1
        if server.connections <= server.drop_first:
            return  # close at once: SMTPServerDisconnected, an OSError
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.messages.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


def _sink(settings, drop_first: int) -> Iterator[_SMTPSink]:
    sink = _SMTPSink(drop_first)
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.server_address[1]},
        }
    }
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


@pytest.fixture(autouse=True)
def _retries_run_in_process():
    # Eagerly, a retry runs at once (no countdown) and a failure is returned as the
    # result instead of raised, as a worker would record it.
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


@pytest.fixture
def flaky_smtp(settings):
    yield from _sink(settings, drop_first=2)


@pytest.fixture
def dead_smtp(settings):
    yield from _sink(settings, drop_first=10_000)


def test_account_email_task_retries_until_the_mail_server_accepts(flaky_smtp):
    result = send_account_email.apply(args=[MESSAGE])
    assert result.successful()
    assert flaky_smtp.connections == 3  # two dropped, the third delivered
    [message] = flaky_smtp.messages
    assert b"Please confirm your e-mail address" in message
    assert b"learner@example.org" in message


def test_account_email_task_gives_up_after_its_retries(dead_smtp):
    result = send_account_email.apply(args=[MESSAGE])
    assert result.failed()
    assert isinstance(result.result, OSError)
    assert dead_smtp.connections == MAX_RETRIES + 1
    assert dead_smtp.messages == []
