"""Blueprints in the content files: read, refused with file:line (nothing changed), stored
on the exam, and the notices for exams short of their target draw (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from curriculum.reader import read_content
from curriculum.services import content_sync
from exams.models import Exam
from tests.curriculum.test_content import build_tree, full_snapshot, write

pytestmark = pytest.mark.django_db

QUIZ = "bls/01-cpr/quiz.yaml"
FINAL = "bls/final-exam.yaml"


def _question(qid: str, topic: str, lesson: str = "compressions") -> str:
    return f"""
  - id: {qid}
    topic: "{topic}"
    lesson: {lesson}
    text: "Question {qid}?"
    choices:
      - text: "Right"
        correct: true
      - text: "Wrong"
    explanation: "Because."
"""


def _bank(title: str, header: str, questions: list[tuple[str, str]]) -> str:
    return f"title: {title}\npass_mark: 80\n{header}questions:" + "".join(
        _question(qid, topic) for qid, topic in questions
    )


# The quiz: Rate 3, Depth 2, Recoil 1 (6 questions, lines 1-2 title and pass mark).
QUIZ_ITEMS = [
    ("bls-q1", "Rate"),
    ("bls-q2", "Rate"),
    ("bls-q3", "Rate"),
    ("bls-q4", "Depth"),
    ("bls-q5", "Depth"),
    ("bls-q6", "Recoil"),
]
QUIZ_BLUEPRINT = 'draw: 5\nblueprint:\n  Rate: 2\n  Depth: 2\n  "Recoil": 1\n'
# The final: 6 questions in module cpr (the course's only module).
FINAL_ITEMS = [(f"bls-f{i}", f"Final topic {i}") for i in range(1, 7)]
FINAL_BLUEPRINT = "draw: 3\nblueprint:\n  cpr: 3\n"


@pytest.fixture
def tree(tmp_path) -> Path:
    root = build_tree(tmp_path)
    write(root, QUIZ, _bank("CPR quiz", QUIZ_BLUEPRINT, QUIZ_ITEMS))
    write(root, FINAL, _bank("Final", FINAL_BLUEPRINT, FINAL_ITEMS))
    return root


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


def test_the_blueprint_is_stored_on_the_exam_and_its_total_is_the_draw_size(tree):
    report = content_sync(root=tree)
    quiz = Exam.objects.get(module__slug="cpr")
    assert quiz.blueprint == {
        "by": "topic",
        "quotas": {"Rate": 2, "Depth": 2, "Recoil": 1},
    }
    assert quiz.draw_size == 5
    final = Exam.objects.get(kind=Exam.Kind.FINAL, course__slug="bls")
    assert final.blueprint == {"by": "module", "quotas": {"cpr": 3}}
    assert final.draw_size == 3
    assert report.notices == []
    # In step with the files: a second sync changes nothing, and it is not an edit.
    assert not content_sync(root=tree).changed
    assert not quiz.edited_since_sync


def test_a_changed_blueprint_updates_the_exam(tree):
    content_sync(root=tree)
    _replace(tree, QUIZ, "  Rate: 2\n  Depth: 2", "  Rate: 3\n  Depth: 1")
    content_sync(root=tree)
    quiz = Exam.objects.get(module__slug="cpr")
    assert quiz.blueprint_quotas == {"Rate": 3, "Depth": 1, "Recoil": 1}
    assert quiz.draw_size == 5


# (file, old, new, expected "file:line: message"). QUIZ lines: 3 draw, 4 blueprint,
# 5 Rate, 6 Depth, 7 Recoil. FINAL lines: 3 draw, 4 blueprint, 5 cpr.
BAD_BLUEPRINTS = [
    (
        QUIZ,
        "  Depth: 2",
        "  Depht: 2",
        f"{QUIZ}:6: blueprint names unknown topic 'Depht' (must be a topic of this "
        "bank)",
    ),
    (
        QUIZ,
        "  Depth: 2",
        "  Depth: 3",
        f"{QUIZ}:6: blueprint topic 'Depth' holds 2 questions for a quota of 3",
    ),
    (
        QUIZ,
        '  "Recoil": 1',
        '  "Recoil": 0',
        f"{QUIZ}:7: blueprint 'Recoil' must be a whole number of questions",
    ),
    (
        QUIZ,
        '  "Recoil": 1',
        '  "Recoil": one',
        f"{QUIZ}:7: blueprint 'Recoil' must be a whole number of questions",
    ),
    (
        QUIZ,
        "draw: 5",
        "draw: 4",
        f"{QUIZ}:3: the blueprint draws 5 questions, more than draw (4)",
    ),
    (
        QUIZ,
        'blueprint:\n  Rate: 2\n  Depth: 2\n  "Recoil": 1\n',
        "blueprint: 5\n",
        f"{QUIZ}:4: 'blueprint' must be a mapping of names to counts",
    ),
    (
        QUIZ,
        "  Rate: 2",
        "  cpr: 2",
        # A module name is a final's word; in a module quiz it is an unknown topic.
        f"{QUIZ}:5: blueprint names unknown topic 'cpr' (must be a topic of this bank)",
    ),
    (
        FINAL,
        "  cpr: 3",
        "  cpr: 4",
        f"{FINAL}:5: blueprint module 'cpr' holds 6 questions for a quota of 4: a "
        "final needs twice its quota (8)",
    ),
    (
        FINAL,
        "  cpr: 3",
        "  cpr: 2\n  Final topic 1: 1",
        f"{FINAL}:5: a blueprint names either topics or modules, not both",
    ),
    (
        FINAL,
        "  cpr: 3",
        '  "Final topic 1": 1',
        f"{FINAL}:5: blueprint topic 'Final topic 1' holds 1 question for a quota "
        "of 1: a final needs twice its quota (2)",
    ),
    (
        FINAL,
        "  cpr: 3",
        "  airway: 1",
        f"{FINAL}:5: blueprint names unknown topic 'airway' (must be a topic of this "
        "bank or a module of the course)",
    ),
]


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    BAD_BLUEPRINTS,
    ids=[
        f"{n:02d}-{case[3].split(': ', 1)[1][:40]}"
        for n, case in enumerate(BAD_BLUEPRINTS)
    ],
)
def test_a_bad_blueprint_is_refused_with_file_and_line_and_changes_nothing(
    tree, rel, old, new, expected
):
    content_sync(root=tree)
    before = full_snapshot()
    _replace(tree, rel, old, new)
    with pytest.raises(CommandError) as error:
        call_command("sync_content", str(tree))
    assert expected in str(error.value)
    assert "database is unchanged" in str(error.value)
    assert full_snapshot() == before


def test_an_exam_short_of_its_target_loads_and_the_sync_says_by_how_much(tree, capsys):
    # The target is 6 but the blueprint can only take what the pools hold (5).
    _replace(tree, QUIZ, "draw: 5", "draw: 6")
    call_command("sync_content", str(tree))
    out = capsys.readouterr().out
    assert (
        f"notice: content/{QUIZ}:3: bls/cpr: pool 6, blueprint draws 5, target draw "
        "6 (short 1)"
    ) in out
    assert Exam.objects.get(module__slug="cpr").draw_size == 5


def test_a_final_short_of_its_target_names_the_half_pool_rule(tree):
    _replace(tree, FINAL, "draw: 3", "draw: 4")
    notices = [str(n) for n in read_content(tree).notices]
    assert notices == [
        f"content/{FINAL}:3: bls/final: pools allow 3 at half each, blueprint draws "
        "3, target draw 4 (short 1)"
    ]


def test_a_bank_smaller_than_its_draw_without_a_blueprint_loads_with_a_notice(tree):
    # The module bank of 9 that should draw 10, in small: 6 questions, draw 7.
    _replace(tree, QUIZ, QUIZ_BLUEPRINT, "draw: 7\n")
    tree_read = read_content(tree)
    assert [str(n) for n in tree_read.notices] == [
        f"content/{QUIZ}:3: bls/cpr: pool 6, target draw 7 (short 1)",
        f"content/{QUIZ}:1: bls/cpr: no blueprint; draws 6 from the whole bank of 6",
    ]
    content_sync(root=tree)
    quiz = Exam.objects.get(module__slug="cpr")
    assert (quiz.blueprint, quiz.draw_size) == ({}, 6)


def test_topics_left_out_of_a_blueprint_are_named(tree):
    _replace(tree, QUIZ, '  "Recoil": 1\n', "")
    _replace(tree, QUIZ, "draw: 5", "draw: 4")
    notices = [str(n) for n in read_content(tree).notices]
    assert notices == [
        f"content/{QUIZ}:5: bls/cpr: topics not in the blueprint are never drawn: "
        "Recoil (1)"
    ]


def test_export_writes_the_blueprint_back(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    assert not content_sync(root=out).changed
    assert Exam.objects.get(module__slug="cpr").blueprint_quotas == {
        "Rate": 2,
        "Depth": 2,
        "Recoil": 1,
    }


def test_the_migration_keeps_exams_synced_before_blueprints_unedited(tree):
    """Adding the blueprint to the fingerprint must not make every synced exam look
    edited in the admin (the next sync would refuse without --force)."""
    import hashlib
    import json
    from importlib import import_module

    migration = import_module("exams.migrations.0007_exam_blueprint")
    content_sync(root=tree)
    quiz = Exam.objects.get(module__slug="cpr")
    Exam.objects.filter(pk=quiz.pk).update(blueprint={})
    old = {name: getattr(quiz, name) for name in migration._BEFORE}
    in_step = hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()
    Exam.objects.filter(pk=quiz.pk).update(synced_hash=in_step)
    edited = Exam.objects.get(kind=Exam.Kind.FINAL, course__slug="bls")
    Exam.objects.filter(pk=edited.pk).update(synced_hash="0" * 64)
    migration.refingerprint_synced_exams(apps, None)
    # The next migration adds the cool-down schedule to the fingerprint the same way.
    import_module(
        "exams.migrations.0008_exam_cooldowns_and_staff_clearance"
    ).rehash_synced_exams(apps, None)
    assert not Exam.objects.get(pk=quiz.pk).edited_since_sync
    assert Exam.objects.get(pk=edited.pk).synced_hash == "0" * 64


def test_a_final_pool_under_three_times_its_quota_loads_with_a_warning(tree, capsys):
    """Twice the quota is the hard rule; the bank standard (issue 14) wants three
    times: the sync says so and loads."""
    call_command("sync_content", str(tree))
    out = capsys.readouterr().err
    # The final's module cpr: 6 questions for a quota of 3.
    assert (
        f"warning: content/{FINAL}:5: bls/final: module 'cpr' holds 6 questions for "
        "a quota of 3; a final should hold 9 (3 times its quota)"
    ) in out
    assert Exam.objects.get(kind=Exam.Kind.FINAL).blueprint_quotas == {"cpr": 3}
    _replace(tree, FINAL, "  cpr: 3", "  cpr: 2")
    _replace(tree, FINAL, "draw: 3", "draw: 2")
    assert [str(w) for w in read_content(tree).warnings] == []
