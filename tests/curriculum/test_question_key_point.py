"""`key_point` and `vignette` on bank questions (issue 14): read and checked with
file:line, stored on the question, written back by the export, edited in the admin."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command

from courses.markdown import key_points
from curriculum.services import ContentError, content_sync
from exams.models import Question
from tests.curriculum.test_content import build_tree, write

pytestmark = pytest.mark.django_db

LESSON = "bls/01-cpr/01-compressions.md"
QUIZ = "bls/01-cpr/quiz.yaml"
LESSON_TEXT = """---
title: Compressions
minutes: 15
---
## Push

Push hard and fast.

## Key points

- Rate 100 to 120 per minute.
- Depth at least 5 cm,
  not more than 6 cm.
- Full recoil.

## References

- Not a key point.
"""


def _item(qid: str, extra: str = "") -> str:
    return f"""
  - id: {qid}
    topic: Rate
    lesson: compressions
    text: "What rate?"
    choices:
      - text: "100 to 120 per minute"
        correct: true
      - text: "60 per minute"
    explanation: "Guideline rate."{extra}
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    root = build_tree(tmp_path)
    write(root, LESSON, LESSON_TEXT)
    write(
        root,
        QUIZ,
        "title: CPR quiz\npass_mark: 84\nquestions:"
        + _item("bls-q1", "\n    key_point: 3\n    vignette: true")
        + _item("bls-q2"),
    )
    return root


def test_key_points_are_the_bullets_of_the_key_points_list_only():
    assert key_points(LESSON_TEXT) == [
        "Rate 100 to 120 per minute.",
        "Depth at least 5 cm, not more than 6 cm.",
        "Full recoil.",
    ]
    assert key_points("## Push\n\n- a bullet elsewhere\n") == []


def test_key_point_and_vignette_are_stored_and_optional(tree):
    content_sync(root=tree)
    flagged, plain = (
        Question.objects.get(key="bls-q1"),
        Question.objects.get(key="bls-q2"),
    )
    assert (flagged.key_point, flagged.vignette) == (3, True)
    assert (plain.key_point, plain.vignette) == (None, False)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "'key_point' must be a whole number from 1"),
        ("two", "'key_point' must be a whole number from 1"),
        ("1.5", "'key_point' must be a whole number from 1"),
        ("true", "'key_point' must be a whole number from 1"),
        (
            "4",
            "question 'bls-q2': key_point 4 is beyond the lesson 'compressions', "
            "which has 3 key points",
        ),
    ],
)
def test_a_bad_key_point_is_refused_on_its_line(tree, value, message):
    text = (tree / QUIZ).read_text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "id: bls-q2" in line)
    lines.insert(at + 1, f"    key_point: {value}")
    (tree / QUIZ).write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as caught:
        content_sync(root=tree)
    assert [str(p) for p in caught.value.problems] == [
        f"content/{QUIZ}:{at + 2}: {message}"
        + ("" if message.startswith("question") else " to 32767")
    ]
    assert not Question.objects.exists()


def test_a_key_point_of_a_lesson_without_key_points_is_refused(tree):
    write(tree, LESSON, "---\ntitle: Compressions\nminutes: 15\n---\nPush.\n")
    with pytest.raises(ContentError) as caught:
        content_sync(root=tree)
    assert "which has no '## Key points' list" in str(caught.value)


def test_a_bad_vignette_flag_is_refused(tree):
    text = (tree / QUIZ).read_text().replace("vignette: true", 'vignette: "yes"')
    (tree / QUIZ).write_text(text)
    with pytest.raises(ContentError, match="'vignette' must be true or false"):
        content_sync(root=tree)


def test_export_writes_key_point_and_vignette_back(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    items = {q["id"]: q for q in yaml.safe_load((out / QUIZ).read_text())["questions"]}
    assert (items["bls-q1"]["key_point"], items["bls-q1"]["vignette"]) == (3, True)
    assert "key_point" not in items["bls-q2"]
    assert "vignette" not in items["bls-q2"]
    assert not content_sync(root=out).changed


def test_a_key_point_changed_in_the_files_updates_the_question(tree):
    content_sync(root=tree)
    text = (tree / QUIZ).read_text().replace("key_point: 3", "key_point: 1")
    (tree / QUIZ).write_text(text.replace("vignette: true", "vignette: false"))
    report = content_sync(root=tree)
    assert report.counts["questions"]["updated"] == 1
    question = Question.objects.get(key="bls-q1")
    assert (question.key_point, question.vignette) == (1, False)


def test_a_key_point_edited_in_the_admin_is_a_sync_conflict(tree):
    content_sync(root=tree)
    Question.objects.filter(key="bls-q1").update(key_point=2)
    assert Question.objects.get(key="bls-q1").edited_since_sync
    with pytest.raises(ContentError, match="edited in the admin"):
        content_sync(root=tree)


def test_the_migration_keeps_questions_synced_before_the_fields_unedited(tree):
    """Adding the two fields to the fingerprint must not make every synced question
    look edited in the admin (the next sync would refuse without --force)."""
    import hashlib
    import json
    from importlib import import_module

    migration = import_module("exams.migrations.0009_question_key_point_and_vignette")
    content_sync(root=tree)
    in_step = Question.objects.get(key="bls-q2")
    old = {name: getattr(in_step, name) for name in migration.OLD_FIELDS}
    old_hash = hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()
    Question.objects.filter(pk=in_step.pk).update(synced_hash=old_hash)
    edited = Question.objects.get(key="bls-f1")
    Question.objects.filter(pk=edited.pk).update(synced_hash="0" * 64)
    migration.rehash_synced_questions(apps, None)
    # The next migration adds `enemies` to the fingerprint the same way.
    import_module("exams.migrations.0010_question_enemies").rehash_synced_questions(
        apps, None
    )
    assert not Question.objects.get(pk=in_step.pk).edited_since_sync
    assert Question.objects.get(pk=edited.pk).synced_hash == "0" * 64
