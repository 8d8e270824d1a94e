"""Writing the database back to files in the content layout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cases.files import case_yaml
from cases.models import CaseRules
from courses.images import image_path_problem
from courses.models import Bundle, Course, InfoPage
from exams.models import DEFAULT_COOLDOWN_MINUTES, Exam
from organizations.models import SkillItem


def _front_matter(meta: dict, body: str) -> str:
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{head}---\n{body.rstrip()}\n"


def _bank(exam) -> dict:
    data: dict[str, Any] = {"title": exam.title, "pass_mark": exam.pass_mark}
    if exam.draw_size:
        data["draw"] = exam.draw_size
    if exam.time_limit_minutes:
        data["time_limit_minutes"] = exam.time_limit_minutes
    if not exam.shuffle:
        data["shuffle"] = False
    if exam.blueprint_quotas:
        # Module or topic names: the reader tells them apart (check_blueprint).
        data["blueprint"] = exam.blueprint_quotas
    if exam.cooldown_minutes != list(DEFAULT_COOLDOWN_MINUTES):
        data["cooldowns"] = list(exam.cooldown_minutes)
    questions = []
    rows = list(exam.questions.filter(is_active=True).select_related("review_lesson"))
    # Enemies as listed, less any that left the bank (deactivated, moved or deleted
    # in the admin): the reader refuses an id the bank does not hold.
    exported = {q.key for q in rows}
    for q in rows:
        item: dict[str, Any] = {"id": q.key, "topic": q.topic}
        if q.review_lesson:
            item["lesson"] = q.review_lesson.slug
        item["text"] = q.text_md
        if q.image:
            item.update(image=q.image, image_alt=q.image_alt)
        item["choices"] = [
            {"text": c.text, "correct": True} if c.is_correct else {"text": c.text}
            for c in q.choices.all()
        ]
        item["explanation"] = q.explanation_md
        if q.key_point is not None:
            item["key_point"] = q.key_point
        if q.vignette:
            item["vignette"] = True
        enemies = [key for key in q.enemies if key in exported and key != q.key]
        if enemies:
            item["enemies"] = enemies
        questions.append(item)
    data["questions"] = questions
    return data


def _skills(course) -> dict:
    """The course's active skills items as skills.yaml holds them ({} for none)."""
    items = []
    for item in SkillItem.objects.filter(course=course, is_active=True).order_by(
        "order", "id"
    ):
        entry = {"id": item.key, "title": item.title, "criterion": item.criterion}
        if item.lesson_slug:
            entry["lesson"] = item.lesson_slug
        items.append(entry)
    return {"items": items} if items else {}


class ExportRefused(Exception):
    """A file would land outside the export folder; nothing was written."""


def _target(root: Path, path: Path) -> Path:
    """`path` checked to stay inside `root` (already resolved): no absolute or `..`
    part, no symbolic link on the way, and resolving inside `root`."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise ExportRefused(f"{path} is outside the export folder {root}") from None
    if any(part in ("", ".", "..") for part in rel.parts) or not rel.parts:
        raise ExportRefused(f"{path} has a '..' part; refused")
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            raise ExportRefused(
                f"{here} is a symbolic link; export writes only real folders inside "
                f"{root}"
            )
    if not path.resolve().is_relative_to(root):
        raise ExportRefused(f"{path} resolves outside the export folder {root}")
    return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: a link placed at the file itself after the check is not followed.
    fd = os.open(
        path,
        os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o644,
    )
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)


def content_export(*, root: Path) -> int:
    """Writes every course in the database to `root` in the content layout.

    Returns the number of files written. Existing files under `root` are overwritten.
    Every target is checked first (image paths valid, no `..`, absolute part or
    symbolic link, resolving inside `root`); raises ExportRefused and writes nothing
    when any is not.
    """
    root = Path(os.path.abspath(root))
    if root.exists() or root.is_symlink():
        root = root.resolve()
    files: dict[Path, bytes] = {}

    def put(path: Path, data: str | bytes) -> None:
        files[path] = data if isinstance(data, bytes) else data.encode("utf-8")

    def dump(data: dict) -> str:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)

    for course in Course.objects.prefetch_related("prerequisites"):
        base = root / course.slug
        meta = {
            "title": course.title,
            "code": course.code,
            "summary": course.summary,
            "audience": course.audience,
            "recommended_for": course.recommended_for,
            "hours": float(course.hours),
            "validity_months": course.validity_months,
            "prerequisites": course.prerequisite_slugs,
            "order": course.order,
            "guidelines": course.guidelines,
            "accreditation": course.accreditation,
            "published": course.is_published,
        }
        required = list(
            course.cases.active()
            .filter(is_required=True)
            .order_by("order", "slug")
            .values_list("slug", flat=True)
        )
        if required:
            meta["cases"] = required
        put(base / "course.md", _front_matter(meta, course.description_md))
        for case in course.cases.active().order_by("order", "slug"):
            put(base / "cases" / f"{case.slug}.yaml", case_yaml(case.definition))
        rules = CaseRules.objects.filter(course=course).first()
        if rules is not None:
            put(base / "cases" / "rules.yaml", dump(dict(rules.lessons)))
        for image in course.images.all():
            problem = image_path_problem(image.path)
            if problem:
                raise ExportRefused(
                    f"image {course.slug}/{image.path!r} has an unsafe path: {problem}"
                )
            put(base / image.path, bytes(image.data))
        for module in course.modules.order_by("order", "id"):
            folder = base / f"{module.order:02d}-{module.slug}"
            put(
                folder / "module.md",
                _front_matter(
                    {"title": module.title, "order": module.order}, module.summary_md
                ),
            )
            for lesson in module.lessons.order_by("order", "id"):
                lesson_meta = {"title": lesson.title, "minutes": lesson.minutes}
                if not lesson.is_published:
                    lesson_meta["published"] = False
                put(
                    folder / f"{lesson.order:02d}-{lesson.slug}.md",
                    _front_matter(lesson_meta, lesson.body_md),
                )
            exam = Exam.objects.filter(module=module).first()
            if exam:
                put(folder / "quiz.yaml", dump(_bank(exam)))
        final = Exam.objects.filter(course=course, kind=Exam.Kind.FINAL).first()
        if final:
            put(base / "final-exam.yaml", dump(_bank(final)))
        skills = _skills(course)
        if skills:
            put(base / "skills.yaml", dump(skills))
    bundles = [
        {
            "slug": b.slug,
            "title": b.title,
            "summary": b.summary,
            "courses": [item.course.slug for item in b.items.select_related("course")],
            "published": b.is_published,
        }
        for b in Bundle.objects.all()
    ]
    if bundles:
        put(root / "bundles.yaml", dump({"bundles": bundles}))
    for page in InfoPage.objects.all():
        page_meta = {"title": page.title, "summary": page.summary, "order": page.order}
        if not page.is_published:
            page_meta["published"] = False
        put(root / "pages" / f"{page.slug}.md", _front_matter(page_meta, page.body_md))
    targets = {_target(root, path): data for path, data in files.items()}
    for path, data in targets.items():
        _write(path, data)
    return len(targets)
