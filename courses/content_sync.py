"""Loading the curriculum from `content/` into the database, and writing it back.

`content_sync` reads and validates the whole tree first (every problem reported with its
file and line), then applies it in one transaction: any error leaves the database as it
was. Rows are matched by their stable content identity (course slug, module and lesson
slug, image path, question id), so ids, and with them learners' progress and attempts,
survive edits. A row an admin edited since the last sync is not overwritten unless
`force=True`. Rows an admin created (never synced) are left alone.
"""

from __future__ import annotations

import mimetypes
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from .markdown import image_paths
from .models import (
    Bundle,
    BundleCourse,
    Course,
    CourseImage,
    Lesson,
    Module,
    SyncedContent,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBERED_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
PROFESSIONS = {
    "nurse",
    "physician",
    "paramedic",
    "advanced_practice",
    "medical_assistant",
    "dental",
    "educator",
    "other",
}


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The tree is invalid or conflicts with admin edits; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- Reading -----------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records each mapping's line as `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


@dataclass
class LessonFile:
    slug: str
    order: int
    meta: dict
    body: str
    path: Path
    body_line: int


@dataclass
class BankFile:
    meta: dict
    path: Path


@dataclass
class ModuleFile:
    slug: str
    order: int
    meta: dict
    body: str
    path: Path
    lessons: list[LessonFile] = field(default_factory=list)
    quiz: BankFile | None = None


@dataclass
class CourseFile:
    slug: str
    meta: dict
    body: str
    path: Path
    modules: list[ModuleFile] = field(default_factory=list)
    final: BankFile | None = None
    images: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Tree:
    root: Path
    courses: list[CourseFile] = field(default_factory=list)
    bundles: list[dict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self._rel(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.warnings.append(Problem(self._rel(path), line, message))

    def _rel(self, path: Path) -> Path:
        try:
            return path.relative_to(self.root.parent)
        except ValueError:
            return path

    def yaml_file(self, path: Path) -> Any:
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
        except yaml.MarkedYAMLError as exc:
            # The context (e.g. where an unclosed list began) points nearer the mistake.
            mark = exc.context_mark or exc.problem_mark
            self.error(
                path, (mark.line + 1) if mark else 1, f"invalid YAML: {exc.problem}"
            )
        except (OSError, UnicodeDecodeError) as exc:
            self.error(path, 1, f"cannot read: {exc}")
        return None

    def markdown_file(
        self, path: Path, required: tuple[str, ...]
    ) -> tuple[dict, str, int] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.error(path, 1, f"cannot read: {exc}")
            return None
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            self.error(path, 1, "missing front matter (the file must start with ---)")
            return None
        try:
            end = next(
                i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"
            )
        except StopIteration:
            self.error(path, 1, "front matter is not closed with ---")
            return None
        try:
            meta = yaml.load("\n".join(lines[1:end]), Loader=_LineLoader) or {}  # noqa: S506
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            self.error(
                path,
                (mark.line + 2) if mark else 1,
                f"invalid front matter: {exc.problem}",
            )
            return None
        if not isinstance(meta, dict):
            self.error(path, 2, "front matter must be a mapping of keys to values")
            return None
        for key in required:
            if meta.get(key) in (None, ""):
                self.error(path, 2, f"front matter needs '{key}'")
        # Leading blank lines are kept so body line numbers map onto the file.
        return meta, "\n".join(lines[end + 1 :]).rstrip() + "\n", end + 2

    def read(self) -> Tree:
        tree = Tree(root=self.root)
        if not self.root.is_dir():
            self.error(self.root, 1, "content folder not found")
            raise ContentError(self.problems)
        for course_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            course = self.read_course(course_dir)
            if course:
                tree.courses.append(course)
        bundles_path = self.root / "bundles.yaml"
        if bundles_path.exists():
            data = self.yaml_file(bundles_path) or {}
            tree.bundles = data.get("bundles", []) if isinstance(data, dict) else []
        self.validate(tree)
        tree.warnings = self.warnings
        if self.problems:
            raise ContentError(self.problems)
        return tree

    def read_course(self, course_dir: Path) -> CourseFile | None:
        slug = course_dir.name
        course_md = course_dir / "course.md"
        if not SLUG_RE.match(slug):
            self.error(course_dir, 1, "course folder names are slugs (a-z, 0-9, -)")
            return None
        if not course_md.exists():
            self.error(course_md, 1, "missing course.md")
            return None
        parsed = self.markdown_file(
            course_md, ("title", "code", "summary", "hours", "validity_months", "order")
        )
        if not parsed:
            return None
        meta, body, _ = parsed
        course = CourseFile(slug=slug, meta=meta, body=body, path=course_md)
        for entry in sorted(course_dir.iterdir()):
            if entry.is_dir() and entry.name == "images":
                for image in sorted(p for p in entry.rglob("*") if p.is_file()):
                    rel = image.relative_to(course_dir).as_posix()
                    if image.suffix.lower() not in IMAGE_TYPES:
                        self.error(image, 1, "images must be SVG, PNG, JPEG or WebP")
                        continue
                    course.images[rel] = image.read_bytes()
            elif entry.is_dir():
                module = self.read_module(entry)
                if module:
                    course.modules.append(module)
            elif entry.name == "final-exam.yaml":
                course.final = self.read_bank(entry)
        return course

    def read_module(self, module_dir: Path) -> ModuleFile | None:
        match = NUMBERED_RE.match(module_dir.name)
        if not match:
            self.error(
                module_dir, 1, "module folders are named NN-slug, e.g. 02-adult-cpr"
            )
            return None
        module_md = module_dir / "module.md"
        if not module_md.exists():
            self.error(module_md, 1, "missing module.md")
            return None
        parsed = self.markdown_file(module_md, ("title",))
        if not parsed:
            return None
        meta, body, _ = parsed
        module = ModuleFile(
            slug=match.group(2),
            order=int(meta.get("order") or match.group(1)),
            meta=meta,
            body=body,
            path=module_md,
        )
        for entry in sorted(module_dir.iterdir()):
            if entry.name in ("module.md",):
                continue
            if entry.name == "quiz.yaml":
                module.quiz = self.read_bank(entry)
            elif entry.suffix == ".md":
                lesson_match = NUMBERED_RE.match(entry.stem)
                if not lesson_match:
                    self.error(entry, 1, "lesson files are named NN-slug.md")
                    continue
                parsed = self.markdown_file(entry, ("title", "minutes"))
                if parsed:
                    meta, body, body_line = parsed
                    module.lessons.append(
                        LessonFile(
                            slug=lesson_match.group(2),
                            order=int(lesson_match.group(1)),
                            meta=meta,
                            body=body,
                            path=entry,
                            body_line=body_line,
                        )
                    )
        return module

    def read_bank(self, path: Path) -> BankFile | None:
        data = self.yaml_file(path)
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            self.error(path, 1, "a question bank needs a 'questions' list")
            return None
        return BankFile(meta=data, path=path)

    # --- validation of the whole tree ---

    def validate(self, tree: Tree) -> None:
        slugs = {c.slug for c in tree.courses}
        codes = Counter(str(c.meta.get("code")) for c in tree.courses)
        question_ids: dict[str, Path] = {}
        for course in tree.courses:
            meta = course.meta
            if codes[str(meta.get("code"))] > 1:
                self.error(
                    course.path, 2, f"code '{meta.get('code')}' is used by two courses"
                )
            for key in ("hours",):
                try:
                    Decimal(str(meta.get(key)))
                except InvalidOperation:
                    self.error(course.path, 2, f"'{key}' must be a number")
            for prerequisite in meta.get("prerequisites") or []:
                if prerequisite not in slugs:
                    self.error(
                        course.path, 2, f"unknown prerequisite course '{prerequisite}'"
                    )
            unknown = set(meta.get("recommended_for") or []) - PROFESSIONS
            if unknown:
                self.error(
                    course.path, 2, f"unknown professions: {', '.join(sorted(unknown))}"
                )
            self.check_images(course, course.path, course.body, 1)
            lesson_slugs = Counter(
                lesson.slug for module in course.modules for lesson in module.lessons
            )
            for module in course.modules:
                if not module.lessons:
                    self.warn(module.path, 1, "module has no lessons")
                for lesson in module.lessons:
                    if lesson_slugs[lesson.slug] > 1:
                        self.error(
                            lesson.path,
                            1,
                            f"lesson slug '{lesson.slug}' is used twice in this course",
                        )
                    self.check_images(
                        course, lesson.path, lesson.body, lesson.body_line
                    )
                if module.quiz:
                    self.check_bank(
                        course, module.quiz, set(lesson_slugs), question_ids
                    )
            if course.final:
                self.check_bank(course, course.final, set(lesson_slugs), question_ids)
        for bundle in tree.bundles:
            line = bundle.get("__line__", 1)
            path = tree.root / "bundles.yaml"
            for key in ("slug", "title", "summary", "courses"):
                if not bundle.get(key):
                    self.error(path, line, f"bundle needs '{key}'")
            for slug in bundle.get("courses") or []:
                if slug not in slugs:
                    self.error(path, line, f"bundle names unknown course '{slug}'")

    def check_images(
        self, course: CourseFile, path: Path, text: str, first_line: int
    ) -> None:
        for line, src, alt in image_paths(text):
            if src not in course.images:
                self.error(path, first_line + line - 1, f"image '{src}' does not exist")
            if not alt:
                self.error(path, first_line + line - 1, f"image '{src}' needs alt text")

    def check_bank(
        self, course, bank: BankFile, lessons: set[str], seen: dict[str, Path]
    ) -> None:
        meta, path = bank.meta, bank.path
        for key in ("title", "pass_mark"):
            if meta.get(key) in (None, ""):
                self.error(path, 1, f"bank needs '{key}'")
        pass_mark = meta.get("pass_mark")
        if not isinstance(pass_mark, int) or not 1 <= pass_mark <= 100:
            self.error(path, 1, "pass_mark must be a whole percentage from 1 to 100")
        questions = meta["questions"]
        draw = meta.get("draw")
        if draw is not None and (
            not isinstance(draw, int) or not 1 <= draw <= len(questions)
        ):
            self.error(
                path, 1, f"draw must be between 1 and the bank size ({len(questions)})"
            )
        for question in questions:
            if not isinstance(question, dict):
                self.error(path, 1, "each question must be a mapping")
                continue
            line = question.get("__line__", 1)
            qid = str(question.get("id") or "")
            if not SLUG_RE.match(qid):
                self.error(path, line, "question needs an 'id' (a-z, 0-9, -)")
            elif qid in seen:
                self.error(
                    path,
                    line,
                    f"question id '{qid}' is also used in {self._rel(seen[qid])}",
                )
            else:
                seen[qid] = path
            for key in ("text", "topic", "explanation", "lesson"):
                if not str(question.get(key) or "").strip():
                    self.error(path, line, f"question '{qid}' needs '{key}'")
            if question.get("lesson") and question["lesson"] not in lessons:
                self.error(
                    path,
                    line,
                    f"question '{qid}' refers to unknown lesson '{question['lesson']}'",
                )
            if question.get("image"):
                if question["image"] not in course.images:
                    self.error(
                        path, line, f"image '{question['image']}' does not exist"
                    )
                if not str(question.get("image_alt") or "").strip():
                    self.error(path, line, f"question '{qid}' image needs 'image_alt'")
            choices = question.get("choices") or []
            texts = [
                str(c.get("text", "")).strip() for c in choices if isinstance(c, dict)
            ]
            if not 2 <= len(texts) <= 6:
                self.error(path, line, f"question '{qid}' needs 2 to 6 choices")
            if any(not t for t in texts) or len(set(texts)) != len(texts):
                self.error(
                    path, line, f"question '{qid}' has an empty or duplicate choice"
                )
            correct = sum(
                1 for c in choices if isinstance(c, dict) and c.get("correct") is True
            )
            if correct != 1:
                self.error(
                    path,
                    line,
                    f"question '{qid}' needs exactly one correct choice "
                    f"(has {correct})",
                )


def read_content(root: Path) -> Tree:
    """Reads and validates the whole tree; raises ContentError listing problems."""
    return _Reader(root).read()


# --- Applying ----------------------------------------------------------------------


@dataclass
class SyncReport:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    warnings: list[Problem] = field(default_factory=list)

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
        self.report = SyncReport(warnings=tree.warnings)
        self.conflicts: list[Problem] = []

    def upsert(
        self,
        kind: str,
        model: type[SyncedContent],
        lookup: dict,
        values: dict,
        path: Path,
    ) -> Any:
        """Creates or updates one row; returns it. Admin edits are conflicts."""
        row = model.objects.filter(**lookup).first()
        fields = {f.name for f in model._meta.concrete_fields} | {
            f.attname for f in model._meta.concrete_fields
        }
        # Fingerprint-only values (prerequisite slugs, choices) are not model fields.
        assignable = {k: v for k, v in values.items() if k in fields}
        plain = {k: v for k, v in assignable.items() if k not in model.CONTENT_FIELDS}
        new_fp = model.fingerprint({k: values.get(k) for k in model.CONTENT_FIELDS})
        if row is None:
            row = model(**lookup, **assignable, synced_hash=new_fp)
            row.save()
            self.report.add(kind, "created")
            return row
        current = row.content_fingerprint()
        if current == new_fp and all(getattr(row, k) == v for k, v in plain.items()):
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
        row.save()
        self.report.add(kind, "updated")
        return row

    def apply(self) -> SyncReport:
        from exams.models import Question

        course_rows: dict[str, Course] = {}
        for cf in self.tree.courses:
            meta = cf.meta
            values = {
                "title": str(meta["title"]),
                "code": str(meta["code"]),
                "summary": str(meta["summary"]),
                "audience": str(meta.get("audience") or ""),
                "recommended_for": list(meta.get("recommended_for") or []),
                "hours": Decimal(str(meta["hours"])),
                "validity_months": int(meta["validity_months"]),
                "order": int(meta["order"]),
                "guidelines": str(meta.get("guidelines") or ""),
                "is_published": bool(meta.get("published", True)),
                "description_md": cf.body,
                "prerequisite_slugs": sorted(meta.get("prerequisites") or []),
            }
            course_rows[cf.slug] = self.upsert(
                "courses", Course, {"slug": cf.slug}, values, cf.path
            )
        for cf in self.tree.courses:
            course = course_rows[cf.slug]
            wanted = [course_rows[s] for s in cf.meta.get("prerequisites") or []]
            if sorted(p.pk for p in course.prerequisites.all()) != sorted(
                p.pk for p in wanted
            ):
                course.prerequisites.set(wanted)
            self.sync_images(cf, course)
            lessons = self.sync_modules(cf, course)
            self.sync_exams(cf, course, lessons, Question)
        self.sync_bundles(course_rows)
        self.remove_missing(course_rows)
        if self.conflicts:
            raise ContentError(self.conflicts)
        return self.report

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
                cf.path,
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
                    "title": str(mf.meta["title"]),
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
                        "title": str(lf.meta["title"]),
                        "minutes": int(lf.meta["minutes"]),
                        "order": lf.order,
                        "is_published": bool(lf.meta.get("published", True)),
                        "body_md": lf.body,
                    },
                    lf.path,
                )
        stale_lessons = Lesson.objects.filter(
            course=course, synced_hash__gt=""
        ).exclude(slug__in=list(lessons))
        self._remove("lessons", stale_lessons)
        stale_modules = Module.objects.filter(
            course=course, synced_hash__gt=""
        ).exclude(slug__in=[m.slug for m in cf.modules])
        self._remove("modules", stale_modules)
        return lessons

    def sync_exams(
        self, cf: CourseFile, course: Course, lessons: dict[str, Lesson], Question
    ) -> None:
        from exams.models import Choice, Exam

        banks = [(mf, mf.quiz) for mf in cf.modules if mf.quiz]
        if cf.final:
            banks.append((None, cf.final))
        kept_keys = []
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
                    "title": str(meta["title"]),
                    "pass_mark": int(meta["pass_mark"]),
                    "draw_size": meta.get("draw"),
                    "time_limit_minutes": meta.get("time_limit_minutes"),
                    "shuffle": bool(meta.get("shuffle", True)),
                },
                bank.path,
            )
            for order, q in enumerate(bank.meta["questions"]):
                choices = [
                    [str(c["text"]).strip(), c.get("correct") is True]
                    for c in q["choices"]
                ]
                question = self.upsert(
                    "questions",
                    Question,
                    {"key": q["id"]},
                    {
                        "exam": exam,
                        "text_md": str(q["text"]),
                        "image": q.get("image") or "",
                        "image_alt": str(q.get("image_alt") or ""),
                        "explanation_md": str(q["explanation"]),
                        "topic": str(q["topic"]),
                        "review_lesson": lessons.get(q["lesson"]),
                        "review_lesson_id": lessons[q["lesson"]].pk
                        if q["lesson"] in lessons
                        else None,
                        "is_active": True,
                        "order": order,
                        "choice_signature": choices,
                    },
                    bank.path,
                )
                kept_keys.append(q["id"])
                if question.choice_signature != choices:
                    # Attempts keep their own snapshot of choices, so replacing is safe.
                    question.choices.all().delete()
                    Choice.objects.bulk_create(
                        Choice(
                            question=question, text=text, is_correct=correct, order=i
                        )
                        for i, (text, correct) in enumerate(choices)
                    )
        from exams.models import AttemptQuestion

        stale = Question.objects.filter(
            exam__course=course, synced_hash__gt=""
        ).exclude(key__in=kept_keys)
        used = set(
            AttemptQuestion.objects.filter(question__in=stale).values_list(
                "question_id", flat=True
            )
        )
        for question in stale:
            self._retire("questions", question, "is_active", keep=question.pk in used)

    def sync_bundles(self, course_rows: dict[str, Course]) -> None:
        for order, data in enumerate(self.tree.bundles):
            bundle = self.upsert(
                "bundles",
                Bundle,
                {"slug": data["slug"]},
                {
                    "title": str(data["title"]),
                    "summary": str(data["summary"]),
                    "order": order,
                    "is_published": bool(data.get("published", True)),
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

    def remove_missing(self, course_rows: dict[str, Course]) -> None:
        # A course with enrollments is history: unpublished, never deleted.
        for course in Course.objects.filter(synced_hash__gt="").exclude(
            slug__in=list(course_rows)
        ):
            self._retire(
                "courses", course, "is_published", keep=course.enrollments.exists()
            )

    def _retire(self, kind: str, row, flag: str, *, keep: bool) -> None:
        """Deletes a row that left the files, or only switches `flag` off when learner
        records refer to it (evidence is kept)."""
        if not keep:
            row.delete()
            self.report.add(kind, "removed")
        elif getattr(row, flag):
            setattr(row, flag, False)
            row.save(update_fields=[flag])
            self.report.add(
                kind, "deactivated" if flag == "is_active" else "unpublished"
            )

    def _remove(self, kind: str, queryset) -> None:
        count = queryset.count()
        if count:
            queryset.delete()
            self.report.counts[kind]["removed"] += count


def content_sync(*, root: Path, force: bool = False) -> SyncReport:
    """Validates the tree at `root` and loads it, all or nothing.

    Raises ContentError (file:line problems) and changes nothing when the tree is
    invalid or would overwrite admin edits without `force`.
    """
    tree = read_content(root)
    with transaction.atomic():
        return _Applier(tree, force).apply()


# --- Writing back ------------------------------------------------------------------


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
    questions = []
    for q in exam.questions.filter(is_active=True).select_related("review_lesson"):
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
        questions.append(item)
    data["questions"] = questions
    return data


def content_export(*, root: Path) -> int:
    """Writes every course in the database to `root` in the content layout.

    Returns the number of files written. Existing files under `root` are overwritten.
    """
    from exams.models import Exam

    written = 0

    def put(path: Path, data: str | bytes) -> None:
        nonlocal written
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        written += 1

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
            "published": course.is_published,
        }
        put(base / "course.md", _front_matter(meta, course.description_md))
        for image in course.images.all():
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
    return written
