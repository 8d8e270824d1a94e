"""Case files through the content sync: validated as a whole with file:line
problems (nothing written when any), written idempotently, admin edits reported as
conflicts, a played case that left the files deactivated, and the export's round
trip (sync(export(db)) changes nothing)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cases.engine.rules import rules_for
from cases.models import Case, CaseAttempt, CaseRules
from cases.services import case_attempt_start
from courses.models import Course
from curriculum.services import ContentError, content_export, content_sync
from tests.cases.engine_helpers import FIXTURES
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>'
LESSONS = (
    "vf-pvt",
    "arrest-drugs",
    "arrest-airway",
    "adult-compressions",
    "using-an-aed",
)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def build(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    write(
        root,
        "sim/course.md",
        """
        ---
        title: Simulation course
        code: SIM
        summary: Cases.
        hours: 2
        validity_months: 24
        order: 1
        cases: [ed-collapse]
        ---
        About it.
        """,
    )
    write(root, "sim/01-arrest/module.md", "---\ntitle: Arrest\norder: 1\n---\nIt.\n")
    for number, slug in enumerate(LESSONS, start=1):
        write(
            root,
            f"sim/01-arrest/{number:02d}-{slug}.md",
            f"---\ntitle: {slug}\nminutes: 5\n---\nAbout {slug}.\n",
        )
    for strip in ("m-02", "m-05", "m-10"):
        write(root, f"sim/images/ecg/monitor/{strip}.svg", SVG)
    for name in ("ed-collapse", "mall-collapse"):
        shutil.copy(FIXTURES / f"{name}.yaml", root / "sim" / "cases" / f"{name}.yaml")
    rules = "".join(
        f"{rule}: vf-pvt\n" for rule in rules_for(["acls", "lay"], team=True)
    )
    write(root, "sim/cases/rules.yaml", rules)
    return root


@pytest.fixture
def tree(tmp_path) -> Path:
    (tmp_path / "content" / "sim" / "cases").mkdir(parents=True)
    return build(tmp_path)


def test_sync_writes_each_case_and_the_required_flag(tree):
    report = content_sync(root=tree)
    assert report.counts["cases"]["created"] == 2
    required = Case.objects.get(slug="ed-collapse")
    practice = Case.objects.get(slug="mall-collapse")
    assert required.is_required and not practice.is_required
    assert required.title == "Collapse in the waiting room"
    assert required.toolkit == "acls" and practice.toolkit == "lay"
    assert required.definition["states"]["collapse"]["rhythm"] == "vf-coarse"
    assert "__line__" not in str(required.definition)
    assert CaseRules.objects.get(course__slug="sim").lessons["no-roles"] == "vf-pvt"


def test_sync_twice_changes_nothing(tree):
    content_sync(root=tree)
    ids = dict(Case.objects.values_list("slug", "pk"))
    assert content_sync(root=tree).skipped
    report = content_sync(root=tree, force=True)  # read and compared row by row
    assert not report.changed
    assert report.counts["cases"]["unchanged"] == 2
    assert dict(Case.objects.values_list("slug", "pk")) == ids


def test_an_edited_file_updates_its_case_in_place(tree):
    content_sync(root=tree)
    pk = Case.objects.get(slug="mall-collapse").pk
    path = tree / "sim/cases/mall-collapse.yaml"
    path.write_text(path.read_text().replace("A shopper collapses", "A man falls"))
    report = content_sync(root=tree)
    assert report.counts["cases"]["updated"] == 1
    assert Case.objects.get(pk=pk).title == "A man falls"


def problems_of(tree) -> list[str]:
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    return [str(problem) for problem in error.value.problems]


def test_a_mistake_in_a_case_is_reported_on_its_line_and_nothing_is_written(tree):
    path = tree / "sim/cases/ed-collapse.yaml"
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "do: shock" in line)
    lines[number - 1] = lines[number - 1].replace("do: shock", "do: shok")
    path.write_text("\n".join(lines) + "\n")
    problems = problems_of(tree)
    assert any(
        p.startswith(f"content/sim/cases/ed-collapse.yaml:{number}:") and "shok" in p
        for p in problems
    ), problems
    assert not Course.objects.exists() and not Case.objects.exists()


def test_an_unknown_key_is_caught_with_its_line(tree):
    path = tree / "sim/cases/mall-collapse.yaml"
    text = path.read_text().replace("time_limit:", "time_limt:")
    path.write_text(text)
    number = next(
        i for i, line in enumerate(text.splitlines(), 1) if "time_limt" in line
    )
    problems = problems_of(tree)
    assert any(
        p.startswith(f"content/sim/cases/mall-collapse.yaml:{number}:")
        for p in problems
    ), problems


def test_a_required_case_must_exist(tree):
    path = tree / "sim/course.md"
    path.write_text(path.read_text().replace("[ed-collapse]", "[ed-collapse, nowhere]"))
    problems = problems_of(tree)
    assert any(
        "course.md:8:" in p and "no cases/nowhere.yaml" in p for p in problems
    ), problems


def test_rules_must_name_a_lesson_for_every_rule_the_cases_can_break(tree):
    rules = rules_for(["acls", "lay"], team=True)
    lines = [f"{rule}: vf-pvt" for rule in rules if rule != "no-roles"]
    lines[0] = f"{rules[0]}: no-such-lesson"
    (tree / "sim/cases/rules.yaml").write_text("\n".join(lines) + "\n")
    problems = problems_of(tree)
    assert any(
        p.startswith("content/sim/cases/rules.yaml:1:") and "no-such-lesson" in p
        for p in problems
    ), problems
    assert any("no-roles" in p for p in problems), problems


def test_a_case_named_for_a_missing_strip_is_refused(tree):
    (tree / "sim/images/ecg/monitor/m-05.svg").unlink()
    problems = " | ".join(problems_of(tree))
    assert "ed-collapse.yaml" in problems and "m-05.svg" in problems


def test_yaml_that_json_cannot_hold_is_refused(tree):
    path = tree / "sim/cases/mall-collapse.yaml"
    path.write_text(path.read_text() + "sources_checked: 2025-01-01\n")
    problems = " | ".join(problems_of(tree))
    assert "mall-collapse.yaml" in problems


def test_an_admin_edit_is_a_conflict_unless_forced(tree):
    content_sync(root=tree)
    case = Case.objects.get(slug="mall-collapse")
    case.definition = {**case.definition, "title": "Edited in the admin"}
    case.title = "Edited in the admin"
    case.save()
    problems = " | ".join(problems_of(tree))
    assert "edited in the admin" in problems and "mall-collapse" in problems
    case.refresh_from_db()
    assert case.title == "Edited in the admin"
    content_sync(root=tree, force=True)
    case.refresh_from_db()
    assert case.title == "A shopper collapses"


def test_a_played_case_that_left_the_files_is_deactivated_not_deleted(tree, user):
    content_sync(root=tree)
    case = Case.objects.get(slug="mall-collapse")
    EnrollmentFactory(user=user, course=case.course)
    case_attempt_start(user=user, case=case)
    (tree / "sim/cases/mall-collapse.yaml").unlink()
    report = content_sync(root=tree)
    assert report.counts["cases"]["deactivated"] == 1
    case.refresh_from_db()
    assert not case.is_active and CaseAttempt.objects.filter(case=case).exists()
    # Back in the files: active again, an update (not a conflict).
    shutil.copy(FIXTURES / "mall-collapse.yaml", tree / "sim/cases/mall-collapse.yaml")
    content_sync(root=tree)
    case.refresh_from_db()
    assert case.is_active


def test_an_unplayed_case_that_left_the_files_is_deleted(tree):
    content_sync(root=tree)
    (tree / "sim/cases/mall-collapse.yaml").unlink()
    content_sync(root=tree)
    assert not Case.objects.filter(slug="mall-collapse").exists()


def test_export_then_sync_changes_nothing(tree, tmp_path):
    content_sync(root=tree)
    exported = tmp_path / "exported"
    content_export(root=exported)
    text = (exported / "sim/cases/ed-collapse.yaml").read_text()
    # Written as an author would: the title first, the states in play order.
    assert text.startswith("title: Collapse in the waiting room\n")
    assert text.index("  collapse:") < text.index("  rosc:")
    assert "cases:\n- ed-collapse" in (exported / "sim/course.md").read_text()
    report = content_sync(root=exported)
    assert not report.changed, report.lines()
