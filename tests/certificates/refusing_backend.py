"""A mail backend that refuses one recipient permanently (550), like a real relay
for a mailbox that no longer exists; every other message goes to locmem's outbox."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            for to in message.to:
                if to.startswith("gone"):
                    raise smtplib.SMTPRecipientsRefused(
                        {to: (550, b"5.1.1 mailbox unavailable")}
                    )
        return super().send_messages(messages)
