"""Renewal reminders: who gets which, on which day, exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from certificates.models import Certificate, RenewalReminder
from certificates.selectors import certificates_due_for_reminder
from certificates.services.reminders import renewal_reminders_send
from certificates.tasks import send_renewal_reminders
from courses.models import Enrollment
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 10)


def _certificate(*, expires_in: int, **kwargs) -> Certificate:
    expires_on = TODAY + timedelta(days=expires_in)
    return factories.CertificateFactory(
        issued_on=expires_on - timedelta(days=730), expires_on=expires_on, **kwargs
    )


def _due(today: date = TODAY) -> dict[int, str]:
    return {c.pk: c.reminder_kind for c in certificates_due_for_reminder(today=today)}


@pytest.mark.parametrize(
    ("expires_in", "kind"),
    [
        (91, None),
        (90, RenewalReminder.Kind.DAYS_90),  # its first day
        (89, RenewalReminder.Kind.DAYS_90),  # caught up if a run was missed
        (31, RenewalReminder.Kind.DAYS_90),
        (30, RenewalReminder.Kind.DAYS_30),  # 90d superseded from here on
        (29, RenewalReminder.Kind.DAYS_30),
        (8, RenewalReminder.Kind.DAYS_30),
        (7, RenewalReminder.Kind.DAYS_7),
        (6, RenewalReminder.Kind.DAYS_7),
        (0, RenewalReminder.Kind.DAYS_7),  # expires today: still valid
        (-1, RenewalReminder.Kind.EXPIRED),  # expired yesterday
        (-30, RenewalReminder.Kind.EXPIRED),
        (-31, None),  # a month after expiry it is stale news
    ],
)
def test_reminder_due_is_the_latest_kind_whose_day_has_come(expires_in, kind):
    certificate = _certificate(expires_in=expires_in)
    assert _due().get(certificate.pk) == kind


def test_reminder_missed_on_its_day_is_sent_the_next_day(mailoutbox):
    # The run of the 30th day before expiry failed, or never ran.
    certificate = _certificate(expires_in=30)
    RenewalReminder.objects.create(
        certificate=certificate, kind="90d", sent_at=timezone.now()
    )
    run = renewal_reminders_send(today=TODAY + timedelta(days=1))
    assert (run.due, run.sent) == (1, 1)
    [message] = mailoutbox
    assert "expires in 29 days" in message.subject
    assert set(certificate.reminders.values_list("kind", flat=True)) == {"90d", "30d"}


def test_superseded_reminder_is_never_sent(mailoutbox):
    # Nothing ran between 30 and 7 days before expiry: only the 7-day one goes out.
    certificate = _certificate(expires_in=5)
    assert renewal_reminders_send(today=TODAY).sent == 1
    [message] = mailoutbox
    assert "expires in 5 days" in message.subject
    assert list(certificate.reminders.values_list("kind", flat=True)) == ["7d"]


def test_revoked_certificate_gets_no_reminder():
    certificate = _certificate(expires_in=30)
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = certificate.issued_at
    certificate.revoke_reason = "Issued in error"
    certificate.save()
    assert _due() == {}


def test_renewed_certificate_gets_no_more_reminders(user, bls):
    old = _certificate(
        expires_in=30,
        enrollment=factories.EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        ),
    )
    assert _due() == {old.pk: RenewalReminder.Kind.DAYS_30}
    _certificate(
        expires_in=760,
        enrollment=factories.EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        ),
    )
    assert _due() == {}


def test_renewal_that_was_revoked_does_not_silence_the_old_certificate(user, bls):
    def completed():
        return factories.EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        )

    old = _certificate(expires_in=7, enrollment=completed())
    newer = _certificate(expires_in=700, enrollment=completed())
    newer.status = Certificate.Status.REVOKED
    newer.revoked_at = newer.issued_at
    newer.revoke_reason = "Exam taken by someone else"
    newer.save()
    assert _due() == {old.pk: RenewalReminder.Kind.DAYS_7}


def test_certificate_of_another_course_does_not_count_as_renewal(user, bls, acls):
    bls_certificate = _certificate(
        expires_in=30,
        enrollment=factories.EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        ),
    )
    _certificate(
        expires_in=700,
        enrollment=factories.EnrollmentFactory(
            user=user,
            course=acls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        ),
    )
    assert set(_due()) == {bls_certificate.pk}


def test_learner_who_turned_reminders_off_gets_none():
    certificate = _certificate(expires_in=90)
    certificate.user.renewal_reminders = False
    certificate.user.save()
    assert _due() == {}


def test_closed_account_gets_no_reminders():
    certificate = _certificate(expires_in=90)
    certificate.user.is_active = False
    certificate.user.save()
    assert _due() == {}


def test_reminder_email_links_to_renewal_and_to_opting_out(mailoutbox):
    certificate = _certificate(expires_in=90)
    run = renewal_reminders_send(today=TODAY)
    assert (run.due, run.sent) == (1, 1)
    [message] = mailoutbox
    assert message.to == [certificate.user.email]
    assert "expires in 90 days" in message.subject
    course_url = f"http://127.0.0.1:8000/courses/{certificate.course.slug}/"
    assert course_url in message.body
    assert "/accounts/profile/" in message.body
    assert message.extra_headers["List-Unsubscribe"].endswith("/accounts/profile/>")
    [(html, _)] = message.alternatives
    assert course_url in html
    reminder = RenewalReminder.objects.get()
    assert (reminder.certificate, reminder.kind) == (certificate, "90d")


def test_expired_reminder_says_it_expired(mailoutbox):
    _certificate(expires_in=-1)
    renewal_reminders_send(today=TODAY)
    [message] = mailoutbox
    assert "has expired" in message.subject
    assert "expired on" in message.body


def test_running_reminders_twice_sends_each_once(mailoutbox):
    for expires_in in (90, 30, 7, -1):
        _certificate(expires_in=expires_in)
    first = renewal_reminders_send(today=TODAY)
    second = renewal_reminders_send(today=TODAY)
    assert (first.sent, second.sent, second.due) == (4, 0, 0)
    assert len(mailoutbox) == 4
    assert RenewalReminder.objects.count() == 4


def test_certificate_gets_each_kind_once_over_its_last_ninety_days(mailoutbox):
    certificate = _certificate(expires_in=90)
    for day in range(130):
        renewal_reminders_send(today=TODAY + timedelta(days=day))
    kinds = sorted(certificate.reminders.values_list("kind", flat=True))
    assert kinds == sorted(["90d", "30d", "7d", "expired"])
    assert [m.subject.split("certificate ")[1] for m in mailoutbox] == [
        "expires in 90 days",
        "expires in 30 days",
        "expires in 7 days",
        "has expired",
    ]


def test_failed_send_is_not_recorded_and_the_next_run_sends_it(mailoutbox, settings):
    _certificate(expires_in=7)
    locmem = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    with pytest.raises(OSError):  # noqa: PT011 - SMTP connection refused
        renewal_reminders_send(today=TODAY)
    assert not RenewalReminder.objects.exists()

    settings.MAILERS = locmem
    assert renewal_reminders_send(today=TODAY).sent == 1
    assert len(mailoutbox) == 1


def test_task_sends_the_reminders_due_today(mailoutbox):
    _certificate(expires_in=30)
    with time_machine.travel(TODAY, tick=False):
        assert send_renewal_reminders.delay().get() == 1
        assert send_renewal_reminders.delay().get() == 0
    assert len(mailoutbox) == 1


def test_task_given_a_date_sends_that_days_reminders(mailoutbox):
    _certificate(expires_in=30)
    assert send_renewal_reminders.delay(TODAY.isoformat()).get() == 1


def test_command_sends_due_reminders_and_reports(mailoutbox):
    _certificate(expires_in=7)
    _certificate(expires_in=91)
    out = StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("send_renewal_reminders", stdout=out)
    assert "1 due, 1 sent" in out.getvalue()
    assert len(mailoutbox) == 1


def test_command_catches_up_a_missed_day(mailoutbox):
    _certificate(expires_in=7)
    out = StringIO()
    with time_machine.travel(TODAY + timedelta(days=1), tick=False):
        call_command("send_renewal_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "1 sent" in out.getvalue()


def test_command_refuses_a_malformed_date():
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_renewal_reminders", "--date", "10/03/2027")


def test_reminder_selection_query_count_does_not_grow(django_assert_max_num_queries):
    for expires_in in (90, 30, 7, -1) * 5:
        _certificate(expires_in=expires_in)
    with django_assert_max_num_queries(1):
        assert len(_due()) == 20


def test_command_refuses_a_future_date_and_sends_nothing(mailoutbox):
    _certificate(expires_in=30)
    with (
        time_machine.travel(TODAY - timedelta(days=1), tick=False),
        pytest.raises(CommandError, match="future"),
    ):
        call_command("send_renewal_reminders", "--date", TODAY.isoformat())
    assert mailoutbox == []
    assert not RenewalReminder.objects.exists()


def test_reminder_email_states_the_reminder_days_the_selection_uses(
    mailoutbox, monkeypatch
):
    from certificates.selectors import REMINDER_DAYS_BEFORE_EXPIRY

    monkeypatch.setitem(REMINDER_DAYS_BEFORE_EXPIRY, RenewalReminder.Kind.DAYS_90, 60)
    monkeypatch.setitem(REMINDER_DAYS_BEFORE_EXPIRY, RenewalReminder.Kind.DAYS_30, 21)
    _certificate(expires_in=60)
    assert renewal_reminders_send(today=TODAY).sent == 1
    [message] = mailoutbox
    assert "60, 21 and 7 days before a certificate expires" in message.body
    html = message.alternatives[0].content
    assert "60, 21 and 7 days before a certificate expires" in html
