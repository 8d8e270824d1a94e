"""Times in the learner's own time zone: detected by the browser, stored on the
profile, changeable there, activated per request for display only; one date format;
valid `<time datetime>` attributes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_time_zone_detect
from core.dates import datetime_attribute, format_day, format_moment, site_today
from exams.services import exam_attempt_start
from tests.exams.conftest import complete_lessons
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

CHICAGO = "America/Chicago"


def test_the_browser_zone_is_stored_once(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:time_zone"), {"time_zone": CHICAGO})
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.time_zone == CHICAGO
    # Travelling does not change it; the profile page does.
    client.post(reverse("accounts:time_zone"), {"time_zone": "Asia/Tokyo"})
    user.refresh_from_db()
    assert user.time_zone == CHICAGO


def test_an_unknown_zone_is_ignored(user):
    assert not user_time_zone_detect(user=user, name="Mars/Olympus_Mons")
    assert not user_time_zone_detect(user=user, name="")
    user.refresh_from_db()
    assert user.time_zone == ""


def test_the_profile_page_changes_it(client, user):
    client.force_login(user)
    data = {
        "legal_name": "Maria Alvarez",
        "profession": "nurse",
        "organisation": "",
        "licence_number": "",
        "time_zone": "Europe/Lisbon",
        "renewal_reminders": "on",
    }
    client.post(reverse("accounts:profile"), data)
    user.refresh_from_db()
    assert user.time_zone == "Europe/Lisbon"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Europe/Lisbon" selected>' in page
    response = client.post(
        reverse("accounts:profile"), {**data, "time_zone": "Nowhere"}
    )
    assert "Select a valid choice" in response.content.decode()


def test_only_a_signed_in_learner_without_a_zone_is_asked_to_store_one(client, user):
    save = f'data-save-url="{reverse("accounts:time_zone")}"'
    assert save not in client.get("/").content.decode()
    client.force_login(user)
    assert save in client.get("/").content.decode()
    user.time_zone = CHICAGO
    user.save()
    assert save not in client.get("/").content.decode()


@pytest.fixture
def timed_attempt(user, bls):
    from exams.models import Exam
    from tests.exams.conftest import make_bank
    from tests.factories import ExamFactory

    module = bls.modules.get()
    exam = ExamFactory(
        course=bls,
        module=module,
        kind=Exam.Kind.MODULE,
        title="Timed quiz",
        time_limit_minutes=30,
    )
    make_bank(exam, 3, lesson=module.lessons.first())
    complete_lessons(EnrollmentFactory(user=user, course=bls))
    start = datetime(2027, 3, 5, 19, 0, 0, 123456, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(start, tick=False):
        attempt, _ = exam_attempt_start(user=user, exam=exam)
    return attempt


def test_the_exam_deadline_is_shown_in_the_learners_zone(client, user, timed_attempt):
    user.time_zone = CHICAGO
    user.save()
    with time_machine.travel(timed_attempt.started_at, tick=False):
        client.force_login(user)
        page = client.get(timed_attempt.get_absolute_url()).content.decode()
    # 19:30 UTC is 1:30 PM in Chicago (CST in March before the switch).
    assert (
        'submit by <time datetime="2027-03-05T13:30:00-06:00">1:30 PM CST</time>'
        in page
    )
    assert 'data-time-zone="America/Chicago" data-time-zone-label="CST"' in page
    # Valid HTML: no fraction of a second anywhere in a datetime attribute.
    for value in re.findall(r'datetime="([^"]+)"', page):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value)


def test_the_browser_cookie_sets_the_zone_until_the_profile_has_one(
    client, user, timed_attempt
):
    client.cookies["tz"] = "Asia/Tokyo"
    with time_machine.travel(timed_attempt.started_at, tick=False):
        client.force_login(user)
        page = client.get(timed_attempt.get_absolute_url()).content.decode()
    assert ">4:30 AM JST</time>" in page
    client.cookies["tz"] = "<script>"
    with time_machine.travel(timed_attempt.started_at, tick=False):
        page = client.get(timed_attempt.get_absolute_url()).content.decode()
    assert ">7:30 PM UTC</time>" in page


def test_rules_read_the_sites_day_whatever_zone_is_shown():
    # 23:30 UTC on March 5 is already March 6 in Tokyo.
    with time_machine.travel(datetime(2027, 3, 5, 23, 30, tzinfo=ZoneInfo("UTC"))):
        with timezone.override(ZoneInfo("Asia/Tokyo")):
            assert timezone.localdate() == date(2027, 3, 6)
            assert site_today() == date(2027, 3, 5)


def test_one_date_format_in_python_and_templates():
    assert format_day(date(2027, 3, 5)) == "March 5, 2027"
    moment = datetime(2027, 3, 5, 19, 5, 7, 999, tzinfo=ZoneInfo("UTC"))
    with timezone.override(ZoneInfo(CHICAGO)):
        assert format_moment(moment) == "March 5, 2027, 1:05 PM CST"
        assert datetime_attribute(moment) == "2027-03-05T13:05:07-06:00"
    assert datetime_attribute(moment + timedelta(0)) == "2027-03-05T19:05:07+00:00"
