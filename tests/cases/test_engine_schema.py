"""Validation of case files: every class of mistake is reported with the YAML path of
the value at fault, which the reader maps to a file line."""

from __future__ import annotations

import copy

import pytest

from cases.engine import line_of, validate, validate_rules
from cases.engine.engine import strip_lines
from tests.cases.engine_helpers import IMAGES, LESSONS, RULE_LESSONS, load

BASE = strip_lines(load("ed-collapse"))
LAY = strip_lines(load("mall-collapse"))


def problems(data, **kwargs):
    kwargs.setdefault("lessons", LESSONS)
    kwargs.setdefault("images", IMAGES)
    kwargs.setdefault("rule_lessons", RULE_LESSONS)
    return [(p.path, p.message) for p in validate(data, **kwargs)]


def edited(edit, base=BASE):
    data = copy.deepcopy(base)
    edit(data)
    return data


def only(data, **kwargs):
    found = problems(data, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_sample_cases_are_valid():
    assert problems(BASE) == []
    assert problems(LAY) == []


def test_sample_cases_read_with_line_keys_are_valid_too():
    assert problems(load("ed-collapse")) == []


def test_missing_required_key():
    path, message = only(edited(lambda d: d.pop("algorithm")))
    assert (path, message) == ((), "the case needs 'algorithm'")


def test_typo_in_a_top_level_key():
    found = problems(edited(lambda d: d.update(summery=d.pop("summary"))))
    assert [p for p, m in found if "unknown key 'summery'" in m] == [("summery",)]
    assert ((), "the case needs 'summary'") in found


def test_typo_in_a_state_key():
    def edit(d):
        d["states"]["collapse"]["narative"] = "x"

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "narative")
    assert "unknown key" in message


def test_wrong_type():
    path, message = only(edited(lambda d: d.update(time_limit="ten")))
    assert (path, message) == (("time_limit",), "must be a whole number")


def test_boolean_must_be_a_boolean():
    def edit(d):
        d["states"]["collapse"]["pulse"] = "no"

    assert (("states", "collapse", "pulse"), "must be true or false") in problems(
        edited(edit)
    )


def test_unknown_start_state():
    path, message = only(edited(lambda d: d.update(start="colapse")))
    assert (path, message) == (("start",), "unknown state 'colapse'")


def test_goto_an_unknown_state():
    def edit(d):
        d["states"]["collapse"]["next"][1]["goto"] = "asystol"

    found = problems(edited(edit))
    assert (
        ("states", "collapse", "next", 1, "goto"),
        "unknown state 'asystol'",
    ) in found


def test_unknown_action():
    def edit(d):
        d["states"]["collapse"]["critical"][0]["do"] = "defibrillate"

    path, message = only(edited(edit))
    assert (path, message) == (
        ("states", "collapse", "critical", 0, "do"),
        "unknown action 'defibrillate'",
    )


def test_action_outside_the_toolkit():
    def edit(d):
        d["states"]["collapse"]["next"][0]["on"] = "iv_access"

    path, message = only(edited(edit, LAY))
    assert path == ("states", "collapse", "next", 0, "on")
    assert message == "action 'iv_access' is not offered in the lay toolkit"


def test_with_value_not_among_the_options():
    def edit(d):
        d["states"]["collapse"]["critical"][0]["with"]["energy"] = [200, 250]

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "critical", 0, "with", "energy")
    assert message.startswith("'250' is not an option of 'energy'")


def test_with_a_parameter_the_action_does_not_have():
    def edit(d):
        d["states"]["collapse"]["critical"][1]["with"]["route"] = "io"

    path, _ = only(edited(edit))
    assert path == ("states", "collapse", "critical", 1, "with", "route")


def test_dose_of_another_drug():
    def edit(d):
        d["states"]["collapse"]["critical"][1]["with"]["dose"] = "300mg"

    path, _ = only(edited(edit))
    assert path == ("states", "collapse", "critical", 1, "with", "dose")


@pytest.mark.parametrize(
    ("cond", "where", "fragment"),
    [
        ({"shock": 3}, ("shock",), "unknown condition 'shock'"),
        ({"shocks": "three"}, ("shocks",), "must be a whole number"),
        ({"given": ["epinefrine"]}, ("given",), "unknown drug 'epinefrine'"),
        ({"done": ["shocks"]}, ("done",), "unknown action 'shocks'"),
        ({"treated": ["hypoglycemia"]}, ("treated",), "unknown cause"),
        ({"doses": {"epinephrine": 0}}, ("doses", "epinephrine"), "must be from 1"),
    ],
)
def test_malformed_condition(cond, where, fragment):
    def edit(d):
        d["states"]["collapse"]["next"][0]["if"] = cond

    found = problems(edited(edit))
    paths = [p for p, m in found if fragment in m]
    assert paths == [("states", "collapse", "next", 0, "if", *where)], found


def test_unknown_lesson():
    def edit(d):
        d["states"]["collapse"]["critical"][0]["lesson"] = "vf"

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "critical", 0, "lesson")
    assert "unknown lesson 'vf'" in message


@pytest.mark.parametrize(
    ("strip", "fragment"),
    [
        ("images/ecg/monitor/m-21.svg", "no such image"),
        ("images/ecg/strip-01.svg", "must be images/ecg/monitor/m-NN.svg"),
    ],
)
def test_strip_must_be_a_monitor_strip_of_the_course(strip, fragment):
    def edit(d):
        d["states"]["collapse"]["strip"] = strip

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "strip")
    assert fragment in message


def test_acls_state_with_a_rhythm_needs_a_strip():
    def edit(d):
        del d["states"]["collapse"]["strip"]

    assert only(edited(edit)) == (
        ("states", "collapse"),
        "a state with a rhythm needs its monitor 'strip'",
    )


def test_unknown_rhythm():
    def edit(d):
        d["states"]["collapse"]["rhythm"] = "vfib"

    assert (("states", "collapse", "rhythm"), "unknown rhythm 'vfib'") in problems(
        edited(edit)
    )


def test_dead_end_state():
    def edit(d):
        del d["states"]["asystole"]["next"]

    found = problems(edited(edit))
    assert (
        ("states", "asystole"),
        "state 'asystole' needs 'next' (a way out) or 'end'",
    ) in found


def test_unreachable_state():
    def edit(d):
        d["states"]["orphan"] = copy.deepcopy(d["states"]["asystole"])

    assert only(edited(edit)) == (
        ("states", "orphan"),
        "state 'orphan' cannot be reached from 'collapse'",
    )


def test_state_that_cannot_reach_an_end():
    def edit(d):
        d["states"]["asystole"]["next"] = [{"after": 60, "goto": "asystole"}]

    assert problems(edited(edit)) == [
        (("states", "death"), "state 'death' cannot be reached from 'collapse'"),
        (("states", "asystole"), "no end state can be reached from state 'asystole'"),
    ]


def test_end_state_with_next():
    def edit(d):
        d["states"]["rosc"]["next"] = [{"after": 60, "goto": "asystole"}]

    assert only(edited(edit)) == (
        ("states", "rosc", "next"),
        "an end state has no 'next'",
    )


def test_unknown_end_kind():
    def edit(d):
        d["states"]["rosc"]["end"] = "alive"

    path, _ = only(edited(edit))
    assert path == ("states", "rosc", "end")


def test_transition_with_both_on_and_after():
    def edit(d):
        d["states"]["collapse"]["next"][1]["on"] = "analyze"

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "next", 1)
    assert "not both" in message


def test_duplicate_ids():
    def edit(d):
        d["states"]["collapse"]["critical"][1]["id"] = "first-shock"

    path, message = only(edited(edit))
    assert path == ("states", "collapse", "critical", 1, "id")
    assert "used twice" in message


def test_an_identical_error_may_repeat_in_another_state():
    def edit(d):
        d["states"]["asystole"]["errors"] = copy.deepcopy(
            d["states"]["collapse"]["errors"]
        )

    assert problems(edited(edit)) == []

    def different(d):
        d["states"]["asystole"]["errors"] = copy.deepcopy(
            d["states"]["collapse"]["errors"]
        )
        d["states"]["asystole"]["errors"][0]["debrief"] = "Another text."

    path, _ = only(edited(different))
    assert path == ("states", "asystole", "errors", 0, "id")


def test_unknown_finding_key_and_bad_vitals():
    def edit(d):
        d["states"]["rosc"]["findings"] = {"potassium": "7.9"}
        d["states"]["rosc"]["vitals"]["bp"] = "88 over 50"

    found = dict(problems(edited(edit)))
    assert ("states", "rosc", "findings", "potassium") in found
    assert (
        found[("states", "rosc", "vitals", "bp")]
        == 'blood pressure is text like "90/60"'
    )


def test_ideal_step_with_an_unknown_action_or_missing_option():
    def edit(d):
        d["ideal"][5] = {"do": "shock"}
        d["ideal"][1] = {"do": "check_pulse"}

    found = problems(edited(edit))
    assert (("ideal", 5, "do"), "Choose an energy ('shock')") in found
    assert (("ideal", 1, "do"), "Unknown action ('check_pulse')") in found


def test_ideal_step_refused_by_the_engine():
    def edit(d):
        del d["ideal"][7]  # no access: epinephrine is refused

    found = problems(edited(edit))
    assert found[0] == (("ideal", 12), "refused by the engine: No IV or IO access yet.")


def test_ideal_path_that_does_not_pass():
    def edit(d):
        d["ideal"].insert(9, d["ideal"].pop(13))  # epinephrine before the second shock

    found = problems(edited(edit))
    assert found[0] == (
        ("ideal",),
        "the ideal path does not pass: error 'epi-before-second-shock' at 1:27",
    )


def test_ideal_path_that_does_not_end_the_case():
    def edit(d):
        del d["ideal"][-1]

    assert only(edited(edit)) == (("ideal",), "the ideal path does not end the case")


def test_every_generic_rule_of_the_toolkit_needs_a_lesson():
    rule_lessons = {k: v for k, v in RULE_LESSONS.items() if k != "epi-overdue"}
    found = problems(BASE, rule_lessons=rule_lessons)
    assert found == [
        (
            ("toolkit",),
            "rules.yaml maps no lesson for generic rule "
            "'epi-overdue' (fires in acls cases)",
        )
    ]
    lay_rules = {
        k: v
        for k, v in RULE_LESSONS.items()
        if k.startswith(("cpr", "rhythm", "shock-with", "ended"))
    }
    assert problems(LAY, rule_lessons=lay_rules) == []


def test_rules_file_validation():
    assert validate_rules(RULE_LESSONS, lessons=LESSONS, toolkits={"acls", "bls"}) == []
    bad = {**RULE_LESSONS, "epi-late": "arrest-drugs", "epi-overdue": "nowhere"}
    del bad["no-roles"]
    found = [
        (p.path, p.message)
        for p in validate_rules(bad, lessons=LESSONS, toolkits={"acls"})
    ]
    assert [p for p, m in found if "unknown generic rule 'epi-late'" in m] == [
        ("epi-late",)
    ]
    assert (
        ("epi-overdue",),
        "unknown lesson 'nowhere' (not a lesson of this course)",
    ) in found
    assert ((), "no lesson for generic rule 'no-roles'") in found
    # A lay course needs no ACLS rule.
    lay = {
        k: RULE_LESSONS[k]
        for k in (
            "shock-with-pulse",
            "cpr-pause-over-10s",
            "rhythm-check-missed",
            "cpr-with-pulse-responsive",
            "cpr-fraction-low",
            "ended-too-early",
        )
    }
    assert validate_rules(lay, lessons=LESSONS, toolkits={"lay"}) == []


def test_line_of_maps_a_problem_to_its_file_line():
    data = load("ed-collapse")
    data["states"]["collapse"]["critical"][0]["do"] = "defibrillate"
    (problem,) = validate(
        data, lessons=LESSONS, images=IMAGES, rule_lessons=RULE_LESSONS
    )
    text = (
        (
            FIXTURE := __import__(
                "tests.cases.engine_helpers", fromlist=["FIXTURES"]
            ).FIXTURES
            / "ed-collapse.yaml"
        )
        .read_text()
        .splitlines()
    )
    line = line_of(data, problem.path)
    assert text[line - 1].strip() == "do: shock"
    assert FIXTURE.name == "ed-collapse.yaml"
    # A list item maps to its own line; a missing key to its mapping's line.
    assert text[line_of(data, ("ideal", 3)) - 1].strip() == "- {do: attach_pads}"
    assert text[line_of(data, ("states", "rosc", "nothing")) - 1].strip() == "rosc:"


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


@pytest.mark.parametrize("name", ["ed-collapse", "mall-collapse"])
def test_any_value_of_the_wrong_shape_is_a_problem_never_a_crash(name):
    base = strip_lines(load(name))
    for path in _paths(base):
        for junk in (None, [], {"a": 1}, True, 1.5, ["x"]):
            data = copy.deepcopy(base)
            node = data
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = junk
            validate(data, lessons=LESSONS, images=IMAGES, rule_lessons=RULE_LESSONS)
