"""Skills checklists in content (issue 17, part 2): content/<course>/skills.yaml is
read strictly with file:line errors, loaded by sync_content (created, updated,
removed; an admin edit is a conflict), written back by export_content, and the
repository's three courses hold the checklists the 2025 AHA skills standards ask
for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from curriculum.reader import read_content
from curriculum.services import ContentError, content_sync
from organizations.models import SkillItem
from tests.curriculum.test_content import build_tree, write

pytestmark = pytest.mark.django_db

SKILLS = "bls/skills.yaml"
GOOD = """
# Hands-on skills check
items:
  - id: compression-rate
    title: "Adult compressions: rate"
    criterion: "100 to 120 per minute."
    lesson: compressions
  - id: recoil
    title: "Full recoil"
    criterion: "The chest comes all the way back."
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    root = build_tree(tmp_path)
    write(root, SKILLS, GOOD)
    return root


def items(course_slug="bls"):
    return list(
        SkillItem.objects.filter(course__slug=course_slug)
        .order_by("order")
        .values_list("key", "title", "criterion", "lesson_slug", "order")
    )


def test_a_checklist_is_loaded_in_file_order(tree):
    report = content_sync(root=tree)
    assert items() == [
        (
            "compression-rate",
            "Adult compressions: rate",
            "100 to 120 per minute.",
            "compressions",
            0,
        ),
        ("recoil", "Full recoil", "The chest comes all the way back.", "", 1),
    ]
    assert report.counts["skill items"]["created"] == 2
    # A second sync changes nothing (compared row by row when forced to read).
    assert content_sync(root=tree).skipped
    again = content_sync(root=tree, force=True)
    assert again.counts["skill items"] == {"unchanged": 2}


def test_items_follow_the_file_edited_removed_and_the_file_gone(tree):
    content_sync(root=tree)
    first = SkillItem.objects.get(key="compression-rate").pk
    write(
        tree,
        SKILLS,
        """
        items:
          - id: compression-rate
            title: "Adult compressions: rate"
            criterion: "100 to 120 per minute: 30 in 15 to 18 seconds."
        """,
    )
    report = content_sync(root=tree)
    assert report.counts["skill items"] == {"updated": 1, "removed": 1}
    item = SkillItem.objects.get()
    assert (item.pk, item.criterion) == (
        first,
        "100 to 120 per minute: 30 in 15 to 18 seconds.",
    )
    (tree / SKILLS).unlink()
    content_sync(root=tree)
    assert not SkillItem.objects.exists()


def test_an_admin_edit_is_a_conflict(tree):
    content_sync(root=tree)
    SkillItem.objects.filter(key="recoil").update(criterion="Edited in the admin.")
    write(tree, SKILLS, GOOD.replace("all the way back", "fully back"))
    with pytest.raises(ContentError, match="edited in the admin since the last sync"):
        content_sync(root=tree)
    content_sync(root=tree, force=True)
    assert (
        SkillItem.objects.get(key="recoil").criterion == "The chest comes fully back."
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            GOOD.replace("    lesson: compressions", "    lessons: compressions"),
            6,
            "unknown key 'lessons' in skills item 'compression-rate'",
        ),
        (
            GOOD.replace('    criterion: "100 to 120 per minute."\n', ""),
            3,
            "skills item 'compression-rate' needs 'criterion'",
        ),
        (
            GOOD.replace("id: recoil", "id: compression-rate"),
            7,
            "skills item id 'compression-rate' is used twice (first on line 3)",
        ),
        (
            GOOD.replace("lesson: compressions", "lesson: breathing"),
            6,
            "skills item 'compression-rate' refers to unknown lesson 'breathing'",
        ),
        ("items: []\n", 1, "a skills checklist has 1 to 30 items (has 0)"),
        (
            GOOD.replace('"Full recoil"', '"' + "x" * 201 + '"'),
            8,
            "'title' is at most 200 characters (has 201)",
        ),
        ("- id: x\n", 1, "a skills checklist needs an 'items' list"),
        (GOOD + "title: extra\n", 10, "unknown key 'title' in skills checklist"),
        (GOOD.replace("id: recoil", "id: Recoil!"), 7, "'id' must be a slug"),
    ],
)
def test_a_bad_checklist_is_refused_with_its_file_and_line(tree, text, line, message):
    write(tree, SKILLS, text)
    with pytest.raises(ContentError) as raised:
        read_content(tree)
    problems = [str(p) for p in raised.value.problems]
    assert any(
        p.startswith(f"content/{SKILLS}:{line}: ") and message in p for p in problems
    ), problems


def test_the_export_writes_the_checklist_back(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "out"
    call_command("export_content", str(out))
    written = yaml.safe_load((out / SKILLS).read_text())
    assert written == {
        "items": [
            {
                "id": "compression-rate",
                "title": "Adult compressions: rate",
                "criterion": "100 to 120 per minute.",
                "lesson": "compressions",
            },
            {
                "id": "recoil",
                "title": "Full recoil",
                "criterion": "The chest comes all the way back.",
            },
        ]
    }
    assert not (out / "acls" / "skills.yaml").exists()
    # What was exported loads back unchanged.
    assert content_sync(root=out).counts["skill items"] == {"unchanged": 2}


# --- The repository's checklists ---------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    tree = read_content(Path(settings.CONTENT_DIR))
    return {course.slug: course.skills for course in tree.courses}


def test_every_course_has_its_checklist(shipped):
    assert {
        slug: [item["id"] for item in skills.items] for slug, skills in shipped.items()
    } == {
        "bls": [
            "adult-compression-rate",
            "adult-compression-depth",
            "adult-recoil",
            "two-rescuer-switch",
            "bag-mask-ventilation",
            "aed",
            "infant-compressions",
        ],
        "acls": [
            "megacode-team-roles",
            "megacode-cpr-quality",
            "megacode-shockable-rhythm",
            "megacode-drugs",
            "megacode-nonshockable-and-causes",
            "megacode-rosc",
        ],
        "cpr-aed": ["adult-compressions", "aed"],
    }


@pytest.mark.parametrize(
    ("course", "item", "figures"),
    [
        ("bls", "adult-compression-rate", ["100 to 120", "15 to 18 seconds"]),
        ("bls", "adult-compression-depth", ["2 inches (5 cm)", "2.4 inches (6 cm)"]),
        ("bls", "adult-recoil", ["all the way back"]),
        ("bls", "two-rescuer-switch", ["2 minutes", "under 5 seconds", "10 seconds"]),
        (
            "bls",
            "bag-mask-ventilation",
            ["1 second", "visible chest rise", "10 seconds"],
        ),
        ("bls", "aed", ["clears everyone", "immediately"]),
        ("bls", "infant-compressions", ["one-third", "1.5 inches (4 cm)", "15:2"]),
        ("acls", "megacode-cpr-quality", ["100 to 120", "10 seconds", "80%"]),
        ("acls", "megacode-drugs", ["1 mg", "3 to 5 minutes", "300 mg", "150 mg"]),
        ("cpr-aed", "adult-compressions", ["100 to 120", "5 cm", "6 cm", "recoil"]),
    ],
)
def test_each_criterion_states_the_guideline_figures(shipped, course, item, figures):
    (criterion,) = [i["criterion"] for i in shipped[course].items if i["id"] == item]
    for figure in figures:
        assert figure in criterion, (item, figure)


def test_no_criterion_teaches_the_two_finger_infant_technique(shipped):
    # Removed from the 2025 guidelines: the infant item names the two techniques
    # that replaced it.
    text = " ".join(i["criterion"] for s in shipped.values() for i in s.items)
    assert "two fingers" not in text.lower() and "two-finger" not in text.lower()
