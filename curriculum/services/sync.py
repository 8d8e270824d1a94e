"""Applying a validated content tree to the database in one transaction."""

from __future__ import annotations

import mimetypes
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils import timezone

from cases.models import Case, CaseAttempt, CaseRules
from courses.images import IMAGE_TYPES
from courses.markdown import render_markdown
from courses.models import (
    Bundle,
    BundleCourse,
    Course,
    CourseImage,
    Enrollment,
    InfoPage,
    Lesson,
    LessonProgress,
    Module,
    SyncedContent,
)
from courses.outline import content_version_bump
from courses.services import (
    course_prerequisites_set,
    courses_publish,
    curriculum_row_save,
    lessons_publish,
)
from exams.models import Attempt, AttemptQuestion, Choice, Exam, Question
from exams.services.bank import bank_row_save, exams_activate, questions_activate
from organizations.models import SkillItem

from ..models import SyncState
from ..reader import ContentError, CourseFile, Problem, Tree, read_content
from .fingerprint import database_digest, files_digest


@dataclass
class SyncReport:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    warnings: list[Problem] = field(default_factory=list)
    # Exams short of their target draw or without a blueprint (Tree.notices).
    notices: list[Problem] = field(default_factory=list)
    # True when the files and the database were as the last sync left them, so the
    # tree was not read (fingerprint.py); warnings and notices are that sync's.
    skipped: bool = False

    def add(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1

    @property
    def changed(self) -> bool:
        return any(
            n
            for counter in self.counts.values()
            for outcome, n in counter.items()
            if outcome != "unchanged"
        )

    def lines(self) -> list[str]:
        order = (
            "created",
            "updated",
            "removed",
            "deactivated",
            "unpublished",
            "unchanged",
        )
        return [
            f"{kind}: " + ", ".join(f"{counter[o]} {o}" for o in order if counter[o])
            for kind, counter in self.counts.items()
        ]


class _Applier:
    def __init__(self, tree: Tree, force: bool):
        self.tree, self.force = tree, force
        self.report = SyncReport(warnings=tree.warnings, notices=tree.notices)
        self.conflicts: list[Problem] = []
        # The file being applied, named when the database refuses a write.
        self.current: Path = tree.root
        # Each table's rows, read once per sync (one query per table, not per row).
        self.rows: dict[type, dict[tuple, Any]] = {}

    def upsert(
        self,
        kind: str,
        model: type[SyncedContent],
        lookup: dict,
        values: dict,
        path: Path,
    ) -> Any:
        """Creates or updates one row; returns it. Admin edits are conflicts."""
        row = self.existing(model, lookup)
        fields = {f.name for f in model._meta.concrete_fields} | {
            f.attname for f in model._meta.concrete_fields
        }
        # Fingerprint-only values (prerequisite slugs, choices) are not model fields.
        assignable = {k: v for k, v in values.items() if k in fields}
        plain = {k: v for k, v in assignable.items() if k not in model.CONTENT_FIELDS}
        new_fp = model.fingerprint({k: values.get(k) for k in model.CONTENT_FIELDS})
        if row is None:
            row = model(**lookup, **assignable, synced_hash=new_fp)
            self._save(kind, row, lookup, path)
            self.report.add(kind, "created")
            return row
        current = row.content_fingerprint()
        # Foreign keys compared by id: no query for the row they point to.
        relations = {f.name: f.attname for f in model._meta.concrete_fields}
        if current == new_fp and all(
            getattr(row, relations.get(k, k)) == _pk(v) for k, v in plain.items()
        ):
            if row.synced_hash != new_fp:
                row.synced_hash = new_fp
                row.save(update_fields=["synced_hash"])
            self.report.add(kind, "unchanged")
            return row
        if row.synced_hash and current != row.synced_hash and not self.force:
            self.conflicts.append(
                Problem(
                    path,
                    1,
                    f"{kind} '{lookup}' was edited in the admin since the last "
                    "sync; use --force to overwrite, or export_content first",
                )
            )
            return row
        for key, value in assignable.items():
            setattr(row, key, value)
        row.synced_hash = new_fp
        self._save(kind, row, lookup, path)
        self.report.add(kind, "updated")
        return row

    def existing(self, model: type[SyncedContent], lookup: dict) -> Any:
        """The row `lookup` names, from the table read whole on first use (questions
        with their choices): what `filter(**lookup).first()` gave, without a query
        per row. A row deleted earlier in this sync is gone."""
        names = sorted(lookup)
        fields = [model._meta.get_field(name) for name in names]
        rows = self.rows.get(model)
        if rows is None:
            queryset = model.objects.order_by("pk")
            if model is Question:
                queryset = queryset.prefetch_related("choices")
            rows = self.rows[model] = {}
            for row in queryset:
                key = tuple(getattr(row, f.attname) for f in fields)
                rows.setdefault(key, row)
        key = tuple(
            _pk(lookup[name]) if field.is_relation else lookup[name]
            for name, field in zip(names, fields, strict=True)
        )
        row = rows.get(key)
        return row if row is not None and row.pk is not None else None

    def _save(self, kind: str, row, lookup: dict, path: Path) -> None:
        """Saves after the model's own field checks (lengths, validators, choices):
        the reader checks every value first, this is the last word before the
        database."""
        self.current = path
        try:
            row.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            name = ", ".join(f"{k}={_label(v)}" for k, v in lookup.items())
            raise ContentError(
                [
                    Problem(path, 1, f"{kind} ({name}): {field}: {' '.join(msgs)}")
                    for field, msgs in error.message_dict.items()
                ]
            ) from None
        _store(row)

    def apply(self) -> SyncReport:
        course_rows: dict[str, Course] = {}
        for cf in self.tree.courses:
            meta = cf.meta  # checked and typed by the reader
            values = {
                "title": meta["title"],
                "code": meta["code"],
                "summary": meta["summary"],
                "audience": meta["audience"],
                "recommended_for": list(meta["recommended_for"]),
                "hours": Decimal(meta["hours"]),
                "validity_months": meta["validity_months"],
                "order": meta["order"],
                "guidelines": meta["guidelines"],
                "accreditation": meta["accreditation"],
                "is_published": meta["published"],
                "description_md": cf.body,
                "prerequisite_slugs": sorted(meta["prerequisites"]),
            }
            course_rows[cf.slug] = self.upsert(
                "courses", Course, {"slug": cf.slug}, values, cf.path
            )
        for cf in self.tree.courses:
            self.current = cf.path
            course = course_rows[cf.slug]
            course_prerequisites_set(
                course=course,
                prerequisites=[course_rows[s] for s in cf.meta["prerequisites"]],
                actor=None,
            )
            self.sync_images(cf, course)
            self.rerender_description(cf, course)
            lessons = self.sync_modules(cf, course)
            self.sync_exams(cf, course, lessons)
            self.sync_skills(cf, course)
            self.sync_cases(cf, course)
        self.sync_bundles(course_rows)
        self.sync_pages()
        self.remove_missing(course_rows)
        if self.conflicts:
            raise ContentError(self.conflicts)
        return self.report

    def rerender_description(self, cf: CourseFile, course: Course) -> None:
        """The description was rendered when the course row was saved, before its
        images existed on a first sync: render it again against the stored images."""
        html = render_markdown(course.description_md, course_slug=course.slug).html
        if html != course.description_html:
            course.description_html = html
            Course.objects.filter(pk=course.pk).update(description_html=html)

    def sync_images(self, cf: CourseFile, course: Course) -> None:
        for path, data in cf.images.items():
            suffix = Path(path).suffix.lower()
            self.upsert(
                "images",
                CourseImage,
                {"course": course, "path": path},
                {
                    "sha256": sha256(data).hexdigest(),
                    "data": data,
                    "content_type": IMAGE_TYPES.get(suffix)
                    or mimetypes.guess_type(path)[0],
                },
                cf.path.parent / path,
            )
        stale = CourseImage.objects.filter(course=course).exclude(
            path__in=list(cf.images)
        )
        self._remove("images", stale)

    def sync_modules(self, cf: CourseFile, course: Course) -> dict[str, Lesson]:
        lessons: dict[str, Lesson] = {}
        for mf in cf.modules:
            module = self.upsert(
                "modules",
                Module,
                {"course": course, "slug": mf.slug},
                {
                    "title": mf.meta["title"],
                    "order": mf.order,
                    "summary_md": mf.body,
                },
                mf.path,
            )
            for lf in mf.lessons:
                lessons[lf.slug] = self.upsert(
                    "lessons",
                    Lesson,
                    {"course": course, "slug": lf.slug},
                    {
                        "module": module,
                        "module_id": module.pk,
                        "title": lf.meta["title"],
                        "minutes": lf.meta["minutes"],
                        "order": lf.order,
                        "is_published": lf.meta["published"],
                        "body_md": lf.body,
                    },
                    lf.path,
                )
        # Lessons that left the files: deleted, or unpublished where learners have
        # progress in them (their records are kept).
        # Learner records are looked up only for the rows that disappear, and
        # without the learner tables' default ordering (which would sort them all).
        stale_lessons = list(
            Lesson.objects.filter(course=course, synced_hash__gt="").exclude(
                slug__in=list(lessons)
            )
        )
        studied = _referenced(LessonProgress, "lesson_id", stale_lessons)
        for lesson in stale_lessons:
            self._retire("lessons", lesson, "is_published", keep=lesson.pk in studied)
        # A module that left the files goes once nothing of learners' refers to it: its
        # kept lessons are unpublished above and its exam is retired by sync_exams.
        stale_modules = list(
            Module.objects.filter(course=course, synced_hash__gt="")
            .exclude(slug__in=[m.slug for m in cf.modules])
            .exclude(lessons__isnull=False)
        )
        if stale_modules:
            examined = _referenced(Attempt, "exam__module_id", stale_modules)
            self._remove(
                "modules",
                Module.objects.filter(
                    pk__in=[m.pk for m in stale_modules if m.pk not in examined]
                ),
            )
        return lessons

    def sync_exams(
        self, cf: CourseFile, course: Course, lessons: dict[str, Lesson]
    ) -> None:
        banks = [(mf, mf.quiz) for mf in cf.modules if mf.quiz]
        if cf.final:
            banks.append((None, cf.final))
        kept_keys, kept_exams = [], []
        for mf, bank in banks:
            meta = bank.meta
            module = Module.objects.get(course=course, slug=mf.slug) if mf else None
            exam = self.upsert(
                "exams",
                Exam,
                {
                    "course": course,
                    "module": module,
                    "kind": Exam.Kind.MODULE if module else Exam.Kind.FINAL,
                },
                {
                    "title": meta["title"],
                    "pass_mark": meta["pass_mark"],
                    # Both set by the reader (check_blueprint): with a blueprint,
                    # the draw size is its total.
                    "draw_size": meta["draw_size"],
                    "blueprint": meta["blueprint"],
                    "time_limit_minutes": meta["time_limit_minutes"],
                    "shuffle": meta["shuffle"],
                    "cooldown_minutes": meta["cooldowns"],
                    "is_active": True,
                },
                bank.path,
            )
            kept_exams.append(exam.pk)
            for order, q in enumerate(bank.meta["questions"]):
                choices = [[c["text"].strip(), c["correct"]] for c in q["choices"]]
                question = self.upsert(
                    "questions",
                    Question,
                    {"key": q["id"]},
                    {
                        "exam": exam,
                        "text_md": q["text"],
                        "image": q["image"],
                        "image_alt": q["image_alt"],
                        "explanation_md": q["explanation"],
                        "topic": q["topic"],
                        "review_lesson": lessons.get(q["lesson"]),
                        "review_lesson_id": lessons[q["lesson"]].pk
                        if q["lesson"] in lessons
                        else None,
                        "is_active": True,
                        "order": order,
                        "choice_signature": choices,
                        "key_point": q["key_point"],
                        "vignette": q["vignette"],
                        "enemies": q["enemies"],
                    },
                    bank.path,
                )
                kept_keys.append(q["id"])
                if question.choice_signature != choices:
                    # Attempts keep their own snapshot of choices, so replacing is safe.
                    question.choices.all().delete()
                    getattr(question, "_prefetched_objects_cache", {}).pop(
                        "choices", None
                    )
                    Choice.objects.bulk_create(
                        Choice(
                            question=question, text=text, is_correct=correct, order=i
                        )
                        for i, (text, correct) in enumerate(choices)
                    )
        stale = list(
            Question.objects.filter(exam__course=course, synced_hash__gt="").exclude(
                key__in=kept_keys
            )
        )
        used = _referenced(AttemptQuestion, "question_id", stale)
        for question in stale:
            self._retire("questions", question, "is_active", keep=question.pk in used)
        # An exam whose bank left the files: deleted, or retired (no longer required or
        # offered) when learners have taken it.
        stale_exams = list(
            Exam.objects.filter(course=course, synced_hash__gt="").exclude(
                pk__in=kept_exams
            )
        )
        taken = _referenced(Attempt, "exam_id", stale_exams)
        for exam in stale_exams:
            self._retire("exams", exam, "is_active", keep=exam.pk in taken)

    def sync_skills(self, cf: CourseFile, course: Course) -> None:
        """The course's skills checklist: items created, updated, and removed when
        they leave the file (a recorded skills check keeps its own copy of the
        items, so nothing refers to these rows)."""
        items = cf.skills.items if cf.skills else []
        for order, item in enumerate(items):
            self.upsert(
                "skill items",
                SkillItem,
                {"course": course, "key": item["id"]},
                {
                    "title": item["title"],
                    "criterion": item["criterion"],
                    "lesson_slug": item["lesson"],
                    "order": order,
                    "is_active": True,
                },
                cf.skills.path,
            )
        self._remove(
            "skill items",
            SkillItem.objects.filter(course=course, synced_hash__gt="").exclude(
                key__in=[item["id"] for item in items]
            ),
        )

    def sync_cases(self, cf: CourseFile, course: Course) -> None:
        """The course's case simulations (`cases/<slug>.yaml`, matched by slug) and
        its `cases/rules.yaml`. A case that left the files is deleted, or
        deactivated when learners played it (its attempts are evidence)."""
        if cf.case_rules is not None:
            self.upsert(
                "case rules",
                CaseRules,
                {"course": course},
                {"lessons": cf.case_rules.lessons},
                cf.case_rules.path,
            )
        else:
            self._remove(
                "case rules",
                CaseRules.objects.filter(course=course, synced_hash__gt=""),
            )
        required = set(cf.meta["cases"])
        for case_file in cf.cases:
            data = case_file.definition  # validated by the engine (reader)
            self.upsert(
                "cases",
                Case,
                {"course": course, "slug": case_file.slug},
                {
                    "title": data["title"],
                    "order": data.get("order", 0),
                    "toolkit": data["toolkit"],
                    "summary": data.get("summary", ""),
                    "patient": data.get("patient", ""),
                    "algorithm": data.get("algorithm", ""),
                    "is_required": case_file.slug in required,
                    "is_active": True,
                    "definition": data,
                },
                case_file.path,
            )
        stale = list(
            Case.objects.filter(course=course, synced_hash__gt="").exclude(
                slug__in=[case_file.slug for case_file in cf.cases]
            )
        )
        played = _referenced(CaseAttempt, "case_id", stale)
        for case in stale:
            self._retire("cases", case, "is_active", keep=case.pk in played)

    def sync_bundles(self, course_rows: dict[str, Course]) -> None:
        for order, data in enumerate(self.tree.bundles):
            bundle = self.upsert(
                "bundles",
                Bundle,
                {"slug": data["slug"]},
                {
                    "title": data["title"],
                    "summary": data["summary"],
                    "order": order,
                    "is_published": data["published"],
                },
                self.tree.root / "bundles.yaml",
            )
            wanted = [course_rows[s].pk for s in data["courses"]]
            if list(bundle.items.values_list("course_id", flat=True)) != wanted:
                bundle.items.all().delete()
                BundleCourse.objects.bulk_create(
                    BundleCourse(bundle=bundle, course_id=pk, order=i)
                    for i, pk in enumerate(wanted)
                )

    def sync_pages(self) -> None:
        """Information pages: created, updated, and removed when their file goes
        (no learner record refers to a page)."""
        for page in self.tree.pages:
            self.upsert(
                "pages",
                InfoPage,
                {"slug": page.slug},
                {
                    "title": page.meta["title"],
                    "summary": page.meta["summary"],
                    "order": page.meta["order"],
                    "is_published": page.meta["published"],
                    "body_md": page.body,
                },
                page.path,
            )
        self._remove(
            "pages",
            InfoPage.objects.filter(synced_hash__gt="").exclude(
                slug__in=[p.slug for p in self.tree.pages]
            ),
        )

    def remove_missing(self, course_rows: dict[str, Course]) -> None:
        # A course with enrollments is history: unpublished, never deleted.
        stale = list(
            Course.objects.filter(synced_hash__gt="").exclude(
                slug__in=list(course_rows)
            )
        )
        enrolled = _referenced(Enrollment, "course_id", stale)
        for course in stale:
            self._retire("courses", course, "is_published", keep=course.pk in enrolled)

    def _retire(self, kind: str, row, flag: str, *, keep: bool) -> None:
        """Deletes a row that left the files, or only switches `flag` off when learner
        records refer to it (evidence is kept).

        Switching the flag off is the sync's own write, so the fingerprint follows it
        (unless an admin had already edited the row): when the files bring the row
        back, it is an update, not an "edited in the admin" conflict."""
        if not keep:
            row.delete()
            self.report.add(kind, "removed")
        elif getattr(row, flag):
            was_in_sync = row.synced_hash == row.content_fingerprint()
            _RETIRE[type(row)](row)
            setattr(row, flag, False)
            if was_in_sync:
                row.synced_hash = row.content_fingerprint()
                type(row).objects.filter(pk=row.pk).update(synced_hash=row.synced_hash)
            self.report.add(
                kind, "deactivated" if flag == "is_active" else "unpublished"
            )

    def _remove(self, kind: str, queryset) -> None:
        count = queryset.count()
        if count:
            queryset.delete()
            self.report.counts[kind]["removed"] += count


# The sync publishes, retires and re-activates rows through the services the admin
# uses, so each change of what learners are taught and examined on is recorded in the
# audit trail like the admin's: the system decides (actor None), through the
# interface the process was entered by ("command" under manage.py), inside the sync's
# transaction (a sync that fails records nothing).


def _store(row) -> None:
    """Saves a created or updated row; records it when that publishes it, takes it
    back to draft, or takes it in or out of use (a new row that is published or
    active counts)."""
    if isinstance(row, Exam | Question):
        bank_row_save(row=row, actor=None)
    elif isinstance(row, Course | Lesson | Bundle):
        curriculum_row_save(row=row, actor=None)
    else:
        row.save()


_RETIRE = {
    Course: lambda row: courses_publish(courses=[row], actor=None, published=False),
    Lesson: lambda row: lessons_publish(lessons=[row], actor=None, published=False),
    Exam: lambda row: exams_activate(exams=[row], actor=None, active=False),
    Question: lambda row: questions_activate(questions=[row], actor=None, active=False),
    # A played case that left the files: no longer offered or required.
    Case: lambda row: Case.objects.filter(pk=row.pk).update(is_active=False),
}


def _referenced(model: type[Model], column: str, rows: list) -> set[int]:
    """The ids among `rows` that `model`'s `column` refers to (learner records that
    keep a retired row): no query when no row disappears, and no ordering, so the
    database reads only the matching index entries of a large learner table."""
    if not rows:
        return set()
    return set(
        model.objects.filter(**{f"{column}__in": [row.pk for row in rows]})
        .order_by()
        .values_list(column, flat=True)
        .distinct()
    )


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def _shown(path: Path, root: Path) -> Path:
    """`path` as the reader names files: from the content folder's name on."""
    try:
        return path.relative_to(root.parent)
    except ValueError:
        return path


def _label(value: Any) -> str:
    return str(getattr(value, "slug", None) or value)


def content_sync(*, root: Path, force: bool = False) -> SyncReport:
    """Validates the tree at `root` and loads it, all or nothing.

    Raises ContentError (file:line problems) and changes nothing when the tree is
    invalid or would overwrite admin edits without `force`.

    Returns at once, reading no file twice and writing nothing, when the files (and
    the code that reads them) and the curriculum rows are exactly as the last
    successful sync left them (`SyncState`, fingerprint.py); `force` always reads
    and compares everything.
    """
    files = files_digest(root)
    if not force and files is not None:
        state = SyncState.objects.filter(key=_STATE_KEY).first()
        if (
            state is not None
            and state.files_digest == files
            and state.database_digest == database_digest()
        ):
            return _skipped(state)
    tree = read_content(root)
    applier = _Applier(tree, force)
    with transaction.atomic():
        try:
            report = applier.apply()
            if report.changed:
                _content_changed(report)
            _remember(files, report)
        except DatabaseError as error:
            # Raised inside the atomic block: every write of this sync is rolled back.
            raise ContentError(
                [
                    Problem(
                        _shown(applier.current, tree.root),
                        1,
                        f"the database refused this content ({type(error).__name__}: "
                        f"{str(error).strip().splitlines()[0]}); nothing was changed",
                    )
                ]
            ) from error
    return report


def _content_changed(report: SyncReport) -> None:
    """Runs once, inside the sync's transaction, after a sync that changed rows:
    the one place for what must follow a content change (issue 19: bumping the
    content version that learner pages' cached outlines are keyed by)."""
    # Bulk writes send no signal: every process's outline is out of date.
    content_version_bump()


_STATE_KEY = "content"


def _remember(files: str | None, report: SyncReport) -> None:
    """Records the digests of what this sync read and left (in its transaction: a
    sync that fails records nothing). Without a files digest (the tree holds
    something the reader refuses) the next sync reads again."""
    if files is None:
        SyncState.objects.filter(key=_STATE_KEY).delete()
        return
    SyncState.objects.update_or_create(
        key=_STATE_KEY,
        defaults={
            "files_digest": files,
            "database_digest": database_digest(),
            "problems": {
                "warnings": [_problem_row(p) for p in report.warnings],
                "notices": [_problem_row(p) for p in report.notices],
            },
            "synced_at": timezone.now(),
        },
    )


def _problem_row(problem: Problem) -> list:
    return [str(problem.path), problem.line, problem.message]


def _skipped(state: SyncState) -> SyncReport:
    def problems(kind: str) -> list[Problem]:
        return [Problem(Path(p), n, m) for p, n, m in state.problems.get(kind, [])]

    return SyncReport(
        warnings=problems("warnings"), notices=problems("notices"), skipped=True
    )
