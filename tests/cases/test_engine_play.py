"""The engine plays the two sample cases: the ideal path passes, the events read as a
log, and the state survives a JSON round trip."""

from __future__ import annotations

import json

import pytest

from cases.engine import Action
from tests.cases.engine_helpers import definition


def test_ideal_vf_case_reaches_rosc_and_passes():
    case = definition("ed-collapse")
    score = case.score(case.replay_ideal())
    assert score["passed"] is True
    assert score["ended_by"] == "rosc"
    assert score["findings"] == []
    assert score["first_shock_t"] == 42
    assert score["first_epi_t"] == 177
    assert 0.8 < score["cpr_fraction"] < 1


def test_ideal_lay_case_passes_with_the_aed():
    case = definition("mall-collapse")
    score = case.score(case.replay_ideal())
    assert score["passed"] is True
    assert score["ended_by"] == "recovered"


def test_state_round_trips_through_json_at_every_step():
    case = definition("ed-collapse")
    state = case.initial()
    for step in case.data["ideal"]:
        state = json.loads(json.dumps(state))
        action = Action(
            step["do"], {k: str(v) for k, v in (step.get("with") or {}).items()}
        )
        state = case.act(state, action).state
    assert state["finished"] is True


def test_load_definition_checks_the_file_but_not_the_course():
    from cases.engine import load_definition
    from tests.cases.engine_helpers import load

    case = load_definition(load("ed-collapse"))
    assert case.score(case.replay_ideal())["passed"] is True
    data = load("ed-collapse")
    data["start"] = "nowhere"
    with pytest.raises(ValueError, match="start: unknown state 'nowhere'"):
        load_definition(data)
