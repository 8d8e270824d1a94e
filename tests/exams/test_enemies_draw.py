"""Enemy items in the draw: two questions that give each other's answers away are
never drawn into one attempt; a pool that cannot fill its quota otherwise takes
skipped enemies (the attempt keeps its full size) and the draw logs a warning."""

from __future__ import annotations

import itertools
import logging
import random
from collections import Counter

import pytest
from django.urls import reverse

from exams.models import Exam, enemy_map
from exams.services import attempts as attempts_service
from exams.services import exam_attempt_start, exam_attempt_submit
from exams.services.attempts import _draw
from tests.exams.conftest import make_bank, ready_to_retake
from tests.exams.test_queries import START_QUERIES
from tests.factories import LessonFactory, ModuleFactory, QuestionFactory

pytestmark = pytest.mark.django_db

# Pools of a topic blueprint, and the enemies each question's own list names.
POOLS = {"Rate": 6, "Depth": 4, "Recoil": 3}
QUOTAS = {"Rate": 2, "Depth": 2, "Recoil": 1}
LISTS = {
    "rate-0": ["rate-1"],  # listed on one side only
    "rate-2": ["rate-3"],  # ... and on both
    "rate-3": ["rate-2"],
    "depth-0": ["rate-4"],  # across pools
    "recoil-0": ["depth-1", "rate-5"],
    "recoil-1": ["rate-0"],
}
PAIRS = {frozenset((key, other)) for key, others in LISTS.items() for other in others}
DRAWS = 400


@pytest.fixture
def seeded(monkeypatch) -> random.Random:
    """The draw's generator, seeded: the same draws on every run. (In production
    `_random` is the operating system's, which cannot be seeded.)"""
    generator = random.Random(1414)
    monkeypatch.setattr(attempts_service, "_random", generator)
    return generator


@pytest.fixture
def enemy_exam(module_exam) -> Exam:
    """The module exam with its bank replaced by POOLS, a topic blueprint and the
    enemies of LISTS."""
    module_exam.questions.all().delete()
    for topic, size in POOLS.items():
        for i in range(size):
            key = f"{topic.lower()}-{i}"
            QuestionFactory(
                exam=module_exam, key=key, topic=topic, enemies=LISTS.get(key, [])
            )
    module_exam.blueprint = {"by": "topic", "quotas": QUOTAS}
    module_exam.draw_size = sum(QUOTAS.values())
    module_exam.save()
    return module_exam


def _keys(questions) -> set[str]:
    return {question.key for question in questions}


def _pairs_in(keys: set[str]) -> set[frozenset]:
    return {pair for pair in PAIRS if pair <= keys}


def test_enemies_read_both_sides_of_the_lists():
    pairs = enemy_map(LISTS | {"rate-1": [], "rate-4": [], "rate-5": []})
    assert pairs["rate-1"] == {"rate-0"}
    assert pairs["rate-0"] == {"rate-1", "recoil-1"}
    assert pairs["rate-4"] == {"depth-0"}
    # An enemy not among the questions given (another bank, deactivated) is left out.
    assert enemy_map({"a": ["b", "a"]}) == {"a": set()}


def test_no_draw_ever_holds_both_of_an_enemy_pair(user, enemy_exam, seeded):
    """Many draws with a seeded generator: each quota is filled every time, every
    question is drawn sometimes, and no pair is ever drawn together."""
    drawn_together: Counter = Counter()
    drawn: Counter = Counter()
    for _ in range(DRAWS):
        questions = _draw(user=user, exam=enemy_exam)
        assert Counter(question.topic for question in questions) == QUOTAS
        keys = _keys(questions)
        drawn.update(keys)
        drawn_together.update(_pairs_in(keys))
    assert drawn_together == Counter()
    assert set(drawn) == {
        f"{topic.lower()}-{i}" for topic, size in POOLS.items() for i in range(size)
    }


def test_without_the_rule_these_draws_would_hold_enemies(user, enemy_exam, seeded):
    """The same bank and seed with the lists emptied: pairs do come up together, so
    the test above would see a draw that ignored them."""
    enemy_exam.questions.update(enemies=[])
    together = sum(
        bool(_pairs_in(_keys(_draw(user=user, exam=enemy_exam)))) for _ in range(DRAWS)
    )
    assert together > DRAWS // 10


def test_retakes_keep_enemies_apart_and_still_cycle_through_the_pools(
    clock, user, enemy_exam, studied, seeded
):
    """Through the service, as a learner retakes: never a pair, and the least shown
    still come first (by the fourth attempt every Rate question has been shown)."""
    rate_shown: Counter = Counter()
    for _ in range(6):
        ready_to_retake(user, enemy_exam, clock)
        attempt, created = exam_attempt_start(user=user, exam=enemy_exam)
        assert created
        exam_attempt_submit(attempt=attempt)
        keys = set(attempt.items.values_list("question__key", flat=True))
        assert len(keys) == attempt.question_count == 5
        assert not _pairs_in(keys), keys
        rate_shown.update(key for key in keys if key.startswith("rate-"))
    assert len(rate_shown) == POOLS["Rate"]


def test_a_final_keeps_enemies_apart_across_module_pools(user, bls, seeded):
    first = bls.modules.get()
    second = ModuleFactory(course=bls, slug="aed", order=2)
    cpr_lesson = first.lessons.first()
    aed_lesson = LessonFactory(module=second, slug="aed-steps", order=1)
    final = Exam.objects.create(
        course=bls,
        kind=Exam.Kind.FINAL,
        title="BLS final",
        pass_mark=84,
        blueprint={"by": "module", "quotas": {"adult-cpr": 2, "aed": 2}},
        draw_size=4,
    )
    for i in range(4):
        QuestionFactory(exam=final, key=f"f-cpr-{i}", review_lesson=cpr_lesson)
        QuestionFactory(
            exam=final,
            key=f"f-aed-{i}",
            review_lesson=aed_lesson,
            enemies=[f"f-cpr-{i}"],
        )
    for _ in range(200):
        keys = _keys(_draw(user=user, exam=final))
        assert len(keys) == 4
        assert not any({f"f-cpr-{i}", f"f-aed-{i}"} <= keys for i in range(4)), keys


def test_a_draw_without_blueprint_keeps_enemies_apart(user, module_exam, seeded):
    """The whole bank is one pool: 8 questions in four enemy pairs, 4 drawn."""
    questions = list(module_exam.questions.order_by("order"))
    for first, second in itertools.batched(questions, 2):
        first.enemies = [second.key]
        first.save(update_fields=["enemies"])
    module_exam.draw_size = 4
    module_exam.save()
    pairs = {frozenset((a.key, b.key)) for a, b in itertools.batched(questions, 2)}
    for _ in range(200):
        keys = _keys(_draw(user=user, exam=module_exam))
        assert len(keys) == 4
        # One of each pair: four questions, no two enemies.
        assert all(len(pair & keys) == 1 for pair in pairs), keys


def test_a_pool_that_cannot_fill_its_quota_takes_enemies_and_warns(
    user, enemy_exam, seeded, caplog
):
    """Rate's pool cut to three mutual enemies for a quota of 2: the attempt keeps
    its size with two of them, and the draw says so."""
    enemy_exam.questions.filter(key__in=["rate-3", "rate-4", "rate-5"]).update(
        is_active=False
    )
    enemy_exam.questions.filter(key="rate-0").update(enemies=["rate-1", "rate-2"])
    enemy_exam.questions.filter(key="rate-1").update(enemies=["rate-2"])
    with caplog.at_level(logging.WARNING, logger="exams.services.attempts"):
        questions = _draw(user=user, exam=enemy_exam)
    assert Counter(question.topic for question in questions) == QUOTAS
    assert len(_keys(questions) & {"rate-0", "rate-1", "rate-2"}) == 2
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert (
        f"Exam {enemy_exam.pk} (Adult CPR quiz): pool 'Rate' cannot fill its quota of "
        "2 without enemies; drawing 1 enemies of questions already drawn: "
    ) in record.getMessage()


def test_the_fallback_takes_skipped_questions_in_priority_order(
    clock, user, enemy_exam, studied, seeded, caplog
):
    """Recoil's three questions are all enemies of every Rate question, so Recoil
    always falls back on a skipped one: the skipped keep their priority order (one
    the learner has seen comes after the unseen), and the attempt has five."""
    for key in ("recoil-0", "recoil-1", "recoil-2"):
        enemy_exam.questions.filter(key=key).update(
            enemies=[f"rate-{i}" for i in range(6)]
        )
    ready_to_retake(user, enemy_exam, clock)
    first, _ = exam_attempt_start(user=user, exam=enemy_exam)
    exam_attempt_submit(attempt=first)
    seen = set(first.items.values_list("question__key", flat=True))
    assert len(seen & {"recoil-0", "recoil-1", "recoil-2"}) == 1
    ready_to_retake(user, enemy_exam, clock)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="exams.services.attempts"):
        second, created = exam_attempt_start(user=user, exam=enemy_exam)
    assert created and second.question_count == 5
    keys = set(second.items.values_list("question__key", flat=True))
    (recoil,) = keys & {"recoil-0", "recoil-1", "recoil-2"}
    assert recoil not in seen
    assert "pool 'Recoil' cannot fill its quota of 1" in caplog.text


def test_the_start_runs_the_same_queries_with_enemies(
    learner_client,
    module_exam,
    studied,
    seeded,
    django_assert_num_queries,
    warm_outline,
):
    """The enemy lists are columns of the bank's rows: no query is added, whatever
    the number of questions or enemies."""
    module_exam.draw_size = 25
    module_exam.save()
    # 8 questions without enemies and 21 pairs: 29 to draw 25 from.
    for question, other in itertools.batched(make_bank(module_exam, 42), 2):
        question.enemies = [other.key]
        question.save(update_fields=["enemies"])
    warm_outline()
    url = reverse("exams:start", args=[module_exam.pk])
    with django_assert_num_queries(START_QUERIES):
        response = learner_client.post(url)
    assert response.status_code == 302
    keys = set(module_exam.attempts.get().items.values_list("question__key", flat=True))
    assert len(keys) == 25
