"""A sync with nothing to do (issue 19): it skips reading the tree when the files, the
code that reads them and the curriculum rows are as the last sync left them, in a
fixed number of queries whatever the learner data and the size of the curriculum;
and it never skips a change on either side (a file edited, a row edited in the
admin or by an `.update()`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseAttempt, CaseRules
from cases.services import case_attempt_start
from courses.models import (
    Bundle,
    BundleCourse,
    Course,
    CourseImage,
    Enrollment,
    Lesson,
    LessonProgress,
)
from curriculum.models import SyncState
from curriculum.services import ContentError, content_sync, fingerprint
from exams.models import Attempt, AttemptQuestion, Exam, Question
from exams.services import exam_attempt_start
from organizations.models import SkillItem
from tests.cases.test_sync import build as build_case_tree
from tests.curriculum.test_content import QUESTION, build_tree, write
from tests.exams.conftest import complete_lessons
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

# One query for the stored state, one per table the sync writes.
SKIP_QUERIES = 1 + len(fingerprint.SYNCED_MODELS)


@pytest.fixture
def tree(tmp_path) -> Path:
    """Every kind of content file: lessons, an image, a quiz, skills.yaml, two case
    files and cases/rules.yaml (course `sim`), plus bls and acls."""
    root = build_tree(tmp_path)
    (tmp_path / "cases" / "content" / "sim" / "cases").mkdir(parents=True)
    shutil.copytree(build_case_tree(tmp_path / "cases") / "sim", root / "sim")
    write(
        root,
        "sim/01-arrest/quiz.yaml",
        "title: Arrest quiz\npass_mark: 80\nquestions:"
        + QUESTION.format(id="sim-q1").replace("compressions", "vf-pvt")
        + QUESTION.format(id="sim-q2").replace("compressions", "vf-pvt"),
    )
    write(
        root,
        "sim/skills.yaml",
        "items:\n  - id: pads\n    title: Pads placed\n    criterion: Within 10 s.\n",
    )
    return root


def learners(count: int) -> None:
    """Learners with lesson progress, exam attempts (their attempt questions) and a
    played case in every course that has them."""
    for _ in range(count):
        for course in Course.objects.all():
            enrollment = EnrollmentFactory(course=course)
            complete_lessons(enrollment)
            for exam in Exam.objects.filter(course=course, module__isnull=False):
                exam_attempt_start(user=enrollment.user, exam=exam)
            for case in Case.objects.filter(course=course):
                case_attempt_start(user=enrollment.user, case=case)


def test_second_sync_skips_reading_and_changes_nothing(tree, capsys):
    call_command("sync_content", str(tree))
    before = SyncState.objects.get()
    call_command("sync_content", str(tree))
    out = capsys.readouterr().out
    assert "No changes: the files and the database are as the last sync" in out
    assert SyncState.objects.get().synced_at == before.synced_at


def test_a_sync_with_nothing_to_do_makes_the_same_queries_with_or_without_learners(
    tree, django_assert_num_queries
):
    content_sync(root=tree)
    with django_assert_num_queries(SKIP_QUERIES):
        assert content_sync(root=tree).skipped
    learners(3)
    assert AttemptQuestion.objects.count() >= 3 * 3
    assert CaseAttempt.objects.exists()
    with django_assert_num_queries(SKIP_QUERIES):
        assert content_sync(root=tree).skipped


def test_a_sync_with_nothing_to_do_makes_the_same_queries_for_one_course_or_all(
    tree, tmp_path, django_assert_num_queries
):
    one = tmp_path / "one"
    shutil.copytree(tree, one)
    for folder in ("acls", "sim"):
        shutil.rmtree(one / folder)
    (one / "bundles.yaml").unlink()
    content_sync(root=one)
    with django_assert_num_queries(SKIP_QUERIES):
        assert content_sync(root=one).skipped
    content_sync(root=tree)
    assert Course.objects.count() == 3
    with django_assert_num_queries(SKIP_QUERIES):
        assert content_sync(root=tree).skipped


def test_a_forced_sync_without_changes_reads_no_learner_records(tree):
    """--force compares every row; with nothing leaving the files it looks up no
    learner record (the lookups that decide what may be retired run only for rows
    that disappear), so its work does not grow with learners."""
    content_sync(root=tree)
    learners(2)
    with CaptureQueriesContext(connection) as queries:
        report = content_sync(root=tree, force=True)
    assert not report.changed and not report.skipped
    assert report.counts["questions"] == {"unchanged": 5}
    learner_tables = [
        model._meta.db_table
        for model in (AttemptQuestion, Attempt, LessonProgress, CaseAttempt, Enrollment)
    ]
    read = [
        table
        for query in queries
        for table in learner_tables
        if f'"{table}"' in query["sql"]
    ]
    assert read == []


EDITS = {
    "lesson": (
        "sim/01-arrest/01-vf-pvt.md",
        "About vf-pvt.",
        "About VF and pulseless VT.",
        lambda: "VF and pulseless VT" in Lesson.objects.get(slug="vf-pvt").body_md,
    ),
    "question": (
        "sim/01-arrest/quiz.yaml",
        'text: "What rate?"',
        'text: "Which rate?"',
        lambda: Question.objects.get(key="sim-q1").text_md == "Which rate?",
    ),
    "image": (
        "sim/images/ecg/monitor/m-05.svg",
        'viewBox="0 0 10 10"',
        'viewBox="0 0 20 20"',
        lambda: (
            b"0 0 20 20"
            in bytes(CourseImage.objects.get(path="images/ecg/monitor/m-05.svg").data)
        ),
    ),
    "case file": (
        "sim/cases/mall-collapse.yaml",
        "A shopper collapses",
        "A man falls",
        lambda: "A man falls" in str(Case.objects.get(slug="mall-collapse").definition),
    ),
    "skills.yaml": (
        "sim/skills.yaml",
        "Pads placed",
        "Pads placed well",
        lambda: SkillItem.objects.get(key="pads").title == "Pads placed well",
    ),
    "rules.yaml": (
        "sim/cases/rules.yaml",
        "no-roles: vf-pvt",
        "no-roles: arrest-drugs",
        lambda: CaseRules.objects.get().lessons["no-roles"] == "arrest-drugs",
    ),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_an_edited_file_of_any_kind_is_synced(tree, kind):
    rel, old, new, applied = EDITS[kind]
    content_sync(root=tree)
    assert content_sync(root=tree).skipped
    path = tree / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))

    report = content_sync(root=tree)

    assert not report.skipped and report.changed, report.lines()
    assert applied()
    assert content_sync(root=tree).skipped


def test_a_new_or_removed_file_is_synced(tree):
    content_sync(root=tree)
    write(tree, "sim/01-arrest/06-more.md", "---\ntitle: More\nminutes: 5\n---\nM.\n")
    assert content_sync(root=tree).counts["lessons"]["created"] == 1
    (tree / "sim/01-arrest/06-more.md").unlink()
    assert content_sync(root=tree).counts["lessons"]["removed"] == 1


def test_an_admin_edit_since_the_last_sync_is_still_a_conflict(tree):
    """The admin saved a row: the sync reads and compares, as before (the edit wins
    until --force)."""
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="vf-pvt")
    lesson.body_md = "Edited in the admin."
    lesson.save()
    with pytest.raises(ContentError, match="edited in the admin since the last sync"):
        content_sync(root=tree)
    report = content_sync(root=tree, force=True)
    assert report.counts["lessons"]["updated"] == 1
    lesson.refresh_from_db()
    assert lesson.body_md.strip() == "About vf-pvt."


def test_a_write_that_bypasses_save_is_still_noticed(tree):
    """An `.update()` touches neither `updated_at` nor the row's fingerprint field:
    the digest of the rows still sees it."""
    content_sync(root=tree)
    Lesson.objects.filter(slug="vf-pvt").update(title="Changed by SQL")
    with pytest.raises(ContentError, match="edited in the admin since the last sync"):
        content_sync(root=tree)


def test_a_row_deleted_in_the_admin_is_restored_by_the_next_sync(tree):
    """A course taken out of a bundle in the admin goes back in, as it always did:
    bundle items are the files' alone."""
    content_sync(root=tree)
    BundleCourse.objects.filter(course__slug="acls").delete()

    report = content_sync(root=tree)

    assert not report.skipped
    bundle = Bundle.objects.get(slug="bls-acls")
    assert list(bundle.items.values_list("course__slug", flat=True)) == ["bls", "acls"]
    assert content_sync(root=tree).skipped


def test_a_change_to_the_code_that_reads_content_reads_it_again(tree, monkeypatch):
    content_sync(root=tree)
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "a new release")
    assert not content_sync(root=tree).skipped
    assert content_sync(root=tree).skipped


def test_force_reads_and_compares_even_when_nothing_changed(tree, capsys):
    content_sync(root=tree)
    call_command("sync_content", str(tree), "--force")
    out = capsys.readouterr().out
    assert "lessons: " in out and "unchanged" in out
    assert "No changes: the database already matches the content." in out


def test_a_skipped_sync_repeats_the_warnings_of_the_sync_it_trusts(tree):
    write(
        tree,
        "sim/01-arrest/quiz.yaml",
        "title: Arrest quiz\npass_mark: 80\ndraw: 5\nquestions:"
        + QUESTION.format(id="sim-q1").replace("compressions", "vf-pvt"),
    )
    first = content_sync(root=tree)
    assert first.notices or first.warnings
    again = content_sync(root=tree)
    assert again.skipped
    assert [str(p) for p in again.notices] == [str(p) for p in first.notices]
    assert [str(p) for p in again.warnings] == [str(p) for p in first.warnings]


def test_a_failed_sync_records_nothing_and_the_next_one_reads_again(tree):
    content_sync(root=tree)
    state = SyncState.objects.get()
    write(tree, "sim/01-arrest/01-vf-pvt.md", "---\ntitle: [unclosed\n---\nX.\n")
    with pytest.raises(ContentError):
        content_sync(root=tree)
    assert SyncState.objects.get() == state
    assert SyncState.objects.get().files_digest == state.files_digest


def test_a_symbolic_link_in_the_tree_is_never_skipped_over(tree, tmp_path):
    content_sync(root=tree)
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Out\nminutes: 5\n---\nO.\n")
    (tree / "sim/01-arrest/07-link.md").symlink_to(outside)
    with pytest.raises(ContentError, match="symbolic link"):
        content_sync(root=tree)
    assert not Attempt.objects.exists()
