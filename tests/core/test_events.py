"""Domain events run their handlers after commit, never for a rolled-back change, and
one failing handler does not stop the others."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from core import events


@dataclass(frozen=True)
class Happened:
    value: int


@pytest.fixture
def seen():
    calls: list[tuple[str, int]] = []

    def first(event: Happened) -> None:
        calls.append(("first", event.value))

    def second(event: Happened) -> None:
        calls.append(("second", event.value))

    events.subscribe(Happened, first)
    events.subscribe(Happened, second)
    events.subscribe(Happened, first)  # twice: still once
    yield calls
    events._handlers.pop(Happened, None)


@pytest.mark.django_db(transaction=True)
def test_handlers_run_once_each_after_the_transaction_commits(seen):
    with transaction.atomic():
        events.publish(Happened(1))
        assert seen == []
    assert seen == [("first", 1), ("second", 1)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_runs_no_handler(seen):
    def change_then_fail() -> None:
        with transaction.atomic():
            events.publish(Happened(2))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_logged_and_the_others_still_run(seen, caplog):
    def broken(event: Happened) -> None:
        raise ValueError("boom")

    events._handlers[Happened].insert(0, broken)
    events.publish(Happened(3))
    assert seen == [("first", 3), ("second", 3)]
    assert "failed for Happened(value=3)" in caplog.text
