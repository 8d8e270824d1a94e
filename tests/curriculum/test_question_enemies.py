"""`enemies` on bank questions: items that give each other's answers away and so are
never drawn together. Read and refused with file:line, stored, synced, exported, and
the sync's warning when a pool cannot meet its quota without enemies."""

from __future__ import annotations

import hashlib
import json
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command

from curriculum.reader import read_content
from curriculum.services import ContentError, content_sync
from exams.models import Exam, Question, enemy_map
from tests.curriculum.test_content import build_tree

pytestmark = pytest.mark.django_db

QUIZ = "bls/01-cpr/quiz.yaml"
# Rate: q1 q2 q3, Depth: q4 q5, Recoil: q6. Line 1-4: title, pass mark, draw,
# "blueprint:"; lines 5-7 the quotas.
HEADER = "title: CPR quiz\npass_mark: 80\ndraw: 4\nblueprint:\n"
QUOTAS = {"Rate": 2, "Depth": 1, "Recoil": 1}
TOPICS = {
    "bls-q1": "Rate",
    "bls-q2": "Rate",
    "bls-q3": "Rate",
    "bls-q4": "Depth",
    "bls-q5": "Depth",
    "bls-q6": "Recoil",
}


def _quiz(
    enemies: dict[str, str], quotas: dict[str, int] = QUOTAS, header: str = HEADER
) -> str:
    """The quiz with `enemies` written as each question's `enemies:` value (YAML)."""
    text = header + "".join(f"  {topic}: {n}\n" for topic, n in quotas.items())
    text += "questions:\n"
    for qid, topic in TOPICS.items():
        text += (
            f"  - id: {qid}\n"
            f"    topic: {topic}\n"
            "    lesson: compressions\n"
            f'    text: "Question {qid}?"\n'
            "    choices:\n"
            '      - text: "Right"\n'
            "        correct: true\n"
            '      - text: "Wrong"\n'
            '    explanation: "Because."\n'
        )
        if qid in enemies:
            text += f"    enemies: {enemies[qid]}\n"
    return text


def _line(root: Path, qid: str, key: str = "enemies") -> int:
    """The file line of `key` in question `qid` of the quiz."""
    lines = (root / QUIZ).read_text().splitlines()
    start = lines.index(f"  - id: {qid}")
    return (
        next(i for i in range(start, len(lines)) if lines[i].startswith(f"    {key}:"))
        + 1
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    root = build_tree(tmp_path)
    (root / QUIZ).write_text(_quiz({"bls-q1": "[bls-q2]", "bls-q4": "[bls-q3]"}))
    return root


def test_enemies_are_stored_as_the_file_lists_them(tree):
    content_sync(root=tree)
    stored = dict(Question.objects.values_list("key", "enemies"))
    assert stored["bls-q1"] == ["bls-q2"]
    assert stored["bls-q4"] == ["bls-q3"]
    # One side is enough: the other question's row keeps its own (empty) list ...
    assert stored["bls-q2"] == stored["bls-q3"] == stored["bls-f1"] == []
    # ... and the relation reads both sides.
    pairs = enemy_map(stored)
    assert pairs["bls-q2"] == {"bls-q1"}
    assert pairs["bls-q3"] == {"bls-q4"}
    assert pairs["bls-q5"] == set()


def test_enemies_listed_on_both_sides_load(tree):
    (tree / QUIZ).write_text(_quiz({"bls-q1": "[bls-q2]", "bls-q2": "[bls-q1]"}))
    content_sync(root=tree)
    assert Question.objects.get(key="bls-q2").enemies == ["bls-q1"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[bls-q9]", "question 'bls-q1': unknown enemy 'bls-q9' (no question of this "
         "bank has that id)"),
        ("[bls-q2, bls-f1]", "question 'bls-q1': enemy 'bls-f1' is a question of "
         "content/bls/final-exam.yaml; enemies are questions of the same bank"),
        ("[bls-q1]", "question 'bls-q1' names itself as an enemy"),
        ("[bls-q2, bls-q2]", "'enemies' names 'bls-q2' twice"),
        ("bls-q2", "'enemies' must be a list of question ids, e.g. [bls-cpr-rate]"),
        ("[Bls Q2]", "'enemies' must be a list of question ids; 'Bls Q2' is not one"),
        ("[3]", "'enemies' must be a list of question ids; 3 is not one"),
    ],
    ids=["unknown", "other-bank", "itself", "twice", "not-a-list", "not-an-id",
         "number"],
)  # fmt: skip
def test_a_bad_enemy_is_refused_on_its_line_and_nothing_loads(tree, value, message):
    (tree / QUIZ).write_text(_quiz({"bls-q1": value}))
    with pytest.raises(ContentError) as caught:
        content_sync(root=tree)
    assert [str(p) for p in caught.value.problems] == [
        f"content/{QUIZ}:{_line(tree, 'bls-q1')}: {message}"
    ]
    assert not Question.objects.exists()


def test_an_enemy_in_another_course_is_another_bank(tree):
    """Ids are unique across content/, so a foreign id is named with its file."""
    acls_quiz = tree / "acls/01-basics/quiz.yaml"
    acls_quiz.write_text(
        _quiz({}, quotas={}, header="title: ACLS quiz\npass_mark: 80\n")
        .replace("bls-q", "acls-q")
        .replace("lesson: compressions", "lesson: intro")
    )
    (tree / QUIZ).write_text(_quiz({"bls-q1": "[acls-q2]"}))
    with pytest.raises(ContentError) as caught:
        read_content(tree)
    assert "enemy 'acls-q2' is a question of content/acls/01-basics/quiz.yaml" in str(
        caught.value
    )


def test_enemies_changed_in_the_files_update_the_question(tree):
    content_sync(root=tree)
    (tree / QUIZ).write_text(
        _quiz({"bls-q1": "[bls-q3, bls-q2]", "bls-q4": "[bls-q3]"})
    )
    report = content_sync(root=tree)
    assert report.counts["questions"]["updated"] == 1
    assert Question.objects.get(key="bls-q1").enemies == ["bls-q3", "bls-q2"]
    (tree / QUIZ).write_text(_quiz({}))
    content_sync(root=tree)
    assert Question.objects.get(key="bls-q1").enemies == []


def test_enemies_edited_in_the_admin_are_a_sync_conflict(tree):
    content_sync(root=tree)
    Question.objects.filter(key="bls-q5").update(enemies=["bls-q4"])
    assert Question.objects.get(key="bls-q5").edited_since_sync
    with pytest.raises(ContentError, match="edited in the admin"):
        content_sync(root=tree)


def test_export_writes_enemies_back_and_the_round_trip_changes_nothing(tree, tmp_path):
    (tree / QUIZ).write_text(
        _quiz({"bls-q1": "[bls-q3, bls-q2]", "bls-q4": "[bls-q3]"})
    )
    content_sync(root=tree)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    items = {q["id"]: q for q in yaml.safe_load((out / QUIZ).read_text())["questions"]}
    assert items["bls-q1"]["enemies"] == ["bls-q3", "bls-q2"]
    assert items["bls-q4"]["enemies"] == ["bls-q3"]
    assert "enemies" not in items["bls-q2"]
    assert not content_sync(root=out).changed


def test_export_leaves_out_an_enemy_that_left_the_bank(tree, tmp_path):
    """A question deactivated in the admin is not exported; naming it would make the
    exported files unreadable."""
    content_sync(root=tree)
    Question.objects.filter(key="bls-q2").update(is_active=False)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    items = {q["id"]: q for q in yaml.safe_load((out / QUIZ).read_text())["questions"]}
    assert "bls-q2" not in items
    assert "enemies" not in items["bls-q1"]
    assert items["bls-q4"]["enemies"] == ["bls-q3"]
    read_content(out)


def test_the_migration_keeps_questions_synced_before_the_field_unedited(tree):
    migration = import_module("exams.migrations.0010_question_enemies")
    content_sync(root=tree)
    in_step = Question.objects.get(key="bls-q2")
    old = {name: getattr(in_step, name) for name in migration.OLD_FIELDS}
    old_hash = hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()
    Question.objects.filter(pk=in_step.pk).update(synced_hash=old_hash)
    edited = Question.objects.get(key="bls-q3")
    Question.objects.filter(pk=edited.pk).update(synced_hash="0" * 64)
    migration.rehash_synced_questions(apps, None)
    assert not Question.objects.get(pk=in_step.pk).edited_since_sync
    assert Question.objects.get(pk=edited.pk).synced_hash == "0" * 64


# --- the sync's warning: a quota that cannot be met without enemies ------------------


def _warnings(root: Path) -> list[str]:
    return [str(w) for w in read_content(root).warnings]


def test_enemies_that_leave_every_quota_fillable_give_no_warning(tree):
    # Rate's quota of 2 from q1 q2 q3 with q1-q2 enemies: q1 and q3.
    assert _warnings(tree) == []


def test_a_pool_whose_questions_are_all_enemies_warns_on_its_blueprint_line(tree):
    (tree / QUIZ).write_text(
        _quiz({"bls-q1": "[bls-q2, bls-q3]", "bls-q2": "[bls-q3]"})
    )
    assert _warnings(tree) == [
        f"content/{QUIZ}:5: bls/cpr: topic 'Rate' cannot fill its quota of 2 without "
        "enemies: taking its questions in file order, skipping each enemy of one "
        "already taken, gives 1; attempts will then hold enemies"
    ]
    # It loads (a warning, not an error), and sync_content prints it.
    call_command("sync_content", str(tree))
    assert Exam.objects.get(module__slug="cpr").draw_size == 4


def test_an_enemy_drawn_from_an_earlier_pool_counts(tree, capsys):
    """Recoil's only question is an enemy of q1, which Rate takes first."""
    (tree / QUIZ).write_text(_quiz({"bls-q6": "[bls-q1]"}))
    call_command("sync_content", str(tree))
    assert (
        f"warning: content/{QUIZ}:7: bls/cpr: topic 'Recoil' cannot fill its quota "
        "of 1 without enemies"
    ) in capsys.readouterr().err


def test_a_draw_without_blueprint_that_needs_enemies_warns_on_the_draw_line(tree):
    (tree / QUIZ).write_text(
        _quiz(
            {f"bls-q{i}": f"[bls-q{i + 1}]" for i in range(1, 6)},
            quotas={},
            header="title: CPR quiz\npass_mark: 80\ndraw: 4\n",
        )
    )
    # q1 q3 q5 are taken; q2 q4 q6 each sit next to one: 3 of 4.
    assert _warnings(tree) == [
        f"content/{QUIZ}:3: bls/cpr: the bank cannot fill its quota of 4 without "
        "enemies: taking its questions in file order, skipping each enemy of one "
        "already taken, gives 3; attempts will then hold enemies"
    ]
