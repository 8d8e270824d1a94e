"""Read the question banks in content/ as `exams.quality.Bank`s, straight from the YAML
files (PyYAML, safe loader), with each item's file:line.

Deliberately independent of the content reader and sync: the item-quality gates judge
the words as written, and stay put while the reader moves between packages.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from exams.quality import Bank, Item

_MODULE_DIR = re.compile(r"^\d{2}-(?P<slug>[a-z0-9-]+)$")


def _question_lines(text: str) -> list[int]:
    """1-based line of each entry of `questions:`, in order."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for key, value in root.value:
        if key.value == "questions":
            return [node.start_mark.line + 1 for node in value.value]
    return []


def read_bank(path: Path, *, name: str, is_final: bool, root: Path) -> Bank:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    questions = data.get("questions") or []
    lines = _question_lines(text)
    where = path.relative_to(root.parent).as_posix()
    items = tuple(
        Item(
            id=q["id"],
            stem=q["text"],
            choices=tuple(
                (c["text"], c.get("correct") is True) for c in q.get("choices") or []
            ),
            source=f"{where}:{line}",
        )
        for q, line in zip(questions, lines, strict=True)
    )
    return Bank(name=name, items=items, is_final=is_final)


def read_course_banks(course_dir: Path, *, root: Path) -> list[Bank]:
    """The course's module quizzes in folder order, then its final."""
    banks = []
    for module_dir in sorted(p for p in course_dir.iterdir() if p.is_dir()):
        match = _MODULE_DIR.match(module_dir.name)
        quiz = module_dir / "quiz.yaml"
        if match and quiz.is_file():
            name = f"{course_dir.name}/{match['slug']}"
            banks.append(read_bank(quiz, name=name, is_final=False, root=root))
    final = course_dir / "final-exam.yaml"
    if final.is_file():
        name = f"{course_dir.name}/final"
        banks.append(read_bank(final, name=name, is_final=True, root=root))
    return banks


def read_all_banks(root: Path) -> dict[str, list[Bank]]:
    """{course slug: banks} for every course folder under `root` (content/)."""
    return {
        course.name: read_course_banks(course, root=root)
        for course in sorted(p for p in root.iterdir() if p.is_dir())
        if (course / "course.md").is_file()
    }
