"""The state machine: transitions on actions and on time, conditions, critical
requirements in time and late, case errors and deviations, refusals, the end."""

from __future__ import annotations

import pytest

from cases.engine import CaseFinished
from tests.cases.engine_helpers import CPR, EPI, SHOCK, A, case, fired, run, scene

RUNNING = {"compressions": True, "pads": True, "access": "io"}


def two_states(entry: dict, first: dict | None = None, **top):
    a = first or scene("vf-coarse")
    a = {**a, "next": [{**entry, "goto": "b"}, {"after": 3600, "goto": "dead"}]}
    return case(
        {"a": a, "b": scene("asystole", narrative="The trace goes flat.")}, **top
    )


def test_an_action_moves_the_case_at_the_end_of_its_time():
    played = run(two_states({"on": "shock"}, setup=RUNNING), A("analyze"), SHOCK)
    assert played.state["at"] == "b"
    assert played.state["entered"] == 8  # analyze 5, shock 3
    narrative = [e for e in played.events if e["kind"] == "narrative"][-1]
    assert (narrative["t"], narrative["text"]) == (8, "The trace goes flat.")


@pytest.mark.parametrize(("energy", "moves"), [(200, True), (120, False)])
def test_with_restricts_the_transition_to_those_options(energy, moves):
    definition = two_states(
        {"on": "shock", "with": {"energy": [200, 360]}}, setup=RUNNING
    )
    played = run(definition, A("shock", energy=energy))
    assert (played.state["at"] == "b") is moves


def test_a_timed_transition_fires_after_its_seconds_in_the_state():
    definition = two_states({"after": 90})
    assert (
        run(
            definition, A("check_glucose"), A("check_glucose"), A("check_glucose")
        ).state["at"]
        == "b"
    )
    assert (
        run(definition, A("check_glucose"), A("check_glucose"), A("history")).state[
            "at"
        ]
        == "a"
    )  # 80 s


def test_advance_stops_at_a_timed_transition():
    played = run(
        two_states({"after": 40}, first=scene("sinus", pulse=True)), A("advance")
    )
    assert played.state["t"] == 40
    assert played.state["at"] == "b"


def test_advance_runs_to_the_next_2_minute_mark_during_compressions():
    played = run(case(setup=RUNNING), A("history"), A("advance"))
    assert played.state["t"] == 120
    idle = run(case({"a": scene("sinus", pulse=True)}), A("history"), A("advance"))
    assert idle.state["t"] == 80


def test_a_timed_transition_waits_for_its_condition():
    definition = two_states(
        {"after": 30, "if": {"given": ["epinephrine"]}}, setup=RUNNING
    )
    waited = run(definition, A("advance"))
    assert waited.state["at"] == "a"
    given = run(definition, A("advance"), EPI)
    assert given.state["at"] == "b"
    assert given.state["entered"] == 120  # at once when the condition holds


CONDITIONS = [
    ({"shocks": 2}, [A("analyze"), SHOCK, SHOCK], [A("analyze"), SHOCK]),
    (
        {"given": ["epinephrine", "amiodarone"]},
        [EPI, A("drug", drug="amiodarone", dose="300mg")],
        [EPI],
    ),
    ({"doses": {"epinephrine": 2}}, [EPI, EPI], [EPI]),
    ({"done": ["capnography"]}, [A("capnography")], [A("history")]),
    ({"not_done": ["capnography"]}, [A("history")], [A("capnography")]),
    ({"cycles": 1}, [A("advance")], [A("history")]),
    (
        {"treated": ["hyperkalemia"]},
        [A("treat_cause", cause="hyperkalemia")],
        [A("treat_cause", cause="hypoxia")],
    ),
]


@pytest.mark.parametrize(
    ("cond", "meets", "fails"), CONDITIONS, ids=[next(iter(c[0])) for c in CONDITIONS]
)
def test_conditions_of_a_transition(cond, meets, fails):
    definition = two_states({"on": "reassess", "if": cond}, setup=RUNNING)
    assert run(definition, *meets, A("reassess")).state["at"] == "b"
    assert run(definition, *fails, A("reassess")).state["at"] == "a"


def test_transitions_are_checked_in_order():
    a = scene(
        "vf-coarse",
        next=[
            {"on": "reassess", "if": {"shocks": 1}, "goto": "b"},
            {"on": "reassess", "goto": "c"},
        ],
    )
    definition = case(
        {"a": a, "b": scene("asystole"), "c": scene("sinus", pulse=True)}, setup=RUNNING
    )
    assert run(definition, SHOCK, A("reassess")).state["at"] == "b"
    assert run(definition, A("reassess")).state["at"] == "c"


# --- critical requirements --------------------------------------------------------------


def critical_case(within=30, **item):
    requirement = {
        "id": "shock-soon",
        "do": "shock",
        "within": within,
        "debrief": "Shock soon.",
        "lesson": "vf-pvt",
        **item,
    }
    return case({"a": scene("vf-coarse", critical=[requirement])}, setup=RUNNING)


def test_requirement_met_at_the_last_second():
    played = run(critical_case(within=20), A("history"), SHOCK, A("terminate"))
    assert played.state["met"] == {"shock-soon": 20}
    assert played.score["passed"] is True


def test_requirement_missed_the_second_after_its_time():
    played = run(critical_case(within=19), A("history"), SHOCK, A("terminate"))
    assert fired(played) == {"shock-soon": 20}
    score = played.score
    assert score["passed"] is False
    assert score["findings"][0] == {
        "id": "shock-soon",
        "kind": "missed",
        "t": 20,
        "debrief": "Shock soon.",
        "lesson": "vf-pvt",
    }


def test_requirement_with_options():
    definition = critical_case(**{"with": {"energy": [200, 360]}})
    assert "shock-soon" in fired(
        run(definition, A("shock", energy=120), A("terminate"))
    )
    assert "shock-soon" not in fired(
        run(definition, A("shock", energy=360), A("terminate"))
    )


def test_requirement_alternatives():
    requirement = {
        "id": "rate",
        "within": 120,
        "debrief": "Support the rate.",
        "lesson": "vf-pvt",
        "any": [
            {"do": "pacing"},
            {"do": "drug", "with": {"drug": "dopamine", "dose": "infusion"}},
        ],
    }
    definition = case(
        {"a": scene("sinus-brady", pulse=True, critical=[requirement])},
        setup={"pads": True, "access": "iv"},
    )
    assert fired(run(definition, A("pacing"), A("handoff"))) == {}
    assert (
        fired(
            run(definition, A("drug", drug="dopamine", dose="infusion"), A("handoff"))
        )
        == {}
    )
    assert "rate" in fired(
        run(definition, A("drug", drug="atropine", dose="1mg"), A("handoff"))
    )


def test_requirement_stays_pending_after_its_state_is_left():
    requirement = {
        "id": "epi",
        "do": "drug",
        "with": {"drug": "epinephrine"},
        "within": 200,
        "debrief": "Epinephrine.",
        "lesson": "arrest-drugs",
    }
    a = scene(
        "asystole", critical=[requirement], next=[{"on": "reassess", "goto": "b"}]
    )
    definition = case({"a": a, "b": scene("sinus")}, setup=RUNNING)
    played = run(definition, A("reassess"), EPI, A("terminate"))
    assert played.state["at"] == "b"
    assert played.state["met"] == {"epi": 15}


def test_ending_early_misses_what_is_pending():
    played = run(critical_case(within=300), A("terminate"))
    assert played.score["findings"][0]["kind"] == "missed"
    assert played.score["passed"] is False


# --- case errors and deviations ----------------------------------------------------------


def test_case_error_with_a_condition():
    error = {
        "id": "both-antiarrhythmics",
        "do": "drug",
        "with": {"drug": "lidocaine"},
        "if": {"given": ["amiodarone"]},
        "debrief": "Not both.",
        "lesson": "vf-pvt",
    }
    definition = case({"a": scene("vf-coarse", errors=[error])}, setup=RUNNING)
    lido = A("drug", drug="lidocaine", dose="1-1.5mgkg")
    assert fired(run(definition, lido)) == {}
    played = run(definition, A("drug", drug="amiodarone", dose="300mg"), lido)
    assert fired(played) == {"both-antiarrhythmics": 10}


def test_deviation_for_a_missing_action_is_named_when_the_state_is_left():
    deviation = {
        "id": "no-capno",
        "missing": "capnography",
        "debrief": "Capnography.",
        "lesson": "arrest-airway",
    }
    definition = case({"a": scene("vf-coarse", deviations=[deviation])}, setup=RUNNING)
    played = run(definition, A("history"), A("terminate"))
    assert [(f["id"], f["kind"]) for f in played.score["findings"]][:1] == [
        ("no-capno", "deviation")
    ]
    assert played.score["passed"] is True  # a deviation does not fail
    assert "no-capno" not in fired(run(definition, A("capnography"), A("terminate")))


def test_deviation_for_an_action_done():
    deviation = {
        "id": "oxygen-max",
        "do": "oxygen",
        "with": {"target": "max"},
        "debrief": "Titrate.",
        "lesson": "arrest-airway",
    }
    definition = case({"a": scene("sinus", pulse=True, deviations=[deviation])})
    assert fired(run(definition, A("oxygen", target="max"))) == {"oxygen-max": 0}
    assert fired(run(definition, A("oxygen", target="spo2-90-98"))) == {}


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "action", "text"),
    [
        ({}, EPI, "No IV or IO access yet."),
        ({}, A("shock", energy=200), "Attach defibrillator pads first."),
        ({}, A("analyze"), "Attach pads or a monitor first."),
        ({"access": "io"}, A("iv_access"), "IV or IO access is already in place."),
    ],
)
def test_refused_actions_cost_2_seconds_and_are_not_errors(setup, action, text):
    played = run(case({"a": scene("asystole")}, setup=setup), action)
    assert played.state["t"] == 2
    assert played.events[-1] == {
        "t": 0,
        "kind": "refused",
        "text": text,
        "code": action.code,
    }
    assert fired(played) == {}
    assert played.state["done"] == {}


def test_refused_drug_does_not_count_as_given():
    definition = two_states({"on": "reassess", "if": {"given": ["epinephrine"]}})
    assert run(definition, EPI, A("reassess")).state["at"] == "a"


def test_pads_refused_until_the_aed_arrives():
    a = scene("vf-coarse", aed=False, next=[{"after": 60, "goto": "b"}])
    definition = case({"a": a, "b": scene("vf-coarse")}, toolkit="bls")
    early = run(definition, A("attach_pads", pads="adult"))
    assert early.events[-1]["text"] == "The AED has not arrived yet."
    later = run(definition, A("advance"), A("attach_pads", pads="adult"))
    assert later.state["pads"] is True


def test_the_aed_shocks_only_after_advising_it():
    definition = case({"a": scene("vf-coarse")}, toolkit="lay")
    played = run(definition, A("attach_pads", pads="adult"), A("shock"))
    assert played.events[-1]["text"] == "The AED has not advised a shock."
    played = run(definition, A("attach_pads", pads="adult"), A("analyze"), A("shock"))
    texts = [e["text"] for e in played.events]
    assert any("Shock advised" in t for t in texts)
    assert played.state["done"]["shock"] == 1


def test_the_aed_prompts_at_the_2_minute_mark():
    definition = case(
        {"a": scene("vf-coarse")},
        toolkit="bls",
        setup={"compressions": True, "pads": True},
    )
    played = run(definition, A("advance"))
    assert played.events[-1]["kind"] == "prompt"
    assert played.events[-1]["t"] == 120


# --- the end ----------------------------------------------------------------------------


def test_an_end_state_ends_the_case_and_act_then_refuses():
    definition = two_states({"on": "reassess"})
    definition.states["b"] = {**definition.states["b"], "end": "death"}
    definition.states["b"].pop("next")
    played = run(definition, A("reassess"))
    assert played.state["finished"] is True
    assert played.score["ended_by"] == "death"
    with pytest.raises(CaseFinished):
        definition.act(played.state, A("history"))


@pytest.mark.parametrize("code", ["handoff", "terminate"])
def test_handoff_and_terminate_end_the_case(code):
    played = run(case({"a": scene(may_end=[code])}), A(code))
    assert played.state["finished"] is True
    assert played.score["ended_by"] == code
    assert played.score["passed"] is True


@pytest.mark.parametrize("code", ["handoff", "terminate"])
def test_ending_where_the_state_does_not_allow_it_fails_the_case(code):
    # Stopping or handing over mid-arrest with nothing else pending must not pass:
    # only the states the author marks `may_end` end a case well.
    played = run(case({"a": scene(may_end=None)}), A(code))
    assert played.state["finished"] is True
    assert played.score["passed"] is False
    assert [f["id"] for f in played.score["findings"]] == ["ended-too-early"]
    other = "terminate" if code == "handoff" else "handoff"
    played = run(case({"a": scene(may_end=[other])}), A(code))
    assert played.score["passed"] is False


def test_the_time_limit_ends_the_case_unpassed():
    played = run(
        case({"a": scene("sinus", pulse=True)}, time_limit=120),
        A("advance"),
        A("advance"),
        A("advance"),
    )
    assert played.state["t"] == 120
    score = played.score
    assert (score["ended_by"], score["passed"]) == ("time_limit", False)
    assert score["findings"][-1]["id"] == "time-limit"


def test_actions_outside_the_toolkit_are_refused_with_value_error():
    definition = case(toolkit="lay")
    with pytest.raises(ValueError, match="Unknown action"):
        definition.act(definition.initial(), A("iv_access"))
    with pytest.raises(ValueError, match="Choose a dose"):
        case().act(case().initial(), A("drug", drug="epinephrine"))


def test_missing_deviation_honours_with():
    deviation = {
        "id": "no-sedation",
        "missing": "drug",
        "with": {"drug": "sedation"},
        "debrief": "Sedate first.",
        "lesson": "vf-pvt",
    }
    definition = case(
        {"a": scene("svt", pulse=True, deviations=[deviation])}, setup={"access": "iv"}
    )
    atropine = A("drug", drug="atropine", dose="1mg")
    assert "no-sedation" in fired(run(definition, atropine, A("handoff")))
    sedation = A("drug", drug="sedation", dose="procedural")
    assert "no-sedation" not in fired(run(definition, sedation, A("handoff")))


def test_deviation_done_with_a_condition():
    deviation = {
        "id": "shock-awake",
        "do": "sync_cardioversion",
        "if": {"not_given": ["sedation"]},
        "debrief": "Sedate first.",
        "lesson": "vf-pvt",
    }
    definition = case(
        {"a": scene("svt", pulse=True, deviations=[deviation])},
        setup={"access": "iv", "pads": True},
    )
    sync = A("sync_cardioversion", energy=50)
    assert "shock-awake" in fired(run(definition, sync))
    sedation = A("drug", drug="sedation", dose="procedural")
    assert "shock-awake" not in fired(run(definition, sedation, sync))


def test_resuming_compressions_cancels_the_aed_advice():
    definition = case({"a": scene("vf-coarse")}, toolkit="lay")
    played = run(
        definition, A("attach_pads", pads="adult"), A("analyze"), CPR, A("shock")
    )
    assert played.events[-1]["text"] == "The AED has not advised a shock."


def test_the_advance_line_says_what_went_on():
    def line(definition, *actions):
        return run(definition, *actions).state["timeline"][-1]["text"]

    assert line(case(setup=RUNNING), A("advance")) == (
        "Compressions went on to the next rhythm check."
    )
    assert (
        line(case(setup={"compressions": True}), A("advance"))
        == "Compressions went on."
    )
    with_pulse = case({"a": scene("sinus", pulse=True)}, setup={"compressions": True})
    assert line(with_pulse, A("advance")) == "Compressions went on for a minute."
    assert (
        line(case({"a": scene("sinus", pulse=True)}), A("advance"))
        == "Waited a minute."
    )
