"""One answer autosaved as exam.js sends it (one `q<position>` field and the CSRF
token). On PostgreSQL it is saved by one statement that checks everything the full
path checks (exams.services.answers._answer_one); anything it does not save goes
through the full path, which refuses it with its status, or saves nothing. These
run on both databases and must answer the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptQuestion
from exams.selectors.attempts import DEADLINE_GRACE
from exams.services import exam_attempt_submit
from exams.services.answers import SYNCHRONOUS_BEFORE_CLOSE
from tests.exams.conftest import answers_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def answers_saved(attempt) -> dict[int, tuple[str, int | None]]:
    return {
        item.position: (item.selected_key, item.selected_choice_id)
        for item in AttemptQuestion.objects.filter(attempt=attempt)
    }


def first_item(attempt) -> AttemptQuestion:
    return attempt.items.order_by("position").first()


def post_one(client, attempt, position: int, key: str):
    return client.post(
        reverse("exams:answer", args=[attempt.pk]), {f"q{position}": key}
    )


def test_one_answer_is_saved_with_its_choice_and_time(learner_client, attempt):
    item = first_item(attempt)
    choice = item.choices[2]
    before = timezone.now()
    assert (
        post_one(learner_client, attempt, item.position, choice["key"]).status_code
        == 204
    )
    item.refresh_from_db()
    assert item.selected_key == choice["key"]
    assert item.selected_choice_id == choice["choice"]
    assert item.answered_at >= before
    # Every other question is left as it was.
    others = {p: v for p, v in answers_saved(attempt).items() if p != item.position}
    assert all(value == ("", None) for value in others.values())


def test_the_same_answer_again_changes_nothing(learner_client, attempt):
    item = first_item(attempt)
    key = item.choices[0]["key"]
    post_one(learner_client, attempt, item.position, key)
    item.refresh_from_db()
    saved_at = item.answered_at
    assert post_one(learner_client, attempt, item.position, key).status_code == 204
    item.refresh_from_db()
    assert item.answered_at == saved_at


def closing_in(attempt, left: timedelta) -> None:
    """Gives the attempt a time limit that ends `left` from now."""
    deadline = timezone.now() + left
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=deadline - timedelta(hours=1), deadline=deadline
    )


def _submitted(attempt, client):
    exam_attempt_submit(attempt=attempt, answers={})


def _time_up(attempt, client):
    # Its deadline (and the grace after it) passed a minute ago.
    closing_in(attempt, -timedelta(minutes=1) - DEADLINE_GRACE)


def _another_learner(attempt, client):
    client.force_login(UserFactory())


REFUSALS = {
    "submitted": (_submitted, lambda item: item.choices[0]["key"], 409),
    "time is up": (_time_up, lambda item: item.choices[0]["key"], 409),
    "another learner's attempt": (
        _another_learner,
        lambda item: item.choices[0]["key"],
        404,
    ),
    "a key it did not present": (lambda a, c: None, lambda item: "nope", 400),
    # Nothing a database refuses reaches it: a NUL byte is a 400, not a 500.
    "a key no choice can have": (lambda a, c: None, lambda item: "a\x00b", 400),
    "a key of another question": (
        lambda a, c: None,
        lambda item: next(
            choice["key"]
            for other in item.attempt.items.exclude(pk=item.pk)
            for choice in other.choices
            if choice["key"] not in {c["key"] for c in item.choices}
        ),
        400,
    ),
}


@pytest.mark.parametrize(
    ("arrange", "key_of", "status"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_a_refused_answer_changes_nothing(
    learner_client, attempt, arrange, key_of, status
):
    item = first_item(attempt)
    arrange(attempt, learner_client)
    before = answers_saved(attempt)
    response = post_one(learner_client, attempt, item.position, key_of(item))
    assert response.status_code == status
    assert answers_saved(attempt) == before


def test_a_question_the_attempt_did_not_present_is_refused(learner_client, attempt):
    before = answers_saved(attempt)
    position = attempt.question_count + 1
    response = post_one(learner_client, attempt, position, "abc")
    assert response.status_code == 400
    assert answers_saved(attempt) == before


# Durability. An autosave's commit does not wait for the disk (PostgreSQL's
# asynchronous commit, exams.services.answers.ASYNCHRONOUS_COMMIT) but in the
# attempt's last minutes: should the database server crash, the last moment's
# autosaves may be lost, and the page still holds them for a submission in time.
# Everything else waits as before: grading first, and the full path's saves (several
# answers in one post).


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("left", "setting"),
    [
        (None, "off"),  # untimed: open for a day
        (SYNCHRONOUS_BEFORE_CLOSE + timedelta(minutes=1), "off"),
        # The last minutes: a lost answer could not be sent again in time.
        (SYNCHRONOUS_BEFORE_CLOSE - timedelta(minutes=1), "on"),
        (timedelta(seconds=-5), "on"),  # in the grace after the deadline
    ],
    ids=["untimed", "six minutes left", "four minutes left", "in the grace"],
)
def test_an_autosave_waits_for_the_disk_only_in_the_attempts_last_minutes(
    learner_client, attempt, left, setting
):
    if left is not None:
        closing_in(attempt, left)
    # The test's transaction is still open after the request, so the setting the
    # autosave's transaction committed with can be read.
    assert synchronous_commit() == "on"
    item = first_item(attempt)
    key = item.choices[1]["key"]
    assert post_one(learner_client, attempt, item.position, key).status_code == 204
    item.refresh_from_db()
    assert item.selected_key == key
    assert synchronous_commit() == setting


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_submission_after_an_autosave_is_graded_with_a_commit_that_waits(
    learner_client, attempt
):
    # As served: each autosave commits on its own, and its setting ends with it; the
    # connection's next work, a submission, commits waiting for the disk.
    item = first_item(attempt)
    key = item.choices[1]["key"]
    assert post_one(learner_client, attempt, item.position, key).status_code == 204
    with transaction.atomic():
        exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
        assert synchronous_commit() == "on"
    attempt.refresh_from_db()
    assert not attempt.is_open
