"""What the page may show: the monitor only as far as it was measured, and never a
state id, a rhythm name, what comes next, what is critical or whether an action was
right; the log reads plainly, in the past tense."""

from __future__ import annotations

import json
import re

import pytest

from cases.engine.rules import RHYTHMS
from cases.engine.testing import error_paths, play
from tests.cases.engine_helpers import CPR, EPI, SHOCK, A, case, definition, run, scene

SECRET_STATES = {
    "secret-arrest": scene(
        "vf-coarse",
        next=[{"on": "shock", "goto": "secret-rosc"}],
        critical=[
            {
                "id": "secret-critical",
                "do": "shock",
                "within": 60,
                "debrief": "d",
                "lesson": "vf-pvt",
            }
        ],
    ),
    "secret-rosc": scene(
        "sinus",
        pulse=True,
        breathing="agonal",
        vitals={"hr": 92, "bp": "96/60", "spo2": 94, "etco2": 35, "rr": 8},
    ),
}
FORBIDDEN_KEYS = {
    "next",
    "critical",
    "errors",
    "deviations",
    "rhythm",
    "goto",
    "at",
    "state",
    "findings",
    "ideal",
}


def keys_of(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


def test_view_never_shows_state_ids_rhythms_or_what_comes_next():
    definition = case(SECRET_STATES, setup={"pads": True, "monitor": True})
    state = definition.initial()
    views = [definition.view(state)]
    for action in (A("check_breathing_pulse"), CPR, A("analyze"), SHOCK, A("reassess")):
        state = definition.act(state, action).state
        views.append(definition.view(state))
    assert state["at"] == "secret-rosc"
    text = json.dumps(views)
    assert "secret" not in text
    for rhythm in RHYTHMS:
        assert not re.search(rf"\b{re.escape(rhythm)}\b", text), rhythm
    assert not FORBIDDEN_KEYS & set(keys_of(views))


def test_monitor_shows_nothing_before_it_is_attached():
    definition = case(
        {
            "a": scene(
                "sinus",
                pulse=True,
                vitals={"hr": 80, "bp": "120/80", "spo2": 97, "etco2": 38},
            )
        }
    )
    monitor = definition.view(definition.initial())["monitor"]
    assert monitor == {
        "attached": False,
        "strip": None,
        "artifact": False,
        "hr": None,
        "spo2": None,
        "bp": None,
        "etco2": None,
        "rr": None,
    }


def test_monitor_shows_rate_saturation_and_pressure_on_a_perfusing_patient():
    definition = case(
        {
            "a": scene(
                "sinus",
                pulse=True,
                vitals={"hr": 80, "bp": "120/80", "spo2": 97, "etco2": 38},
            )
        }
    )
    monitor = definition.view(run(definition, A("attach_monitor")).state)["monitor"]
    assert monitor["strip"] == "images/ecg/monitor/m-02.svg"
    assert (monitor["hr"], monitor["spo2"], monitor["bp"]) == (80, 97, "120/80")
    assert monitor["etco2"] is None  # no capnography yet
    with_capno = run(definition, A("attach_monitor"), A("capnography")).state
    assert definition.view(with_capno)["monitor"]["etco2"] == 38


def test_blood_pressure_by_cuff_without_a_monitor():
    definition = case({"a": scene("sinus", pulse=True, vitals={"bp": "84/50"})})
    assert (
        definition.view(run(definition, A("check_bp")).state)["monitor"]["bp"]
        == "84/50"
    )


def test_without_a_pulse_the_monitor_counts_complexes_but_shows_no_saturation():
    # PEA: the monitor shows the electrical rate as it would on a perfusing rhythm, so
    # the numbers never tell PEA from a return of circulation; only a pulse check does.
    definition = case(
        {"a": scene("sinus", vitals={"hr": 60, "spo2": 95, "etco2": 12})},
        setup={"monitor": True, "capnography": True},
    )
    monitor = definition.view(definition.initial())["monitor"]
    assert (monitor["hr"], monitor["spo2"], monitor["etco2"]) == (60, None, 12)
    pads_only = case({"a": scene("sinus", vitals={"hr": 60})}, setup={"pads": True})
    assert pads_only.view(pads_only.initial())["monitor"]["hr"] == 60


def test_no_rate_while_compressions_shake_the_trace():
    definition = case(
        {"a": scene("sinus", vitals={"hr": 60})},
        setup={"monitor": True, "compressions": True},
    )
    assert definition.view(definition.initial())["monitor"]["hr"] is None


def test_compressions_hide_the_rhythm_until_a_pause():
    definition = case(setup={"compressions": True, "pads": True})
    during = definition.view(definition.initial())["monitor"]
    assert (during["strip"], during["artifact"]) == (None, True)
    paused = definition.view(run(definition, A("analyze")).state)["monitor"]
    assert (paused["strip"], paused["artifact"]) == (
        "images/ecg/monitor/m-10.svg",
        False,
    )


def test_lay_toolkit_shows_no_monitor_only_the_aed():
    definition = case({"a": scene("vf-coarse")}, toolkit="lay")
    view = definition.view(run(definition, A("attach_pads", pads="adult")).state)
    assert view["monitor"]["attached"] is False
    assert view["monitor"]["strip"] is None
    assert view["aed"] == {"pads": True}


def test_clocks_of_the_cycle_and_of_epinephrine():
    definition = case(
        {"a": scene("asystole")}, setup={"compressions": True, "access": "io"}
    )
    view = definition.view(run(definition, EPI, A("history")).state)
    assert view["compressions"]["cycle_seconds"] == 30
    assert view["epinephrine_seconds_ago"] == 30  # given at 0:00
    assert view["clock"] == "0:30"


def test_log_lines_never_judge_or_name_a_rhythm():
    judging = re.compile(
        r"\b(correct|incorrect|wrong|right|error|mistake|good|bad|"
        r"should|must|missed)\b",
        re.IGNORECASE,
    )
    for name in ("ed-collapse", "mall-collapse"):
        d = definition(name)
        logs = [play(d, d.data["ideal"]).events]
        logs += [play(d, path.steps).events for path in error_paths(d)]
        for events in logs:
            for event in events:
                if event["kind"] == "narrative":
                    continue  # the author's text
                assert not judging.search(event["text"]), event
                for rhythm in RHYTHMS:
                    assert not re.search(rf"\b{re.escape(rhythm)}\b", event["text"]), (
                        event
                    )
                assert event["kind"] in {"action", "refused", "prompt", "end"}


def test_opening_event_is_the_start_narrative():
    d = definition("ed-collapse")
    assert d.opening_events() == [
        {
            "t": 0,
            "kind": "narrative",
            "code": None,
            "text": d.data["states"]["collapse"]["narrative"],
        }
    ]


@pytest.mark.parametrize("toolkit", ["lay", "bls", "acls"])
def test_every_action_of_every_toolkit_has_a_log_line(toolkit):
    from cases.engine.testing import step_for
    from cases.engine.vocabulary import ACTIONS, offered

    definition = case({"a": scene("vf-coarse")}, toolkit=toolkit)
    state = definition.initial()
    for code in ACTIONS:
        if offered(code, toolkit) and code not in ("handoff", "terminate"):
            step = step_for(definition, code)
            events = definition.act(state, A(step["do"], **step.get("with", {}))).events
            assert events[0]["text"], code
