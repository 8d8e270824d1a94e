"""The engine is a pure function of its inputs: the same steps give the same states,
events and score; the state survives JSON; `act` never changes what it is given; the
playthrough helper reaches every critical error and requirement of the sample cases."""

from __future__ import annotations

import copy
import json

import pytest

from cases.engine import Action, Definition
from cases.engine.engine import strip_lines
from cases.engine.testing import error_paths, play
from tests.cases.engine_helpers import RULE_LESSONS, definition, load

CASES = ["ed-collapse", "mall-collapse"]


@pytest.mark.parametrize("name", CASES)
def test_same_steps_same_everything(name):
    first = play(definition(name), definition(name).data["ideal"])
    second = play(definition(name), definition(name).data["ideal"])
    assert first.state == second.state
    assert first.events == second.events
    assert first.score == second.score


@pytest.mark.parametrize("name", CASES)
def test_act_never_changes_its_input_and_states_round_trip_through_json(name):
    d = definition(name)
    state = d.initial()
    for step in d.data["ideal"]:
        frozen = copy.deepcopy(state)
        result = d.act(state, Action(step["do"], step.get("with") or {}))
        assert state == frozen
        assert json.loads(json.dumps(result.state)) == result.state
        assert json.loads(json.dumps(result.events)) == result.events
        state = json.loads(json.dumps(result.state))
    assert json.loads(json.dumps(d.score(state))) == d.score(state)


def test_the_digest_names_the_case_version():
    data = strip_lines(load("ed-collapse"))
    assert Definition(data).digest == Definition(load("ed-collapse")).digest
    changed = copy.deepcopy(data)
    changed["states"]["collapse"]["critical"][0]["within"] = 121
    assert Definition(changed).digest != Definition(data).digest
    assert Definition(data).initial()["digest"] == Definition(data).digest


def test_definition_does_not_keep_the_callers_dict():
    data = strip_lines(load("ed-collapse"))
    d = Definition(data)
    data["states"]["collapse"]["pulse"] = True
    assert d.states["collapse"]["pulse"] is False


def test_expected_gives_the_ideal_path_with_its_times_and_notes():
    expected = definition("ed-collapse").expected()
    assert expected[0] == {
        "t": 0,
        "clock": "0:00",
        "code": "assign_roles",
        "text": "Team roles assigned.",
        "note": "Leader, compressor, airway, monitor, drugs, recorder.",
    }
    assert [e["t"] for e in expected][:6] == [0, 10, 20, 22, 37, 42]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "ed-collapse",
            {
                ("lidocaine-and-amiodarone", "error"),
                ("sync-pulseless", "error"),
                ("atropine-in-arrest", "error"),
                ("cpr-pause-over-10s", "error"),
                ("rhythm-check-missed", "error"),
                ("epi-before-second-shock", "error"),
                ("epi-too-soon", "error"),
                ("epi-overdue", "error"),
                ("first-shock", "missed"),
                ("first-epinephrine", "missed"),
            },
        ),
        (
            "mall-collapse",
            {
                ("cpr-pause-over-10s", "error"),
                ("rhythm-check-missed", "error"),
                ("compressions-started", "missed"),
                ("aed-shock", "missed"),
            },
        ),
    ],
)
def test_error_paths_reach_every_critical_error_and_requirement(name, expected):
    d = definition(name, rule_lessons=RULE_LESSONS)
    paths = error_paths(d)
    assert {(p.id, p.kind) for p in paths} == expected
    for path in paths:
        score = play(d, path.steps).score
        assert score["passed"] is False
        finding = next(f for f in score["findings"] if f["id"] == path.id)
        assert finding["kind"] == path.kind
        assert finding["debrief"]
        assert finding["lesson"]
