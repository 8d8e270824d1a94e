from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Profession
from courses.models import Course, Lesson, LessonProgress
from curriculum.services import ContentError, content_sync
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
    return build_tree(tmp_path)


def build_tree(tmp_path: Path) -> Path:
    """A small valid content tree: bls (module, lesson, image, quiz, final), acls."""
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
    # Finals' pools under three times their quota: test_banks_standard.py (issue 14).
    assert [w for w in report.warnings if "times its quota" not in w.message] == []
    assert Course.objects.filter(slug__in=["cpr-aed", "bls", "acls"]).count() == 3


def test_removed_module_with_learner_records_is_retired_not_deleted(tree):
    """Progress and attempts survive; the retired exam is no longer required."""
    import shutil

    from exams.selectors import enrollment_requirements_met
    from exams.services import exam_attempt_start
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


# --- every bad value is a file:line message; the database stays as it was -----------


def full_snapshot() -> dict[str, list]:
    """Every row of every curriculum table, every column."""
    from courses.models import Bundle, BundleCourse, CourseImage, Module
    from exams.models import Choice

    def rows(model):
        return [
            {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}
            for row in model.objects.order_by("pk").values()
        ]

    tables = {
        model.__name__: rows(model)
        for model in (
            Course,
            Course.prerequisites.through,
            Module,
            Lesson,
            CourseImage,
            Bundle,
            BundleCourse,
            Exam,
            Question,
            Choice,
        )
    }
    return tables


def replace_line(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


LESSON = "bls/01-cpr/01-compressions.md"  # 1 ---, 2 title, 3 minutes, 4 ---
COURSE = "bls/course.md"  # 2 title 3 code 4 summary 5 hours 6 validity 7 prereq 8 order
MODULE = "bls/01-cpr/module.md"  # 2 title, 3 order
QUIZ = "bls/01-cpr/quiz.yaml"  # 1 title 2 pass_mark 3 draw 4 questions, 5 first id
BUNDLES = "bundles.yaml"  # 2 "- slug", 3 title, 4 summary, 5 courses
LONG = "x" * 201

BAD_VALUES = [
    # (file, old text, new text, expected "file:line: message")
    (LESSON, "minutes: 15", "minutes: ten", f"{LESSON}:3: 'minutes' must be a whole"),
    (LESSON, "minutes: 15", "minutes: 7.5", f"{LESSON}:3: 'minutes' must be a whole"),
    (LESSON, "minutes: 15", "minutes: 0", f"{LESSON}:3: 'minutes' must be a whole"),
    (LESSON, "minutes: 15", "minutes: true", f"{LESSON}:3: 'minutes' must be a whole"),
    (LESSON, "minutes: 15", "minutes: 99999", f"{LESSON}:3: 'minutes' must be a whole"),
    (
        LESSON,
        "minutes: 15",
        'minutes: 15\npublished: "false"',
        f"{LESSON}:4: 'published' must be true or false",
    ),
    (
        LESSON,
        "minutes: 15",
        "minutes: 15\npublished: no",
        f"{LESSON}:4: 'published' must be true or false",
    ),
    (
        LESSON,
        "title: Compressions",
        f"title: {LONG}",
        f"{LESSON}:2: 'title' is at most 200 characters (has 201)",
    ),
    (
        LESSON,
        "title: Compressions",
        "title: [Com, pressions]",
        f"{LESSON}:2: 'title' must be text",
    ),
    (
        LESSON,
        "minutes: 15",
        "minutes: 15\nminute: 5",
        f"{LESSON}:4: unknown key 'minute' in front matter",
    ),
    (
        LESSON,
        "minutes: 15",
        "minutes: 15\ntitle: Again",
        f"{LESSON}:4: invalid front matter: duplicate key 'title' (first given on "
        "line 2)",
    ),
    (
        LESSON,
        "## Push",
        "## Push\n\n![Strip](images/%2e%2e/%2e%2e/accounts/email/)",
        f"{LESSON}:7: image 'images/%2e%2e/%2e%2e/accounts/email/': image paths may "
        "not contain '%'",
    ),
    (
        COURSE,
        "code: BLS",
        "code: BLSPLUSACLS",
        f"{COURSE}:3: 'code' is at most 8 characters (has 11)",
    ),
    (COURSE, "code: BLS", "code: bls", f"{COURSE}:3: 'code' must be capital letters"),
    (COURSE, "hours: 4.5", "hours: 4.55", f"{COURSE}:5: 'hours' must be a number"),
    (COURSE, "hours: 4.5", "hours: 10000", f"{COURSE}:5: 'hours' must be a number"),
    (COURSE, "hours: 4.5", 'hours: "4.5"', f"{COURSE}:5: 'hours' must be a number"),
    (
        COURSE,
        "validity_months: 24",
        "validity_months: -1",
        f"{COURSE}:6: 'validity_months' must be a whole number from 1 to 120",
    ),
    (
        COURSE,
        "validity_months: 24",
        "validity_months: two years",
        f"{COURSE}:6: 'validity_months' must be a whole number",
    ),
    (COURSE, "order: 2", "order: first", f"{COURSE}:8: 'order' must be a whole"),
    (
        COURSE,
        "prerequisites: []",
        "prerequisites: acls",
        f"{COURSE}:7: 'prerequisites' must be a list of slugs",
    ),
    (
        COURSE,
        "prerequisites: []",
        "prerequisites: [acls]",
        f"{COURSE}:7: course 'bls' requires itself through its prerequisites",
    ),
    (
        COURSE,
        "recommended_for: [nurse]",
        "recommended_for: nurse",
        f"{COURSE}:9: 'recommended_for' must be a list",
    ),
    (
        COURSE,
        "recommended_for: [nurse]",
        "recommended_for: [nurse, plumber]",
        f"{COURSE}:9: 'recommended_for' has unknown values: plumber",
    ),
    (
        COURSE,
        "order: 2",
        'order: 2\npublished: "false"',
        f"{COURSE}:9: 'published' must be true or false",
    ),
    (
        COURSE,
        "summary: For providers.",
        f"summary: {'s' * 301}",
        f"{COURSE}:4: 'summary' is at most 300 characters (has 301)",
    ),
    (MODULE, "order: 1", "order: x", f"{MODULE}:3: 'order' must be a whole number"),
    (MODULE, "title: CPR", "title:", f"{MODULE}:2: front matter needs 'title'"),
    (
        QUIZ,
        "pass_mark: 84",
        "pass_mark: 150",
        f"{QUIZ}:2: 'pass_mark' must be a whole number from 1 to 100",
    ),
    (
        QUIZ,
        "pass_mark: 84",
        'pass_mark: "84"',
        f"{QUIZ}:2: 'pass_mark' must be a whole number",
    ),
    (QUIZ, "draw: 2", "draw: two", f"{QUIZ}:3: 'draw' must be a whole number"),
    (
        QUIZ,
        "draw: 2",
        "draw: 2\ntime_limit_minutes: soon",
        f"{QUIZ}:4: 'time_limit_minutes' must be a whole number",
    ),
    (
        QUIZ,
        "draw: 2",
        'draw: 2\nshuffle: "no"',
        f"{QUIZ}:4: 'shuffle' must be true or false",
    ),
    (QUIZ, "draw: 2", "draw: 2\npass: 84", f"{QUIZ}:4: unknown key 'pass' in bank"),
    (
        QUIZ,
        "draw: 2",
        "draw: 2\ndraw: 3",
        f"{QUIZ}:4: invalid YAML: duplicate key 'draw' (first given on line 3)",
    ),
    (
        QUIZ,
        "title: CPR quiz",
        "title: &t CPR quiz\nsubtitle: *t",
        f"{QUIZ}:2: invalid YAML: aliases (*name) are not allowed",
    ),
    (
        QUIZ,
        "topic: Rate",
        f"topic: {'t' * 121}",
        f"{QUIZ}:6: 'topic' is at most 120 characters (has 121)",
    ),
    (
        QUIZ,
        "id: bls-q1",
        f"id: bls-{'q' * 100}",
        f"{QUIZ}:5: 'id' is at most 100 characters",
    ),
    (
        QUIZ,
        "lesson: compressions",
        "lesson: [compressions, other]",
        f"{QUIZ}:7: 'lesson' must be a slug",
    ),
    (
        QUIZ,
        '"100 to 120 per minute"',
        f'"{"c" * 501}"',
        f"{QUIZ}:10: 'text' is at most 500 characters (has 501)",
    ),
    (
        QUIZ,
        "correct: true",
        'correct: "yes"',
        f"{QUIZ}:11: 'correct' must be true or false",
    ),
    (
        QUIZ,
        "lesson: compressions",
        "lesson: compressions\n    image: images/%2e%2e/secret.svg\n    image_alt: x",
        f"{QUIZ}:8: image 'images/%2e%2e/secret.svg': image paths may not contain",
    ),
    (
        BUNDLES,
        "courses: [bls, acls]",
        "courses: bls",
        f"{BUNDLES}:5: 'courses' must be a list of slugs",
    ),
    (
        BUNDLES,
        "slug: bls-acls",
        "slug: BLS and ACLS",
        f"{BUNDLES}:2: 'slug' must be a slug",
    ),
    (
        BUNDLES,
        "courses: [bls, acls]",
        'courses: [bls, acls]\n    published: "true"',
        f"{BUNDLES}:6: 'published' must be true or false",
    ),
]


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    BAD_VALUES,
    ids=[
        f"{n:02d}-{case[3].rsplit('/', 1)[-1][:50]}"
        for n, case in enumerate(BAD_VALUES)
    ],
)
def test_bad_value_is_a_file_line_error_and_changes_nothing(
    tree, rel, old, new, expected
):
    content_sync(root=tree)
    before = full_snapshot()
    replace_line(tree, rel, old, new)
    with pytest.raises(CommandError) as error:
        call_command("sync_content", str(tree))
    assert expected in str(error.value)
    assert "database is unchanged" in str(error.value)
    assert full_snapshot() == before


def test_quoted_false_does_not_publish_and_true_false_still_work(tree):
    replace_line(tree, LESSON, "minutes: 15", "minutes: 15\npublished: false")
    content_sync(root=tree)
    assert not Lesson.objects.get(slug="compressions").is_published
    replace_line(tree, LESSON, "published: false", 'published: "false"')
    with pytest.raises(ContentError, match="'published' must be true or false"):
        content_sync(root=tree)
    assert not Lesson.objects.get(slug="compressions").is_published


def test_content_accepts_exactly_the_professions_a_learner_can_choose(tree):
    # One list of professions (accounts.Profession): a course may be recommended for
    # any profession of the profile form, and the error for a stray value lists them.
    every = list(Profession.values)
    replace_line(tree, COURSE, "recommended_for: [nurse]", f"recommended_for: {every}")
    content_sync(root=tree)
    assert Course.objects.get(slug="bls").recommended_for == every
    replace_line(tree, COURSE, f"recommended_for: {every}", "recommended_for: [nurses]")
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert f"(known: {', '.join(sorted(every))})" in str(error.value)


def test_a_course_code_that_yaml_1_1_reads_as_a_boolean_stays_text(tree):
    replace_line(tree, "acls/course.md", "code: ACLS", "code: NO")
    content_sync(root=tree)
    assert Course.objects.get(slug="acls").code == "NO"


# --- rows a sync retired come back as updates, not as admin edits ---------------------


def test_retired_lesson_restored_by_the_files_is_an_update_not_an_admin_edit(tree):
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="compressions")
    enrollment = EnrollmentFactory(course=lesson.course)
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=lesson, completed_at=enrollment.enrolled_at
    )
    saved = (tree / LESSON).read_text()
    (tree / LESSON).unlink()
    write(tree, "bls/01-cpr/02-other.md", "---\ntitle: Other\nminutes: 5\n---\nHi.\n")
    replace_line(tree, QUIZ, "lesson: compressions", "lesson: other")
    replace_line(tree, QUIZ, "lesson: compressions", "lesson: other")
    replace_line(tree, "bls/final-exam.yaml", "lesson: compressions", "lesson: other")
    report = content_sync(root=tree)
    assert report.counts["lessons"]["unpublished"] == 1
    lesson.refresh_from_db()
    assert not lesson.is_published and not lesson.edited_since_sync

    (tree / LESSON).write_text(saved)
    report = content_sync(root=tree)

    assert report.counts["lessons"]["updated"] == 1
    lesson.refresh_from_db()
    assert lesson.is_published and not lesson.edited_since_sync


def test_retired_question_restored_by_the_files_is_an_update_not_an_admin_edit(tree):
    from exams.services import exam_attempt_start
    from tests.exams.conftest import complete_lessons

    content_sync(root=tree)
    enrollment = EnrollmentFactory(course=Course.objects.get(slug="bls"))
    complete_lessons(enrollment)
    exam_attempt_start(user=enrollment.user, exam=Exam.objects.get(module__slug="cpr"))
    full_quiz = (tree / QUIZ).read_text()
    write(
        tree,
        QUIZ,
        "title: CPR quiz\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-q1"),
    )
    content_sync(root=tree)
    retired = Question.objects.get(key="bls-q2")
    assert not retired.is_active and not retired.edited_since_sync

    (tree / QUIZ).write_text(full_quiz)
    report = content_sync(root=tree)

    assert report.counts["questions"]["updated"] == 1
    retired.refresh_from_db()
    assert retired.is_active and not retired.edited_since_sync


def test_a_lesson_edited_in_the_admin_and_then_retired_stays_marked_edited(tree):
    content_sync(root=tree)
    lesson = Lesson.objects.get(slug="compressions")
    enrollment = EnrollmentFactory(course=lesson.course)
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=lesson, completed_at=enrollment.enrolled_at
    )
    lesson.body_md = "Edited in the admin."
    lesson.save()
    (tree / LESSON).unlink()
    write(tree, "bls/01-cpr/02-other.md", "---\ntitle: Other\nminutes: 5\n---\nHi.\n")
    for rel in (QUIZ, QUIZ, "bls/final-exam.yaml"):
        replace_line(tree, rel, "lesson: compressions", "lesson: other")
    content_sync(root=tree)
    lesson.refresh_from_db()
    assert not lesson.is_published
    assert lesson.edited_since_sync


# --- content_sync is all or nothing ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_conflict_found_after_earlier_writes_leaves_every_row_as_it_was(tree):
    content_sync(root=tree)
    # The admin edits a lesson of the course synced last...
    lesson = Lesson.objects.get(slug="compressions")
    lesson.body_md = "Edited in the admin."
    lesson.save()
    # ...while the files change a course synced earlier, and that lesson.
    replace_line(tree, "acls/course.md", "title: ACLS", "title: ACLS, revised")
    replace_line(tree, "acls/01-basics/01-intro.md", "Hello.", "Hello again.")
    replace_line(tree, LESSON, "## Push", "## Push harder")
    before = full_snapshot()

    with pytest.raises(CommandError, match="edited in the admin since the last sync"):
        call_command("sync_content", str(tree))

    assert full_snapshot() == before
    assert Course.objects.get(slug="acls").title == "ACLS"


@pytest.mark.django_db(transaction=True)
def test_database_error_midway_leaves_every_row_as_it_was(tree):
    from tests.factories import CourseFactory

    # A course created in the admin (never synced) already holds the code the files
    # give bls, which is applied after acls: the database refuses the second course.
    CourseFactory(slug="bls-legacy", code="BLS", title="Legacy BLS")
    before = full_snapshot()

    with pytest.raises(CommandError) as error:
        call_command("sync_content", str(tree))

    message = str(error.value)
    assert "\ncontent/bls/course.md:1: the database refused this content" in message
    assert "database is unchanged" in message
    assert full_snapshot() == before
    assert not Course.objects.filter(slug="acls").exists()
