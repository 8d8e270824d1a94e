"""The shipped case files as content (issue 16), beyond what sync_content validates
(every action in the vocabulary, strips that exist, reachability, no dead end, the
ideal path passing: tests/curriculum/test_content.py loads the whole tree with them):
each state's strip shows the rhythm the state says and the monitor's rate is the
strip's own; nothing the learner reads before the debrief names the rhythm; required
cases exist and only ACLS requires any.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from core.strict_yaml import load_yaml, without_lines

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


def _draw_ecg():
    spec = importlib.util.spec_from_file_location(
        "draw_ecg", ROOT / "scripts" / "draw_ecg.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["draw_ecg"] = module
    spec.loader.exec_module(module)
    return module


MONITOR_STRIPS = _draw_ecg().MONITOR_STRIPS
CASE_FILES = sorted(
    path for path in CONTENT.glob("*/cases/*.yaml") if path.name != "rules.yaml"
)
# Words that name a rhythm, a cause or a treatment decision outright: the monitor and
# the learner's checks must tell them, not the text.
GIVEAWAYS = re.compile(
    r"\b(v-?fib\w*|ventricular (fibrillation|tachycardia)|\bvf\b|\bvt\b|pvt|"
    r"asystole|asystolic|\bpea\b|pulseless electrical|torsades|"
    r"heart block|av block|mobitz|bradycardi\w*|tachycardi\w*|"
    r"atrial (fibrillation|flutter)|\bsvt\b|stemi|shockable|hyperkalemi\w*)\b",
    re.IGNORECASE,
)


def read(path: Path) -> dict:
    return without_lines(load_yaml(path.read_text(), first_line=1))


@pytest.fixture(params=CASE_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def case_file(request) -> tuple[Path, dict]:
    return request.param, read(request.param)


def test_the_courses_ship_their_cases():
    by_course = {path.parent.parent.name for path in CASE_FILES}
    assert by_course == {"acls", "bls", "cpr-aed"}
    assert sum(path.parent.parent.name == "acls" for path in CASE_FILES) >= 10


def test_each_state_strip_shows_its_rhythm_at_the_monitor_rate(case_file):
    path, data = case_file
    for sid, state in data["states"].items():
        strip = state.get("strip")
        if not strip:
            continue
        rhythm, rate = MONITOR_STRIPS[Path(strip).stem]
        assert state.get("rhythm") == rhythm, (path.name, sid, strip)
        hr = (state.get("vitals") or {}).get("hr")
        # A monitor counts complexes, pulse or not; VF and asystole have none.
        assert hr == rate, (path.name, sid, f"hr {hr}, strip {strip} runs at {rate}")


def test_nothing_read_before_the_debrief_names_the_rhythm_or_the_cause(case_file):
    path, data = case_file
    texts = {
        "slug": path.stem.replace("-", " "),
        "title": data["title"],
        "summary": data.get("summary", ""),
        "patient": data.get("patient", ""),
    }
    for sid, state in data["states"].items():
        texts[f"states.{sid}.narrative"] = state.get("narrative", "")
    found = {
        where: match.group(0)
        for where, text in texts.items()
        if (match := GIVEAWAYS.search(text or ""))
    }
    assert not found, (path.name, found)


def test_only_acls_requires_cases_and_every_required_case_exists():
    for course in sorted(p for p in CONTENT.iterdir() if (p / "course.md").exists()):
        front = (course / "course.md").read_text().split("---")[1]
        match = re.search(r"^cases:\s*\[(.*)\]\s*$", front, re.MULTILINE)
        required = [s.strip() for s in match.group(1).split(",")] if match else []
        if course.name == "acls":
            shipped = {p.stem for p in (course / "cases").glob("*.yaml")}
            assert required and set(required) <= shipped, set(required) - shipped
        else:
            assert not required, course.name
