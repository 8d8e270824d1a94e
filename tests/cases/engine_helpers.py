"""Shared helpers of the engine tests: the sample cases (tests/cases/fixtures), read
as the content sync reads them (the strict YAML reader, so `on:` is a key and lines
are known), and small cases built in code for one rule at a time."""

from __future__ import annotations

import copy
from pathlib import Path

from cases.engine import Action, Definition
from cases.engine.testing import play
from curriculum.reader import _load_yaml

FIXTURES = Path(__file__).parent / "fixtures"
LESSONS = {
    "vf-pvt",
    "arrest-drugs",
    "arrest-airway",
    "adult-compressions",
    "using-an-aed",
    "high-quality-cpr",
}
IMAGES = {f"images/ecg/monitor/m-{n:02d}.svg" for n in range(1, 21)}
RULE_LESSONS = {
    "shock-nonshockable": "vf-pvt",
    "shock-with-pulse": "vf-pvt",
    "sync-pulseless": "vf-pvt",
    "atropine-in-arrest": "arrest-drugs",
    "cpr-pause-over-10s": "high-quality-cpr",
    "rhythm-check-missed": "high-quality-cpr",
    "epi-before-second-shock": "arrest-drugs",
    "epi-too-soon": "arrest-drugs",
    "epi-overdue": "arrest-drugs",
    "cpr-with-pulse-responsive": "adult-compressions",
    "cpr-fraction-low": "high-quality-cpr",
    "no-roles": "high-quality-cpr",
    "ended-too-early": "high-quality-cpr",
}


def load(name: str) -> dict:
    return _load_yaml((FIXTURES / f"{name}.yaml").read_text(), first_line=1)


def definition(name: str, **kwargs) -> Definition:
    return Definition(load(name), **kwargs)


STRIPS = {
    "vf-coarse": "m-10",
    "vf-fine": "m-03",
    "asystole": "m-05",
    "sinus": "m-02",
    "sinus-brady": "m-08",
    "sinus-tachy": "m-06",
    "vt-mono": "m-07",
    "vt-poly": "m-17",
    "torsades": "m-12",
    "svt": "m-04",
}


def scene(rhythm: str | None = "vf-coarse", *, pulse: bool = False, **extra) -> dict:
    """One state: pulseless and unresponsive unless told otherwise; it ends the case
    as death after an hour unless `next` or `end` is given."""
    out = {
        "narrative": "Something happens.",
        "pulse": pulse,
        "breathing": "normal" if pulse else "none",
        "responsive": False,
        # The engine tests end cases by handing over or stopping wherever they like;
        # `may_end=None` gives a state that must not end that way.
        "may_end": ["handoff", "terminate"],
    }
    if rhythm is not None:
        out["rhythm"] = rhythm
        out["strip"] = f"images/ecg/monitor/{STRIPS[rhythm]}.svg"
    out.update(extra)
    if "end" not in out and "next" not in out:
        out["next"] = [{"after": 3600, "goto": "dead"}]
    return out


def case_data(states: dict | None = None, *, toolkit: str = "acls", **top) -> dict:
    """A whole case file: `states` (default one VF state `a`), plus an end state
    `dead`; `start` is the first state given."""
    states = copy.deepcopy(states) if states else {"a": scene()}
    states.setdefault(
        "dead",
        {
            "narrative": "The team stops.",
            "pulse": False,
            "breathing": "none",
            "responsive": False,
            "end": "death",
        },
    )
    data = {
        "title": "A case",
        "order": 1,
        "toolkit": toolkit,
        "patient": "An adult",
        "summary": "Something happens.",
        "algorithm": "An algorithm",
        "sources": ["A source"],
        "time_limit": 7200,
        "start": next(iter(states)),
        "states": states,
        "ideal": [{"do": "handoff"}],
    }
    data.update(top)
    return data


def case(states: dict | None = None, **top) -> Definition:
    return Definition(case_data(states, **top), rule_lessons=RULE_LESSONS)


def A(code: str, **params) -> Action:
    return Action(code, {k: str(v) for k, v in params.items()})


CPR = A("start_cpr", ratio="30:2", hands="two-hands")
EPI = A("drug", drug="epinephrine", dose="1mg-ivio")
SHOCK = A("shock", energy=200)


def run(definition: Definition, *actions: Action):
    """Plays actions from the start (`tests` only: no checks on the way)."""
    return play(definition, actions)


def fired(played) -> dict[str, int]:
    """Finding id -> simulated time it was recorded."""
    return {f["id"]: f["t"] for f in played.state["findings"]}
