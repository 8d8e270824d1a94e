"""Reading and validating the content tree: every problem with its file and line."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ..markdown import image_paths

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
