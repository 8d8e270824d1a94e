"""The certification standard for question banks (issue 14), checked over a content
tree as `read_content` returns it.

The reader refuses what cannot load; these checks say what a bank still lacks to be a
certification exam. Each returns a list of `Problem`s (file, line, message), empty
when the course meets that part of the standard; `course_problems` runs them all.
`tests/curriculum/test_banks_standard.py` runs them on `content/`, and
`scripts/bank_report.py` prints them for authors. docs/CONTENT_FORMAT.md ("The bank
standard") explains each rule.

- `check_sizes`: module banks hold at least 20 items and draw 10; finals hold at least
  `final_min_items` and draw `final_draw` (CPR/AED and BLS 75/25, ACLS 150/50).
- `check_final_blueprint`: the final's blueprint is by module and names every module;
  each quota is the module's share of the course's lesson minutes times the draw,
  within one question (at least 1); each module's pool is at least 3 times its quota.
- `check_vignettes`: items flagged `vignette: true` make up at least the course's share
  of its final (70% BLS and ACLS, 50% CPR/AED); a flagged stem has at least 20 words and
  names a person or patient (PERSON_WORDS, or an age such as "58-year-old").
- `check_key_points`: every item names its `key_point`, and every bullet of every
  published lesson's Key points list is examined by at least one item of the course.
- `check_explanations`: every explanation ends with `Lesson: <the lesson's title>.`
- `check_duplicates`: no two stems of a course are near-duplicates (a final item may
  not restate a module item); `check_cross_course` (over the whole tree): no stem is
  shared across courses (exams.quality).
- `check_ecg_items`: an item showing a rhythm strip uses an exam strip
  (`images/ecg/exam/`), never a lesson's; its `image_alt` names no finding
  (FINDING_WORDS: rates, regularity, waves, widths, rhythm names); every lesson strip
  (`images/ecg/strip-NN.svg`) is shown by a lesson; a monitor strip
  (`images/ecg/monitor/`, case simulations only) by no lesson and no question.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from courses.markdown import image_paths, key_points
from exams.quality import (
    Bank,
    Item,
    cross_course_duplicate_stems,
    near_duplicate_stems,
)

from .reader import (
    FINAL_POOL_FACTOR,
    BankFile,
    CourseFile,
    LessonFile,
    Problem,
    Tree,
)

__all__ = [
    "CHECKS",
    "FINDING_WORDS",
    "PERSON_WORDS",
    "STANDARDS",
    "Standard",
    "check_cross_course",
    "course_problems",
    "tree_banks",
]

MODULE_MIN_ITEMS = 20
MODULE_DRAW = 10
VIGNETTE_MIN_WORDS = 20
ECG_DIR = "images/ecg/"
EXAM_STRIP_DIR = "images/ecg/exam/"
# Monitor strips loop on a case simulation's monitor; never a lesson's or a question's.
MONITOR_STRIP_DIR = "images/ecg/monitor/"


@dataclass(frozen=True)
class Standard:
    final_min_items: int
    final_draw: int
    vignette_share: float  # of the final's items


STANDARDS = {
    "cpr-aed": Standard(final_min_items=75, final_draw=25, vignette_share=0.5),
    "bls": Standard(final_min_items=75, final_draw=25, vignette_share=0.7),
    "acls": Standard(final_min_items=150, final_draw=50, vignette_share=0.7),
}
#: Any other course: a final of 25 from 75, half of it vignettes.
DEFAULT_STANDARD = Standard(final_min_items=75, final_draw=25, vignette_share=0.5)

#: A vignette names who it is about: one of these words, a title, or an age.
PERSON_WORDS = (
    "patient man woman boy girl child infant baby newborn toddler teenager teen "
    "adolescent adult person mother father parent husband wife son daughter "
    "grandmother grandfather colleague coworker co-worker neighbor neighbour friend "
    "bystander student athlete runner player swimmer cyclist worker driver passenger "
    "customer guest visitor resident spectator pedestrian hiker diner shopper "
    "traveler traveller survivor victim"
).split()
_PERSON = re.compile(
    r"\b(?:" + "|".join(re.escape(w) for w in PERSON_WORDS) + r")s?\b"
    r"|\b\d+[- ](?:year|month|week|day)s?[- ]old\b"
    r"|\b(?:Mr|Mrs|Ms|Dr)\.?\s+[A-Z]",
    re.IGNORECASE,
)

#: Words an ECG item's alt text may not use: it says what the image is ("6-second
#: lead II rhythm strip"), never what it shows.
FINDING_WORDS = (
    r"\d+\s*(?:/|per\s+)min\w*",
    r"bpm",
    r"rate",
    r"(?:ir)?regular(?:ly)?",
    r"rhythmic",
    r"P[- ]?waves?",
    r"P",
    r"QRS",
    r"PR",
    r"QT",
    r"ST",
    r"T[- ]?waves?",
    r"wide",
    r"narrow",
    r"broad",
    r"flat(?:line)?",
    r"sinus",
    r"brady\w*",
    r"tachy\w*",
    r"block",
    r"AV",
    r"(?:first|second|third)[- ]degree",
    r"Wenckebach",
    r"Mobitz",
    r"fibrillat\w*",
    r"flutter",
    r"sawtooth",
    r"SVT",
    r"VT",
    r"VF",
    r"AF",
    r"torsades?",
    r"polymorphic",
    r"monomorphic",
    r"asystole",
    r"PEA",
    r"pulseless",
    r"junctional",
    r"idioventricular",
    r"escape",
    r"paced",
    r"pac(?:ing|er|emaker)",
    r"spikes?",
    r"capture",
    r"PVCs?",
    r"ectopic",
    r"premature",
    r"bigeminy",
    r"couplets?",
    r"multifocal",
    r"unifocal",
    r"dropped",
    r"chaotic",
    r"spindles?",
    r"twisting",
    r"coarse",
    r"fine",
    r"dissociat\w*",
    r"organi[sz]ed",
    r"artefact|artifact",
)
_FINDING = re.compile(r"\b(?:" + "|".join(FINDING_WORDS) + r")\b", re.IGNORECASE)
# Digits are findings too (a rate, an interval), except the strip's own length.
_NUMBER = re.compile(r"\d")
_STRIP_LENGTH = re.compile(r"\b6[- ]second\b|\bsix[- ]second\b", re.IGNORECASE)


# --- reading the tree -------------------------------------------------------------


def _standard(course: CourseFile) -> Standard:
    return STANDARDS.get(course.slug, DEFAULT_STANDARD)


def _lessons(course: CourseFile) -> dict[str, LessonFile]:
    return {lesson.slug: lesson for m in course.modules for lesson in m.lessons}


def _banks(course: CourseFile) -> Iterator[tuple[str, BankFile]]:
    """(name, bank) of the course's module quizzes, then its final."""
    for module in course.modules:
        if module.quiz:
            yield f"{course.slug}/{module.slug}", module.quiz
    if course.final:
        yield f"{course.slug}/final", course.final


def _line(question: dict, key: str | None = None) -> int:
    return (
        question["__lines__"].get(key, question["__line__"])
        if key
        else (question["__line__"])
    )


def tree_banks(course: CourseFile) -> list[Bank]:
    """The course's banks as exams.quality Banks (module quizzes, then the final)."""
    banks = []
    for name, bank in _banks(course):
        items = tuple(
            Item(
                id=q["id"],
                stem=q["text"],
                choices=tuple((c["text"], c["correct"]) for c in q["choices"]),
                source=f"{bank.path}:{q['__line__']}",
            )
            for q in bank.meta["questions"]
        )
        banks.append(Bank(name=name, items=items, is_final=name.endswith("/final")))
    return banks


def _relative(check: Callable[[CourseFile], list[Problem]]):
    """Problems name files as the reader does: from the content folder's name on."""

    @functools.wraps(check)
    def named(course: CourseFile) -> list[Problem]:
        base = course.path.parents[2]
        return [
            Problem(
                p.path.relative_to(base) if p.path.is_relative_to(base) else p.path,
                p.line,
                p.message,
            )
            for p in check(course)
        ]

    return named


# --- checks, one course at a time ---------------------------------------------------


@_relative
def check_sizes(course: CourseFile) -> list[Problem]:
    standard = _standard(course)
    problems = []
    for module in course.modules:
        if not module.lessons:
            continue
        if not module.quiz:
            problems.append(Problem(module.path, 1, "module has no quiz.yaml"))
            continue
        meta, path = module.quiz.meta, module.quiz.path
        size = len(meta["questions"])
        if size < MODULE_MIN_ITEMS:
            problems.append(
                Problem(
                    path,
                    1,
                    f"{course.slug}/{module.slug}: {size} items, a module bank holds "
                    f"at least {MODULE_MIN_ITEMS}",
                )
            )
        if meta["draw"] != MODULE_DRAW:
            problems.append(
                Problem(
                    path,
                    meta["__lines__"].get("draw", 1),
                    f"{course.slug}/{module.slug}: draw is {meta['draw']}, a module "
                    f"quiz draws {MODULE_DRAW}",
                )
            )
    if not course.final:
        return [*problems, Problem(course.path, 1, "course has no final-exam.yaml")]
    meta, path = course.final.meta, course.final.path
    size = len(meta["questions"])
    if size < standard.final_min_items:
        problems.append(
            Problem(
                path,
                1,
                f"{course.slug}/final: {size} items, the final holds at least "
                f"{standard.final_min_items}",
            )
        )
    if meta["draw"] != standard.final_draw:
        problems.append(
            Problem(
                path,
                meta["__lines__"].get("draw", 1),
                f"{course.slug}/final: draw is {meta['draw']}, the final draws "
                f"{standard.final_draw}",
            )
        )
    return problems


def module_minutes(course: CourseFile) -> dict[str, int]:
    """Minutes of each module's published lessons."""
    return {
        module.slug: sum(
            lesson.meta["minutes"]
            for lesson in module.lessons
            if lesson.meta["published"]
        )
        for module in course.modules
    }


@_relative
def check_final_blueprint(course: CourseFile) -> list[Problem]:
    if not course.final:
        return []
    meta, path = course.final.meta, course.final.path
    line = meta["__lines__"].get("blueprint", 1)
    name = f"{course.slug}/final"
    blueprint = meta["blueprint"]
    if blueprint.get("by") != "module":
        return [Problem(path, line, f"{name}: the blueprint must be by module")]
    quotas = blueprint["quotas"]
    minutes = {slug: m for slug, m in module_minutes(course).items() if m}
    total = sum(minutes.values())
    draw = sum(quotas.values())
    problems = []
    missing = sorted(set(minutes) - set(quotas))
    if missing:
        problems.append(
            Problem(path, line, f"{name}: blueprint leaves out {', '.join(missing)}")
        )
    lesson_module = {
        lesson.slug: module.slug
        for module in course.modules
        for lesson in module.lessons
    }
    pools = Counter(lesson_module.get(q["lesson"]) for q in meta["questions"])
    for slug, quota in quotas.items():
        expected = draw * minutes.get(slug, 0) / total if total else 0
        low, high = max(1, math.ceil(expected - 1)), math.floor(expected + 1)
        if not low <= quota <= high:
            allowed = f"{low} to {high}" if low < high else f"{low}"
            problems.append(
                Problem(
                    path,
                    line,
                    f"{name}: quota {quota} for {slug}; its share of the lesson "
                    f"minutes ({minutes.get(slug, 0)} of {total}) of the draw of "
                    f"{draw} is {expected:.1f}: allowed {allowed}",
                )
            )
        if pools[slug] < FINAL_POOL_FACTOR * quota:
            problems.append(
                Problem(
                    path,
                    line,
                    f"{name}: module {slug} holds {pools[slug]} items for a quota of "
                    f"{quota}; needs {FINAL_POOL_FACTOR * quota}",
                )
            )
    return problems


def looks_like_vignette(stem: str) -> bool:
    return len(stem.split()) >= VIGNETTE_MIN_WORDS and bool(_PERSON.search(stem))


@_relative
def check_vignettes(course: CourseFile) -> list[Problem]:
    problems = []
    for _, bank in _banks(course):
        for q in bank.meta["questions"]:
            if q["vignette"] and not looks_like_vignette(q["text"]):
                problems.append(
                    Problem(
                        bank.path,
                        _line(q, "vignette"),
                        f"{q['id']}: flagged as a vignette, but the stem has "
                        f"{len(q['text'].split())} words or names no person or "
                        f"patient (at least {VIGNETTE_MIN_WORDS} words, and a "
                        "person: 'a 58-year-old man', 'your coworker')",
                    )
                )
    if course.final:
        questions = course.final.meta["questions"]
        flagged = sum(1 for q in questions if q["vignette"])
        share = _standard(course).vignette_share
        if not questions or flagged / len(questions) < share:
            problems.append(
                Problem(
                    course.final.path,
                    1,
                    f"{course.slug}/final: {flagged} of {len(questions)} items are "
                    f"vignettes; at least {share:.0%} must be",
                )
            )
    return problems


@_relative
def check_key_points(course: CourseFile) -> list[Problem]:
    problems = []
    examined: set[tuple[str, int]] = set()
    for _, bank in _banks(course):
        for q in bank.meta["questions"]:
            if q["key_point"] is None:
                problems.append(
                    Problem(
                        bank.path,
                        q["__line__"],
                        f"{q['id']}: no key_point (the Key points bullet it examines)",
                    )
                )
            else:
                examined.add((q["lesson"], q["key_point"]))
    for module in course.modules:
        for lesson in module.lessons:
            if not lesson.meta["published"]:
                continue
            bullets = key_points(lesson.body)
            if not bullets:
                problems.append(
                    Problem(lesson.path, 1, "lesson has no '## Key points' list")
                )
            for number, bullet in enumerate(bullets, 1):
                if (lesson.slug, number) not in examined:
                    problems.append(
                        Problem(
                            lesson.path,
                            1,
                            f"key point {number} is examined by no item: "
                            f'"{bullet[:80]}"',
                        )
                    )
    return problems


@_relative
def check_explanations(course: CourseFile) -> list[Problem]:
    lessons = _lessons(course)
    problems = []
    for _, bank in _banks(course):
        for q in bank.meta["questions"]:
            lesson = lessons.get(q["lesson"])
            if lesson is None:
                continue
            ending = f"Lesson: {lesson.meta['title']}."
            if not q["explanation"].rstrip().endswith(ending):
                problems.append(
                    Problem(
                        bank.path,
                        _line(q, "explanation"),
                        f"{q['id']}: the explanation must end with '{ending}'",
                    )
                )
    return problems


def _finding_problems(findings, banks: dict[str, BankFile]) -> list[Problem]:
    problems = []
    for finding in findings:
        bank = banks.get(finding.bank)
        path = bank.path if bank else Path(finding.bank)
        problems.append(Problem(path, 1, f"{finding.message}"))
    return problems


@_relative
def check_duplicates(course: CourseFile) -> list[Problem]:
    return _finding_problems(
        near_duplicate_stems(tree_banks(course)), dict(_banks(course))
    )


def alt_finding(alt: str) -> str | None:
    """The first word of `alt` that names a finding, or None."""
    text = _STRIP_LENGTH.sub("", alt)
    match = _FINDING.search(text) or _NUMBER.search(text)
    return match.group(0) if match else None


@_relative
def check_ecg_items(course: CourseFile) -> list[Problem]:
    problems = []
    for _, bank in _banks(course):
        for q in bank.meta["questions"]:
            image = q["image"] or ""
            if not image.startswith(ECG_DIR):
                continue
            if not image.startswith(EXAM_STRIP_DIR):
                kind = (
                    "a monitor strip (case simulations only)"
                    if image.startswith(MONITOR_STRIP_DIR)
                    else "a lesson strip"
                )
                problems.append(
                    Problem(
                        bank.path,
                        _line(q, "image"),
                        f"{q['id']}: {image} is {kind}; questions use exam "
                        f"strips ({EXAM_STRIP_DIR}, docs/ECG_STRIPS.md)",
                    )
                )
            word = alt_finding(q["image_alt"])
            if word:
                problems.append(
                    Problem(
                        bank.path,
                        _line(q, "image_alt"),
                        f"{q['id']}: image_alt names a finding ('{word}'); say what "
                        "the image is, e.g. '6-second lead II rhythm strip'",
                    )
                )
    shown = {
        src
        for module in course.modules
        for lesson in module.lessons
        for _, src, _ in image_paths(lesson.body)
    }
    problems += [
        Problem(
            lesson.path,
            lesson.body_line + line - 1,
            f"{src} is a monitor strip (case simulations only); lessons show "
            "lesson strips (images/ecg/strip-NN.svg)",
        )
        for module in course.modules
        for lesson in module.lessons
        for line, src, _ in image_paths(lesson.body)
        if src.startswith(MONITOR_STRIP_DIR)
    ]
    for path in sorted(course.images):
        if path.startswith(ECG_DIR) and not path.startswith(
            (EXAM_STRIP_DIR, MONITOR_STRIP_DIR)
        ):
            if path not in shown:
                problems.append(
                    Problem(
                        course.path.parent / path, 1, "lesson strip shown by no lesson"
                    )
                )
    return problems


CHECKS: dict[str, Callable[[CourseFile], list[Problem]]] = {
    "sizes": check_sizes,
    "final-blueprint": check_final_blueprint,
    "vignettes": check_vignettes,
    "key-points": check_key_points,
    "explanations": check_explanations,
    "duplicates": check_duplicates,
    "ecg-items": check_ecg_items,
}


def check_cross_course(tree: Tree) -> list[Problem]:
    """Stems shared (near-duplicates) between banks of different courses."""
    courses = {course.slug: tree_banks(course) for course in tree.courses}
    files = {name: bank for course in tree.courses for name, bank in _banks(course)}
    base = tree.root.parent
    return [
        Problem(p.path.relative_to(base), p.line, p.message)
        for p in _finding_problems(cross_course_duplicate_stems(courses), files)
    ]


def course_problems(course: CourseFile) -> dict[str, list[Problem]]:
    """Every check's problems for one course, by check name (empty lists left out)."""
    found = defaultdict(list)
    for name, check in CHECKS.items():
        found[name] = check(course)
    return {name: problems for name, problems in found.items() if problems}
