"""How the certificates app's e-mails are built and sent once.

E-mail semantics of the issue e-mail and renewal reminders (what "sent once" means):
1. claim: a committed write says "being sent" (Certificate.email_claimed_at, or the
   RenewalReminder row, unique per certificate and kind, with `claimed_at`); a
   concurrent or repeated call finds the claim and sends nothing;
2. send, with a Message-ID that is the same for every attempt at the same e-mail
   (`<certificate-issued.CODE@host>`, `<renewal-reminder.KIND.CODE@host>`);
3. mark it sent (`emailed_at`, `sent_at`), retrying a dropped database connection.
A send the mail server refused for this recipient or message for good (a 5xx reply to
RCPT or DATA: the mailbox does not exist, the message was rejected) is marked failed
on its row with the server's reply, logged, and never retried: the caller carries on
(a reminder batch with its next certificate). Any other refusal (no connection, a 4xx
reply, the server refusing our sender or log-in: a problem of ours or of the moment)
releases the claim and raises, for the task to retry.
A crash or an unclear failure (timeout, dropped connection) between claim and mark
leaves the claim: nothing is resent until it is older than EMAIL_CLAIM_LEASE
(selectors); then the sweeper (issue e-mail) or the next reminder run sends it again
with the same Message-ID, which lets mail systems drop the copy if the first one had
got through. docs/OPERATIONS.md ("E-mail delivery") says what that window costs.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Recording "sent" after the mail server took a message: attempts on a fresh database
# connection (0.5 s, 1 s, 2 s, 4 s apart) before the claim is left to its lease.
MARK_ATTEMPTS = 5


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def message_id(*parts: str) -> str:
    """The Message-ID of one e-mail, the same on every attempt to send it, so a mail
    system that received it already can drop a second copy."""
    domain = urlsplit(settings.SITE_URL).hostname or "lifeline"
    return f"<{'.'.join(parts)}@{domain}>"


def _refused(error: BaseException) -> bool:
    """True when the mail server cannot have taken the message: no connection, or it
    answered with an error code. A timeout or a connection dropped during the
    transaction leaves it unknown (the message may be queued on the other side)."""
    return isinstance(
        error,
        (
            ConnectionRefusedError,
            socket.gaierror,
            smtplib.SMTPConnectError,
            smtplib.SMTPResponseException,  # any error reply, incl. DATA refused
            smtplib.SMTPRecipientsRefused,
        ),
    )


def permanent_refusal(error: BaseException) -> str | None:
    """The server's reply when it refused this message's recipient or content for good
    (5xx to RCPT or DATA); None for anything that may pass on another attempt (4xx,
    connection errors) or that is not about this message (sender refused, log-in
    failed, a 5xx greeting: every message would fail, so it must be retried once
    fixed, not marked failed). Messages here have one recipient."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values())
        if replies and all(code >= 500 for code, _ in replies):
            return "; ".join(_reply(code, text) for code, text in replies)
        return None
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        return _reply(error.smtp_code, error.smtp_error)
    return None


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{code} {text}"


def send_claimed(
    *,
    send: Callable[[], object],
    release: Callable[[], object],
    fail: Callable[[str], object],
    what: str,
) -> bool:
    """Sends a claimed e-mail. True once the mail server took it; False when it refused
    it for good (`fail(reply)` records that on the row, which keeps the claim, so it is
    never retried). Any other refusal releases the claim, then raises; an unclear
    failure (timeout, dropped connection) keeps the claim and raises. `what` names the
    e-mail in the log."""
    try:
        send()
    except BaseException as error:
        reply = permanent_refusal(error)
        if reply is not None:
            logger.warning("%s refused for good, not retried: %s", what, reply)
            record_sent(lambda: fail(reply))
            return False
        if _refused(error):
            release()
        raise
    return True


def record_sent(update: Callable[[], object]) -> None:
    """Records that the mail server took a message. It has it, so a database error
    here must not lead to a resend: reconnect and try again a few times, then give up
    to the claim's lease (which keeps it from being resent until it expires)."""
    for attempt in range(MARK_ATTEMPTS):
        try:
            update()
            return
        except (OperationalError, InterfaceError):
            if attempt == MARK_ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            logger.warning(
                "Recording a sent e-mail failed; reconnecting", exc_info=True
            )
            connection.close()
            time.sleep(0.5 * 2**attempt)


def email(
    *,
    template: str,
    subject: str,
    to: str,
    context: dict,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """An HTML + plain-text message from templates/emails/<template>.{txt,html}."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "issuer_name": settings.CERTIFICATE_ISSUER_NAME,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}.html", context), "text/html"
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message
