from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.content import ContentError, content_sync
from courses.models import Course, Lesson, LessonProgress
from exams.models import Exam, Question
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


QUESTION = """
  - id: {id}
    topic: Rate
    lesson: compressions
    text: "What rate?"
    choices:
      - text: "100 to 120 per minute"
        correct: true
      - text: "60 per minute"
      - text: "200 per minute"
    explanation: "Guideline rate."
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "content"
    write(
        root,
        "bls/course.md",
        """
        ---
        title: Basic Life Support
        code: BLS
        summary: For providers.
        hours: 4.5
        validity_months: 24
        prerequisites: []
        order: 2
        recommended_for: [nurse]
        ---
        About BLS.
    """,
    )
    write(
        root,
        "acls/course.md",
        """
        ---
        title: ACLS
        code: ACLS
        summary: Advanced.
        hours: 8
        validity_months: 24
        prerequisites: [bls]
        order: 3
        ---
        About ACLS.
    """,
    )
    write(
        root,
        "acls/01-basics/module.md",
        "---\ntitle: Basics\norder: 1\n---\nSummary.\n",
    )
    write(
        root,
        "acls/01-basics/01-intro.md",
        "---\ntitle: Intro\nminutes: 5\n---\nHello.\n",
    )
    write(root, "bls/01-cpr/module.md", "---\ntitle: CPR\norder: 1\n---\nSummary.\n")
    write(
        root,
        "bls/01-cpr/01-compressions.md",
        """
        ---
        title: Compressions
        minutes: 15
        ---
        ## Push

        ![Hand position on the chest](images/hands.svg)
    """,
    )
    write(root, "bls/images/hands.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    write(
        root,
        "bls/01-cpr/quiz.yaml",
        "title: CPR quiz\npass_mark: 84\ndraw: 2\nquestions:"
        + QUESTION.format(id="bls-q1")
        + QUESTION.format(id="bls-q2"),
    )
    write(
        root,
        "bls/final-exam.yaml",
        "title: Final\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-f1"),
    )
    write(
        root,
        "bundles.yaml",
        "bundles:\n  - slug: bls-acls\n    title: BLS + ACLS\n    summary: Both.\n    courses: [bls, acls]\n",
    )
    return root


def snapshot():
    return (
        sorted(Course.objects.values_list("slug", "title", "synced_hash")),
        sorted(Lesson.objects.values_list("id", "slug", "body_html")),
        sorted(Question.objects.values_list("id", "key", "is_active")),
    )


def test_sync_loads_courses_modules_lessons_images_exams_and_bundles(tree):
    report = content_sync(root=tree)
    assert report.changed
    bls = Course.objects.get(slug="bls")
    assert [c.slug for c in Course.objects.get(slug="acls").prerequisites.all()] == [
        "bls"
    ]
    lesson = Lesson.objects.get(slug="compressions")
    assert 'src="/courses/bls/images/hands.svg"' in lesson.body_html
    assert bls.images.get().content_type == "image/svg+xml"
    quiz = Exam.objects.get(module__slug="cpr")
    assert (quiz.pass_mark, quiz.draw_size, quiz.questions.count()) == (84, 2, 2)
    assert (
        Exam.objects.get(course=bls, kind="final")
        .questions.get()
        .choices.filter(is_correct=True)
        .count()
        == 1
    )
    assert Question.objects.get(key="bls-q1").review_lesson == lesson


def test_second_sync_changes_nothing_and_says_so(tree, capsys):
    call_command("sync_content", str(tree))
    before = snapshot()
    call_command("sync_content", str(tree))
    assert "No changes" in capsys.readouterr().out
    assert snapshot() == before


def test_broken_file_leaves_database_unchanged_and_names_file_and_line(tree):
    content_sync(root=tree)
    before = snapshot()
    write(
        tree,
        "bls/01-cpr/01-compressions.md",
        "---\ntitle: Changed\nminutes: 15\n---\nNew body\n",
    )
    write(
        tree,
        "bls/final-exam.yaml",
        "title: Final\npass_mark: 84\nquestions:\n  - id: bls-f1\n    text: [unclosed\n",
    )
    with pytest.raises(CommandError) as error:
        call_command("sync_content", str(tree))
    assert "bls/final-exam.yaml:5" in str(error.value)
    assert "database is unchanged" in str(error.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "bls/01-cpr/02-x.md",
            "---\ntitle: X\n---\nBody\n",
            "bls/01-cpr/02-x.md:2: front matter needs 'minutes'",
        ),
        (
            "bls/01-cpr/02-x.md",
            "no front matter\n",
            "bls/01-cpr/02-x.md:1: missing front matter",
        ),
        (
            "bls/01-cpr/02-x.md",
            "---\ntitle: X\nminutes: 3\n---\n\n![](images/hands.svg)\n",
            "bls/01-cpr/02-x.md:6: image 'images/hands.svg' needs alt text",
        ),
        (
            "bls/01-cpr/02-x.md",
            "---\ntitle: X\nminutes: 3\n---\n![A](images/nope.svg)\n",
            "image 'images/nope.svg' does not exist",
        ),
    ],
)
def test_invalid_lesson_files_are_reported_with_file_and_line(
    tree, rel, text, expected
):
    write(tree, rel, text)
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert expected in str(error.value)
    assert not Course.objects.exists()


def test_question_with_two_correct_answers_is_refused_with_line(tree):
    bad = QUESTION.format(id="bls-q3").replace(
        '"60 per minute"', '"60 per minute"\n        correct: true'
    )
    write(
        tree,
        "bls/01-cpr/quiz.yaml",
        "title: CPR quiz\npass_mark: 84\nquestions:"
        + QUESTION.format(id="bls-q1")
        + bad,
    )
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert (
        "bls/01-cpr/quiz.yaml:15: question 'bls-q3' needs exactly one correct choice (has 2)"
        in str(error.value)
    )


def test_duplicate_question_ids_and_unknown_lessons_are_refused(tree):
    write(
        tree,
        "bls/final-exam.yaml",
        "title: F\npass_mark: 84\nquestions:"
        + QUESTION.format(id="bls-q1").replace("compressions", "nowhere"),
    )
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    message = str(error.value)
    assert "question id 'bls-q1' is also used in" in message
    assert "unknown lesson 'nowhere'" in message


def test_edits_keep_ids_so_progress_survives(tree):
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="compressions")
    enrollment = EnrollmentFactory(course=lesson.course)
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=lesson, completed_at=enrollment.enrolled_at
    )
    write(
        tree,
        "bls/01-cpr/01-compressions.md",
        "---\ntitle: Chest compressions\nminutes: 20\n---\nRevised.\n",
    )
    report = content_sync(root=tree)
    assert report.counts["lessons"]["updated"] == 1
    lesson.refresh_from_db()
    assert lesson.title == "Chest compressions"
    assert LessonProgress.objects.filter(lesson=lesson).exists()


def test_admin_edit_is_a_conflict_without_force(tree):
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="compressions")
    lesson.body_md = "Edited in the admin."
    lesson.save()
    write(
        tree,
        "bls/01-cpr/01-compressions.md",
        "---\ntitle: Compressions\nminutes: 15\n---\nFile edit.\n",
    )
    with pytest.raises(CommandError, match="edited in the admin since the last sync"):
        call_command("sync_content", str(tree))
    lesson.refresh_from_db()
    assert lesson.body_md == "Edited in the admin."
    call_command("sync_content", str(tree), "--force")
    lesson.refresh_from_db()
    assert lesson.body_md.strip() == "File edit."


def test_admin_edit_alone_is_kept_by_an_unrelated_sync(tree):
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="compressions")
    lesson.body_md = "Edited in the admin."
    lesson.save()
    with pytest.raises(ContentError):
        content_sync(
            root=tree
        )  # the file still says otherwise: the admin's edit wins until --force
    lesson.refresh_from_db()
    assert lesson.body_md == "Edited in the admin."


def test_removed_lesson_is_deleted(tree):
    content_sync(root=tree)
    (tree / "acls/01-basics/01-intro.md").unlink()
    write(
        tree, "acls/01-basics/01-other.md", "---\ntitle: Other\nminutes: 5\n---\nHi.\n"
    )
    report = content_sync(root=tree)
    assert report.counts["lessons"]["removed"] == 1
    assert not Lesson.objects.filter(slug="intro").exists()


def test_removed_question_is_deleted_unless_an_attempt_showed_it(tree):
    from exams.services import exam_attempt_start
    from tests.exams.conftest import complete_lessons

    content_sync(root=tree)
    bls = Course.objects.get(slug="bls")
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    quiz = Exam.objects.get(module__slug="cpr")
    exam_attempt_start(user=enrollment.user, exam=quiz)  # draws both questions
    write(
        tree,
        "bls/01-cpr/quiz.yaml",
        "title: CPR quiz\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-q1"),
    )
    write(
        tree,
        "bls/final-exam.yaml",
        "title: Final\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-f2"),
    )
    report = content_sync(root=tree)
    assert report.counts["questions"]["deactivated"] == 1  # bls-q2, shown in an attempt
    assert report.counts["questions"]["removed"] == 1  # bls-f1, never shown
    assert not Question.objects.get(key="bls-q2").is_active
    assert not Question.objects.filter(key="bls-f1").exists()


def test_export_writes_files_that_sync_back_unchanged(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    assert (out / "bls/01-cpr/01-compressions.md").exists()
    assert (out / "bls/images/hands.svg").exists()
    assert (out / "bls/final-exam.yaml").exists()
    before = snapshot()
    report = content_sync(root=out)
    assert not report.changed, report.lines()
    assert snapshot() == before


def test_repository_content_loads_without_errors_or_warnings(settings):
    report = content_sync(root=settings.CONTENT_DIR)
    assert report.warnings == []
    assert Course.objects.filter(slug__in=["cpr-aed", "bls", "acls"]).count() == 3


def test_removed_module_with_learner_records_is_retired_not_deleted(tree):
    """Progress and attempts survive; the retired exam is no longer required."""
    import shutil

    from exams.services import enrollment_requirements_met, exam_attempt_start
    from tests.exams.conftest import complete_lessons

    write(tree, "bls/02-aed/module.md", "---\ntitle: AED\norder: 2\n---\nS.\n")
    write(tree, "bls/02-aed/01-pads.md", "---\ntitle: Pads\nminutes: 5\n---\nHi.\n")
    write(
        tree,
        "bls/02-aed/quiz.yaml",
        "title: AED quiz\npass_mark: 84\nquestions:"
        + QUESTION.format(id="bls-aed-1").replace("compressions", "pads"),
    )
    content_sync(root=tree)
    bls = Course.objects.get(slug="bls")
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    aed_quiz = Exam.objects.get(module__slug="aed")
    exam_attempt_start(user=enrollment.user, exam=aed_quiz)
    shutil.rmtree(tree / "bls/02-aed")

    report = content_sync(root=tree)

    pads = Lesson.objects.get(slug="pads")
    assert not pads.is_published
    assert LessonProgress.objects.filter(lesson=pads).exists()
    aed_quiz.refresh_from_db()
    assert not aed_quiz.is_active
    assert report.counts["exams"]["deactivated"] == 1
    assert not Question.objects.get(key="bls-aed-1").is_active
    # The other exams of the course are what completion now needs.
    assert not enrollment_requirements_met(enrollment=enrollment)
    assert aed_quiz.pk not in {
        e.pk for e in Exam.objects.filter(course=bls, is_active=True)
    }


def test_removed_quiz_without_attempts_is_deleted(tree):
    content_sync(root=tree)
    (tree / "bls/01-cpr/quiz.yaml").unlink()
    report = content_sync(root=tree)
    assert report.counts["exams"]["removed"] == 1
    assert not Exam.objects.filter(module__slug="cpr").exists()
