"""Handlers of organizations' own events (apps.py). Like tasks they decide nothing:
each queues one task. They run after the publisher's transaction commits."""

from __future__ import annotations

from accounts.tasks import send_account_email

from .events import InvitationIssued, SeatCodeIssued


def invitation_issued(event: InvitationIssued) -> None:
    """The invitation e-mail goes out the way account e-mails do: rendered in the
    request, sent by a task that retries the mail server (accounts.tasks)."""
    send_account_email.enqueue(event.message)


def seat_code_issued(event: SeatCodeIssued) -> None:
    """The member's seat code goes out like an invitation (accounts.tasks)."""
    send_account_email.enqueue(event.message)
