"""The whole BLS exam journey on the real curriculum, as `make run` serves it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse

from certificates.models import Certificate
from courses.models import Course, Enrollment
from curriculum.services import content_sync
from exams.models import Attempt, Exam
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _post_answers(client, attempt: Attempt, *, right: bool):
    """Answers every question of the page the learner sees, right or wrong, by
    reading the form (the server's record says which key is right)."""
    url = reverse("exams:attempt", args=[attempt.pk])
    page = client.get(url).content.decode()
    data = {}
    for item in attempt.items.all():
        offered = re.findall(rf'name="{item.field_name}" value="([^"]+)"', page)
        assert sorted(offered) == sorted(item.keys)
        wrong = next(key for key in offered if key != item.correct_key)
        data[item.field_name] = item.correct_key if right else wrong
    return client.post(url, data, follow=True)


def _review(client, result: str) -> None:
    """Opens every lesson the failed result names, as the learner follows its links."""
    links = re.findall(r'href="(/learn/bls/[^"]+)"', result.split("To review")[1])
    assert links
    for link in links:
        assert client.get(link).status_code == 200


def _start(client, exam: Exam) -> Attempt:
    response = client.post(reverse("exams:start", args=[exam.pk]), follow=True)
    assert response.status_code == 200
    attempt_id = int(response.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[1])
    return Attempt.objects.get(pk=attempt_id)


def test_new_learner_fails_retakes_and_passes_every_bls_exam(
    client, django_capture_on_commit_callbacks, mailoutbox, clock
):
    content_sync(root=settings.CONTENT_DIR)
    bls = Course.objects.get(slug="bls")
    learner = UserFactory(legal_name="Jane Q. Nurse")
    # A learner takes minutes over each quiz: the clock moves on as they do (exam
    # starts are rate-limited per learner over ten minutes).
    traveller = clock
    client.force_login(learner)
    client.post(reverse("courses:enroll", args=["bls"]))
    home_url = reverse("courses:home", args=["bls"])
    for lesson in bls.lessons.published().select_related("module"):
        # Read, then mark complete: an unopened lesson cannot be completed.
        assert client.get(lesson.get_absolute_url()).status_code == 200
        client.post(
            reverse(
                "courses:lesson_complete",
                args=["bls", lesson.module.slug, lesson.slug],
            ),
            {"next": "stay"},
        )
    module_exams = list(
        Exam.objects.filter(course=bls, kind=Exam.Kind.MODULE).order_by("module__order")
    )
    final = Exam.objects.get(course=bls, kind=Exam.Kind.FINAL)
    assert len(module_exams) == 7
    home = client.get(home_url).content.decode()
    assert f'action="/exams/{final.pk}/start/"' not in home  # locked

    for exam in module_exams:
        failed = _start(client, exam)
        traveller.shift(timedelta(minutes=5))
        result = unescape(_post_answers(client, failed, right=False).content.decode())
        assert "Not passed" in result and "To review" in result
        _review(client, result)
        retake = _start(client, exam)
        traveller.shift(timedelta(minutes=5))
        assert retake.pk != failed.pk
        result = _post_answers(client, retake, right=True).content.decode()
        assert "Passed" in result and "Correct answer" in result

    home = client.get(home_url).content.decode()
    assert home.count(">Passed<") == 7
    failed = _start(client, final)
    traveller.shift(timedelta(minutes=20))
    result = unescape(_post_answers(client, failed, right=False).content.decode())
    assert "Not passed" in result
    _review(client, result)
    retake = _start(client, final)
    traveller.shift(timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        result = _post_answers(client, retake, right=True).content.decode()
    assert "You have completed Basic Life Support" in result
    enrollment = Enrollment.objects.get(user=learner, course=bls)
    assert enrollment.status == Enrollment.Status.COMPLETED
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.holder_name == "Jane Q. Nurse"
    assert mailoutbox and mailoutbox[-1].to == [learner.email]
