"""Each generic rule of the engine fires when it should and only then, at the
simulated second it happened (cases/engine/rules.py; CASES_SPEC "Generic rules")."""

from __future__ import annotations

import pytest

from tests.cases.engine_helpers import CPR, EPI, SHOCK, A, case, fired, run, scene

RUNNING = {"compressions": True, "pads": True, "access": "io"}  # mid-arrest set-up


def at(played) -> int:
    return played.state["t"]


# --- cpr-pause-over-10s ---------------------------------------------------------------


def test_rhythm_check_shock_and_resume_in_10_seconds_is_not_a_long_pause():
    played = run(case(setup=RUNNING), A("analyze"), SHOCK, CPR)
    assert at(played) == 10  # analyze 5 + shock 3 + resume 2
    assert "cpr-pause-over-10s" not in fired(played)


def test_one_second_more_off_the_chest_is_a_long_pause_at_the_11th_second():
    played = run(case(setup=RUNNING), A("pause_cpr"), A("analyze"), SHOCK, CPR)
    assert at(played) == 11
    assert fired(played)["cpr-pause-over-10s"] == 11


def test_pause_before_the_first_compressions_counts_from_recognition():
    # Recognized at 10 s (the pulse check ends); the call and compressions take 7 s.
    quick = run(case(), A("check_breathing_pulse"), A("call_help"), CPR)
    assert "cpr-pause-over-10s" not in fired(quick)
    slow = run(
        case(), A("check_breathing_pulse"), A("call_help"), A("attach_pads"), CPR
    )
    assert fired(slow)["cpr-pause-over-10s"] == 21


def test_no_pause_is_counted_before_the_arrest_is_recognized():
    played = run(
        case(), A("call_help"), A("attach_pads"), A("attach_monitor"), A("history")
    )
    assert "cpr-pause-over-10s" not in fired(played)


def test_pulse_check_straight_after_the_rhythm_check_fits_in_the_pause():
    played = run(
        case({"a": scene("asystole")}, setup=RUNNING),
        A("analyze"),
        A("check_breathing_pulse"),
        CPR,
    )
    assert at(played) == 10
    assert "cpr-pause-over-10s" not in fired(played)


def test_a_pulse_check_on_its_own_takes_its_10_seconds():
    played = run(
        case({"a": scene("asystole")}, setup=RUNNING),
        A("pause_cpr"),
        A("check_breathing_pulse"),
        CPR,
    )
    assert fired(played)["cpr-pause-over-10s"] == 11


def test_no_pause_rule_on_a_patient_with_a_pulse():
    played = run(
        case({"a": scene("sinus", pulse=True)}),
        A("check_breathing_pulse"),
        A("advance"),
    )
    assert "cpr-pause-over-10s" not in fired(played)


# --- rhythm-check-missed --------------------------------------------------------------


def _to_150(definition):
    return [A("advance"), A("check_glucose")]  # 120 + 30


def test_rhythm_check_at_2_minutes_30_is_in_time():
    definition = case(setup=RUNNING)
    played = run(definition, *_to_150(definition), A("analyze"))
    assert "rhythm-check-missed" not in fired(played)


def test_rhythm_check_missed_fires_at_2_minutes_31():
    definition = case(setup=RUNNING)
    played = run(definition, *_to_150(definition), A("ventilate", rate=10))
    assert fired(played)["rhythm-check-missed"] == 151


def test_no_rhythm_check_is_due_before_pads_or_a_monitor_are_on():
    played = run(case(setup={"compressions": True}), A("advance"), A("advance"))
    assert at(played) == 240
    assert "rhythm-check-missed" not in fired(played)


def test_the_2_30_counts_from_when_the_pads_went_on():
    played = run(
        case(setup={"compressions": True}),
        A("advance"),
        A("attach_pads"),
        A("advance"),
        A("history"),
    )
    # Pads on at 135: a check is due by 285.
    assert at(played) == 260
    assert "rhythm-check-missed" not in fired(played)
    later = run(
        case(setup={"compressions": True}),
        A("advance"),
        A("attach_pads"),
        A("advance"),
        A("advance"),
    )
    assert fired(later)["rhythm-check-missed"] == 286


# --- epinephrine timing -----------------------------------------------------------------

ASYSTOLE = {"a": scene("asystole")}
TO_179 = [
    A("advance"),
    A("check_glucose"),
    A("history"),
    A("call_help"),
    A("ventilate", rate=10),
    A("ventilate", rate=10),
]
TO_180 = [
    A("advance"),
    A("check_glucose"),
    A("history"),
    A("call_help"),
    A("closed_loop"),
    A("ventilate", rate=10),
]


def test_epinephrine_again_at_179_seconds_is_too_soon():
    played = run(case(ASYSTOLE, setup=RUNNING), EPI, *TO_179)
    assert at(played) == 179
    played = run(case(ASYSTOLE, setup=RUNNING), EPI, *TO_179, EPI)
    assert fired(played)["epi-too-soon"] == 179


def test_epinephrine_again_at_180_seconds_is_on_time():
    played = run(case(ASYSTOLE, setup=RUNNING), EPI, *TO_180)
    assert at(played) == 180
    played = run(case(ASYSTOLE, setup=RUNNING), EPI, *TO_180, EPI)
    assert "epi-too-soon" not in fired(played)


def test_other_epinephrine_doses_do_not_restart_the_3_to_5_minute_clock():
    push = A("drug", drug="epinephrine", dose="0.1mg-iv")
    played = run(case(ASYSTOLE, setup=RUNNING), push, A("history"), push)
    assert "epi-too-soon" not in fired(played)


def test_epinephrine_overdue_after_5_minutes_30():
    played = run(
        case(ASYSTOLE, setup=RUNNING),
        EPI,
        A("advance"),
        A("advance"),
        A("labs"),
        A("check_glucose"),
    )
    assert at(played) == 330
    assert "epi-overdue" not in fired(played)
    on_time = run(
        case(ASYSTOLE, setup=RUNNING),
        EPI,
        A("advance"),
        A("advance"),
        A("labs"),
        A("check_glucose"),
        EPI,
        A("advance"),
    )
    assert "epi-overdue" not in fired(on_time)
    late = run(
        case(ASYSTOLE, setup=RUNNING),
        EPI,
        A("advance"),
        A("advance"),
        A("labs"),
        A("check_glucose"),
        A("ventilate", rate=10),
    )
    assert fired(late)["epi-overdue"] == 331


def test_epinephrine_is_not_overdue_once_the_arrest_is_over():
    states = {
        "a": scene("asystole", next=[{"on": "drug", "goto": "rosc"}]),
        "rosc": scene("sinus", pulse=True),
    }
    played = run(case(states, setup=RUNNING), EPI, *[A("advance")] * 8)
    assert played.state["at"] == "rosc"
    assert "epi-overdue" not in fired(played)


def test_epinephrine_before_the_second_shock_in_vf():
    one = run(case(setup=RUNNING), A("analyze"), SHOCK, CPR, EPI)
    assert fired(one)["epi-before-second-shock"] == 10
    two = run(
        case(setup=RUNNING),
        A("analyze"),
        SHOCK,
        CPR,
        A("advance"),
        A("analyze"),
        SHOCK,
        CPR,
        EPI,
    )
    assert "epi-before-second-shock" not in fired(two)


def test_epinephrine_in_asystole_needs_no_shock_first():
    played = run(case(ASYSTOLE, setup=RUNNING), EPI)
    assert fired(played) == {}


def test_epinephrine_goes_on_when_asystole_turns_into_vf():
    states = {
        "a": scene("asystole", next=[{"after": 100, "goto": "vf"}]),
        "vf": scene("vf-coarse"),
    }
    played = run(
        case(states, setup=RUNNING), EPI, A("advance"), A("labs"), A("labs"), EPI
    )
    assert played.state["at"] == "vf"
    assert "epi-before-second-shock" not in fired(played)
    assert "epi-too-soon" not in fired(played)


# --- electricity and drugs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rhythm", "pulse", "expected"),
    [
        ("vf-coarse", False, None),
        ("vf-fine", False, None),
        ("vt-mono", False, None),
        ("asystole", False, "shock-nonshockable"),
        ("sinus", False, "shock-nonshockable"),  # PEA
        ("sinus-tachy", True, "shock-with-pulse"),
        ("vt-mono", True, "shock-with-pulse"),
        ("vt-poly", True, None),
        ("torsades", True, None),
    ],
)
def test_unsynchronized_shock(rhythm, pulse, expected):
    played = run(case({"a": scene(rhythm, pulse=pulse)}), A("attach_pads"), SHOCK)
    errors = {k for k in fired(played) if k.startswith("shock-")}
    assert errors == ({expected} if expected else set())


@pytest.mark.parametrize(
    ("rhythm", "pulse", "fires"),
    [
        ("vf-coarse", False, True),
        ("vt-mono", False, True),
        ("vt-mono", True, False),
        ("svt", True, False),
    ],
)
def test_synchronized_cardioversion_without_a_pulse(rhythm, pulse, fires):
    played = run(
        case({"a": scene(rhythm, pulse=pulse)}),
        A("attach_pads"),
        A("sync_cardioversion", energy=100),
    )
    assert ("sync-pulseless" in fired(played)) is fires


@pytest.mark.parametrize(
    ("rhythm", "pulse", "fires"),
    [
        ("asystole", False, True),
        ("sinus", False, True),
        ("sinus-brady", True, False),
    ],
)
def test_atropine_in_arrest(rhythm, pulse, fires):
    played = run(
        case({"a": scene(rhythm, pulse=pulse)}),
        A("iv_access"),
        A("drug", drug="atropine", dose="1mg"),
    )
    assert ("atropine-in-arrest" in fired(played)) is fires


def test_compressions_on_a_responsive_patient():
    awake = scene("sinus", pulse=True, responsive=True)
    assert "cpr-with-pulse-responsive" in fired(run(case({"a": awake}), CPR))
    # Unresponsive and gasping with a pulse: compressions are not this error.
    gasping = scene("sinus-brady", pulse=True, breathing="agonal")
    assert "cpr-with-pulse-responsive" not in fired(run(case({"a": gasping}), CPR))


def test_lay_and_bls_toolkits_have_no_acls_rules():
    played = run(
        case({"a": scene("asystole")}, toolkit="bls"),
        A("attach_pads", pads="adult"),
        A("analyze"),
        A("shock"),
    )
    assert fired(played) == {}  # the AED advised no shock: the shock was refused
    assert played.events[-1]["kind"] == "refused"


# --- deviations ---------------------------------------------------------------------------


def test_cpr_fraction_below_80_percent_is_a_deviation_not_a_failure():
    played = run(
        case(setup=RUNNING),
        A("analyze"),
        SHOCK,
        CPR,
        A("pause_cpr"),
        A("check_breathing_pulse"),
        CPR,
        A("terminate"),
    )
    score = played.score
    low = [f for f in score["findings"] if f["id"] == "cpr-fraction-low"]
    assert low and low[0]["kind"] == "deviation"
    assert score["cpr_fraction"] < 0.8


def test_cpr_fraction_above_80_percent_is_not_mentioned():
    played = run(
        case(setup=RUNNING),
        A("advance"),
        A("analyze"),
        SHOCK,
        CPR,
        A("advance"),
        A("terminate"),
    )
    assert played.score["cpr_fraction"] > 0.8
    assert "cpr-fraction-low" not in fired(played)


@pytest.mark.parametrize(
    ("steps", "fires"),
    [
        ([A("attach_monitor"), A("history"), A("reassess"), A("call_help")], False),
        (
            [
                A("attach_monitor"),
                A("history"),
                A("reassess"),
                A("closed_loop"),
                A("closed_loop"),
            ],
            True,
        ),
    ],
    ids=["roles-at-60-s", "roles-at-61-s"],
)
def test_team_roles_in_the_first_minute(steps, fires):
    played = run(
        case({"a": scene("sinus", pulse=True)}, team=True),
        *steps,
        A("assign_roles"),
        A("handoff"),
    )
    assert played.state["timeline"][-2]["t"] == (61 if fires else 60)
    assert ("no-roles" in fired(played)) is fires


def test_no_roles_only_in_team_cases():
    played = run(case({"a": scene("sinus", pulse=True)}), A("advance"), A("handoff"))
    assert "no-roles" not in fired(played)


def test_each_rule_fires_once_per_attempt():
    played = run(case({"a": scene("asystole")}), A("attach_pads"), SHOCK, SHOCK)
    assert [f["id"] for f in played.state["findings"]].count("shock-nonshockable") == 1
