"""The fixed action vocabulary: what each toolkit offers (every option, never only the
right one), the doses the 2025 AHA algorithms call for, and posted strings turned into
actions or clear errors."""

from __future__ import annotations

import pytest

from cases.engine import actions_offered, parse_action
from cases.engine.vocabulary import ACTIONS, DRUGS, GROUPS, Action, action_cost


def offered(toolkit):
    return {a["code"]: a for g in actions_offered(toolkit) for a in g["actions"]}


def test_groups_come_in_page_order_and_are_never_empty():
    for toolkit in ("lay", "bls", "acls"):
        groups = [g["group"] for g in actions_offered(toolkit)]
        assert groups == [g for g in GROUPS if g in groups]
        assert all(g["actions"] for g in actions_offered(toolkit))


def test_acls_offers_every_action_option_and_drug():
    acls = offered("acls")
    assert set(acls) == {c for c, a in ACTIONS.items() if "acls" in a.toolkits}
    drug = acls["drug"]["params"][0]
    assert [o["id"] for o in drug["options"]] == list(DRUGS)
    epinephrine = next(o for o in drug["options"] if o["id"] == "epinephrine")
    assert [d["id"] for d in epinephrine["doses"]] == [
        "0.1mg-iv",
        "0.5mg-im",
        "1mg-ivio",
        "infusion",
    ]
    energy = acls["shock"]["params"][0]
    assert [o["id"] for o in energy["options"]] == ["120", "150", "200", "300", "360"]


def test_lay_toolkit_offers_the_aed_naloxone_and_aspirin_only():
    lay = offered("lay")
    assert "iv_access" not in lay and "sync_cardioversion" not in lay
    assert lay["shock"]["params"] == []  # the AED chooses its energy
    assert [p["name"] for p in lay["attach_pads"]["params"]] == ["pads"]
    drugs = [o["id"] for o in lay["drug"]["params"][0]["options"]]
    assert drugs == ["aspirin", "naloxone"]


def test_labels_never_name_a_rhythm():
    text = " ".join(a.label for a in ACTIONS.values()).lower()
    for word in ("fibrillation", "vf", "asystole", "pea", "tachycardia", "bradycardia"):
        assert f" {word} " not in f" {text} "


@pytest.mark.parametrize(
    ("drug", "dose", "label"),
    [
        ("epinephrine", "1mg-ivio", "1 mg IV/IO push"),
        ("epinephrine", "infusion", "infusion 2-10 mcg/min IV"),
        ("amiodarone", "300mg", "300 mg IV/IO push"),
        ("amiodarone", "150mg", "150 mg IV/IO push"),
        ("lidocaine", "1-1.5mgkg", "1-1.5 mg/kg IV/IO"),
        ("atropine", "1mg", "1 mg IV"),
        ("adenosine", "6mg-rapid", "6 mg rapid IV push and flush"),
        ("adenosine", "12mg-rapid", "12 mg rapid IV push and flush"),
        ("dopamine", "infusion", "infusion 5-20 mcg/kg/min"),
        ("magnesium", "1-2g", "1-2 g IV/IO"),
        ("naloxone", "4mg-in", "4 mg intranasal"),
        ("aspirin", "162-325-chewed", "162-325 mg chewed"),
    ],
)
def test_the_algorithm_doses_are_offered(drug, dose, label):
    assert DRUGS[drug].dose(dose).label == label


def test_infusions_take_longer_to_start():
    assert (
        action_cost(Action("drug", {"drug": "epinephrine", "dose": "1mg-ivio"})) == 10
    )
    assert action_cost(Action("drug", {"drug": "dopamine", "dose": "infusion"})) == 30


def test_parse_action_builds_an_action_from_posted_strings():
    action = parse_action(
        "shock", {"energy": "200", "csrfmiddlewaretoken": "x"}, "acls"
    )
    assert action == Action("shock", {"energy": "200"})
    assert parse_action("shock", {"energy": 200}, "acls") == action
    assert parse_action("shock", {}, "lay") == Action("shock", {})


@pytest.mark.parametrize(
    ("code", "params", "toolkit", "message"),
    [
        ("defibrillate", {}, "acls", "Unknown action"),
        ("iv_access", {}, "bls", "Unknown action"),
        ("drug", {"drug": "epinephrine"}, "acls", "Choose a dose"),
        ("drug", {"drug": "epinephrine", "dose": "300mg"}, "acls", "Choose a dose"),
        ("drug", {"drug": "epinephrine", "dose": "1mg-ivio"}, "lay", "Choose a drug"),
        ("drug", {}, "acls", "Choose a drug"),
        ("shock", {"energy": "250"}, "acls", "Choose an energy"),
        ("attach_pads", {}, "bls", "Choose the pads"),
        ("start_cpr", {"ratio": "30:2"}, "acls", "Choose a technique"),
    ],
)
def test_parse_action_refuses_bad_input_with_a_clear_message(
    code, params, toolkit, message
):
    with pytest.raises(ValueError, match=f"^{message}$"):
        parse_action(code, params, toolkit)
