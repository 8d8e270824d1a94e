"""Saving answers to an open attempt, and the checks every answer passes (shared
with grading)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.prepared import prepared

from ..errors import AttemptClosed, AttemptNotFound, InvalidAnswers, TimeIsUp
from ..models import Attempt, AttemptQuestion
from ..selectors import time_is_up
from ..selectors.attempts import DEADLINE_GRACE, UNTIMED_ATTEMPT_LIFETIME


def lock_attempt(attempt: Attempt) -> Attempt:
    """The attempt, re-read with its row locked for this transaction."""
    # The enrollment row is locked too (PostgreSQL locks every joined row): two exams
    # of one enrollment passed at the same moment then see each other's result, and
    # the completion check cannot miss.
    return (
        Attempt.objects.select_for_update()
        .select_related("enrollment")
        .get(pk=attempt.pk)
    )


def validate_answers(items: list[AttemptQuestion], answers: Mapping[int, str]) -> None:
    """Raises InvalidAnswers when a position is not in the attempt or a key was not
    presented for that question."""
    by_position = {item.position: item for item in items}
    for position, key in answers.items():
        item = by_position.get(position)
        if item is None:
            raise InvalidAnswers("An answer names a question that is not in this exam.")
        if item.choice_for(key) is None:
            raise InvalidAnswers(
                f"The answer to question {position} is not one of its choices."
            )


def set_answers(
    items: list[AttemptQuestion], answers: Mapping[int, str], now: datetime
) -> list[AttemptQuestion]:
    """Sets validated answers in memory; returns the items whose answer changed."""
    changed = []
    for item in items:
        key = answers.get(item.position)
        if key is not None and key != item.selected_key:
            item.selected_key = key
            item.selected_choice_id = item.choice_for(key)["choice"]
            item.answered_at = now
            changed.append(item)
    return changed


@transaction.atomic
def exam_attempt_answer(*, attempt: Attempt, answers: Mapping[int, str]) -> int:
    """Saves answers ({position: choice key}) of an open attempt; returns how many
    changed. Questions not mentioned keep what was saved before.

    Raises AttemptClosed once the attempt is submitted, InvalidAnswers for a question
    or choice it did not present, TimeIsUp after the deadline; nothing is saved then.
    """
    locked = lock_attempt(attempt)
    return _answer(locked, list(locked.items.all()), answers)


# The autosave's lock on the learner's attempt, compiled once per process
# (core.prepared): the autosave runs on every answer chosen.
@prepared(attempt_id=int, user_id=int)
def _attempt_locked(attempt_id: int, user_id: int) -> QuerySet[Attempt]:
    return Attempt.objects.select_for_update().filter(pk=attempt_id, user_id=user_id)


def exam_attempt_autosave(
    *,
    attempt_id: int,
    user,
    positions: Collection[int],
    parse: Callable[[list[AttemptQuestion]], Mapping[int, str]],
    single: tuple[int, str] | None = None,
) -> int:
    """The autosave (exam.js): locks the user's attempt, reads its presented
    questions at `positions` (those the post names: exam.js sends the answers not
    yet saved), and saves the answers `parse` reads from the post against them (the
    view's strict form; it raises InvalidAnswers for a post it refuses, one naming
    a question the attempt did not present included), as exam_attempt_answer does;
    returns how many changed.

    `single` (position, key) is the post's one answer when it holds nothing else
    (exams.forms.single_answer): on PostgreSQL it is first saved in one statement
    that checks what the steps below check (`_answer_one`); only when that saves
    nothing (an answer unchanged, or a post to refuse) do the steps below run, and
    say why.

    The one statement commits without waiting for the disk but in the attempt's
    last minutes (ASYNCHRONOUS_COMMIT); the steps below, rare (a post of several
    answers, or one to refuse), and a submission's grading wait, as every other
    write does. Call it in autocommit (no transaction open), as the view does.

    Raises AttemptNotFound for an attempt that is not the user's (its existence is
    not revealed), then what `parse` raises, AttemptClosed, InvalidAnswers or
    TimeIsUp; nothing is saved then.
    """
    if single is not None and _answer_one(
        attempt_id=attempt_id, user_id=user.pk, position=single[0], key=single[1]
    ):
        return 1
    return _autosave_locked(attempt_id, user, positions, parse)


# An autosave's commit does not wait for its WAL to reach the disk (PostgreSQL's
# asynchronous commit, for the autosave's own transaction only: set_config's third
# argument), except in the attempt's last SYNCHRONOUS_BEFORE_CLOSE. Served, the wait
# was about a sixth of an autosave's time on a quiet machine (docs/BENCHMARKS.md,
# seventh pass). What it risks: should the database server crash, its host fail or
# a standby take over, the answers saved in the moment before (at most three times
# wal_writer_delay, 0.6 s by default; any synchronous commit on the server flushes
# them sooner) are lost, the database otherwise consistent. The exam page still
# shows them and a submission posts every answer it shows, so they count when the
# learner submits from that page in time; they are lost if the learner reloads the
# page first (it shows what was saved) or submits after the deadline (only saved
# answers count then: hence the last minutes wait for the disk, longer than a
# database takes to recover). Runs in autocommit only (the view): inside a
# transaction the setting would hold for the whole transaction
# (docs/ARCHITECTURE.md, "An autosave does not wait for the disk").
SYNCHRONOUS_BEFORE_CLOSE = timedelta(minutes=5)
ASYNCHRONOUS_COMMIT = "set_config('synchronous_commit', 'off', true)"


@functools.cache
def _answer_one_sql(alias: str) -> str:
    connection = connections[alias]
    attempt, item = Attempt._meta, AttemptQuestion._meta
    column = {
        f.name: f.column for f in (*attempt.concrete_fields, *item.concrete_fields)
    }
    q = connection.ops.quote_name
    # Built from the models' metadata (quoted names): no value is written in.
    return f"""
        WITH attempt AS (
            SELECT a.{q(attempt.pk.column)} AS id,
              CASE WHEN closing.at > %(now)s + %(synchronous)s
                THEN {ASYNCHRONOUS_COMMIT} END
            FROM {q(attempt.db_table)} AS a
            CROSS JOIN LATERAL (
                SELECT COALESCE(
                    a.{q(column["deadline"])},
                    a.{q(column["started_at"])} + %(lifetime)s
                ) AS at
            ) AS closing
            WHERE a.{q(attempt.pk.column)} = %(attempt)s
              AND a.{q(column["user"])} = %(user)s
              AND a.{q(column["status"])} = %(open)s
              AND closing.at + %(grace)s >= %(now)s
            FOR SHARE OF a
        )
        UPDATE {q(item.db_table)} AS item
        SET {q(column["selected_key"])} = %(key)s,
            {q(column["selected_choice"])} = (
                SELECT (choice ->> 'choice')::bigint
                FROM jsonb_array_elements(item.{q(column["choices"])}) AS choice
                WHERE choice ->> 'key' = %(key)s
                LIMIT 1
            ),
            {q(column["answered_at"])} = %(now)s
        FROM attempt
        WHERE item.{q(column["attempt"])} = attempt.id
          AND item.{q(column["position"])} = %(position)s
          AND item.{q(column["selected_key"])} <> %(key)s
          AND item.{q(column["choices"])}
              @> jsonb_build_array(jsonb_build_object('key', %(key)s::text))
    """  # noqa: S608


def _answer_one(*, attempt_id: int, user_id: int, position: int, key: str) -> bool:
    """Saves one answer in one statement (in autocommit, from the view) when everything
    `_autosave_locked` checks holds: the attempt is the user's, open, its time not
    up (time_is_up, in SQL), the question presented at `position`, `key` one of its
    choices, and the answer a change. The attempt's row is share-locked while it
    runs (FOR SHARE): a submission being graded holds it FOR UPDATE, so it is waited
    for and the answer then refused (its status re-read after the wait), while
    autosaves of the attempt never wait for each other (a question's row is locked
    by the UPDATE itself: two saves of one question land one after the other).
    Returns whether it saved; always False on other databases than PostgreSQL
    (four round trips less per autosave, issue 19;
    tests/integration/test_autosave_races.py). Its commit does not wait for the
    disk but in the attempt's last minutes (ASYNCHRONOUS_COMMIT); it must run in
    autocommit, as the view calls it."""
    connection = connections[router.db_for_write(AttemptQuestion)]
    if connection.vendor != "postgresql":
        return False
    sql = _answer_one_sql(connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "attempt": attempt_id,
                "user": user_id,
                "open": Attempt.Status.OPEN,
                "lifetime": UNTIMED_ATTEMPT_LIFETIME,
                "grace": DEADLINE_GRACE,
                "synchronous": SYNCHRONOUS_BEFORE_CLOSE,
                "now": timezone.now(),
                "position": position,
                "key": key,
            },
        )
        return cursor.rowcount == 1


@transaction.atomic
def _autosave_locked(
    attempt_id: int,
    user,
    positions: Collection[int],
    parse: Callable[[list[AttemptQuestion]], Mapping[int, str]],
) -> int:
    rows = _attempt_locked(attempt_id=attempt_id, user_id=user.pk)
    if not rows:
        raise AttemptNotFound("No such attempt.")
    locked = rows[0]
    if len(positions) == 1:  # exam.js sends the one answer just chosen
        (position,) = positions
        items = _item_at(attempt_id=locked.pk, position=position)
    elif positions:
        items = list(_items(locked.pk).filter(position__in=sorted(positions)))
    else:
        items = []
    return _answer(locked, items, parse(items))


def _items(attempt_id: int) -> QuerySet[AttemptQuestion]:
    """An attempt's presented questions with only what checking and saving answers
    reads (validate_answers, set_answers), in no particular order."""
    return (
        AttemptQuestion.objects.filter(attempt_id=attempt_id)
        .order_by()
        .only(
            "attempt_id",
            "position",
            "choices",
            "selected_key",
            "selected_choice_id",
            "answered_at",
        )
    )


@prepared(attempt_id=int, position=int)
def _item_at(attempt_id: int, position: int) -> QuerySet[AttemptQuestion]:
    return _items(attempt_id).filter(position=position)


def _answer(
    locked: Attempt, items: list[AttemptQuestion], answers: Mapping[int, str]
) -> int:
    if not locked.is_open:
        raise AttemptClosed(
            "This attempt was already submitted, so nothing was changed. Start a new "
            "attempt to try again."
        )
    validate_answers(items, answers)
    now = timezone.now()
    if time_is_up(attempt=locked, now=now):
        raise TimeIsUp(
            "Time is up, so answers can no longer be changed. Submit to see your "
            "result: the answers saved in time count."
        )
    changed = set_answers(items, answers, now)
    if len(changed) == 1:  # an autosave: one plain UPDATE, cheaper to build
        (item,) = changed
        AttemptQuestion.objects.filter(pk=item.pk).update(
            selected_key=item.selected_key,
            selected_choice_id=item.selected_choice_id,
            answered_at=item.answered_at,
        )
    elif changed:
        AttemptQuestion.objects.bulk_update(
            changed, ["selected_key", "selected_choice", "answered_at"]
        )
    return len(changed)
