"""The generic rules every case enforces (CASES_SPEC.md, "Generic rules").

A rule is either a critical error (fails the case; fires at most once per attempt, at
the simulated time it happened) or a deviation (named in the debrief only). Some fire
on an action (`action_rules`), some when a deadline passes (`deadline_rules`); the
engine asks both and records each id once. A course's `cases/rules.yaml` maps every
rule its toolkits can fire to the lesson that teaches it (`rules_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .vocabulary import ALL, BLS_ACLS, TOOLKITS, Action

__all__ = [
    "EPI_MIN_INTERVAL",
    "EPI_OVERDUE_AFTER",
    "PAUSE_LIMIT",
    "RHYTHMS",
    "RHYTHM_CHECK_GRACE",
    "RULES",
    "SHOCKABLE",
    "Rule",
    "action_rules",
    "deadline_rules",
    "rules_for",
]

RHYTHMS = (
    "sinus",
    "sinus-brady",
    "sinus-tachy",
    "sinus-stemi",
    "svt",
    "afib",
    "aflutter",
    "vt-mono",
    "vt-poly",
    "torsades",
    "vf-coarse",
    "vf-fine",
    "asystole",
    "av-block-2-ii",
    "av-block-3",
    "junctional",
    "idioventricular",
    "paced",
)
# Without a pulse these are shockable (VF and pulseless VT); an AED advises a shock
# for them, whatever the pulse (it cannot feel one).
SHOCKABLE = frozenset({"vf-coarse", "vf-fine", "vt-mono", "vt-poly", "torsades"})
# Unstable polymorphic VT (and torsades) with a pulse gets an unsynchronized shock:
# the defibrillator cannot synchronize to it.
UNSYNCHRONIZED_WITH_PULSE = frozenset({"vt-poly", "torsades"})

PAUSE_LIMIT = 10  # s: compressions may be off this long in one interval, not longer
CYCLE = 120  # s: one CPR cycle between rhythm checks
RHYTHM_CHECK_GRACE = 30  # s after the 2-minute mark before a missed check is an error
EPI_MIN_INTERVAL = 180  # s: epinephrine every 3-5 minutes ...
EPI_OVERDUE_AFTER = 300 + 30  # s: ... and more than 5 minutes (+30 s grace) is overdue
CPR_FRACTION_TARGET = 0.8
ROLES_WITHIN = 60  # s: team cases assign roles in the first minute

ARREST_DOSE = ("epinephrine", "1mg-ivio")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # error | deviation
    toolkits: frozenset[str]
    topic: str
    debrief: str
    when: str  # when it fires, for the format documentation


_RULE_LIST = (
    Rule(
        "shock-nonshockable",
        "error",
        frozenset({"acls"}),
        "Cardiac arrest: shockable and non-shockable rhythms",
        "Shock only VF and pulseless VT. Asystole and PEA are not shockable: resume "
        "CPR, give epinephrine and look for a reversible cause.",
        "`shock` while pulseless and the rhythm is not VF or VT (asystole, PEA).",
    ),
    Rule(
        "shock-with-pulse",
        "error",
        ALL,
        "Defibrillation and cardioversion",
        "An unsynchronized shock on a patient with a pulse can cause VF. A tachycardia "
        "with a pulse that needs electricity gets synchronized cardioversion (only "
        "polymorphic VT gets an unsynchronized shock).",
        "unsynchronized `shock` on a patient with a pulse, except `vt-poly` and "
        "`torsades`.",
    ),
    Rule(
        "sync-pulseless",
        "error",
        frozenset({"acls"}),
        "Defibrillation and cardioversion",
        "Pulseless VT and VF get an unsynchronized shock (defibrillation); a "
        "synchronized shock may not fire and delays defibrillation.",
        "`sync_cardioversion` on a pulseless patient.",
    ),
    Rule(
        "atropine-in-arrest",
        "error",
        frozenset({"acls"}),
        "Cardiac arrest drugs",
        "Atropine has no place in cardiac arrest (PEA or asystole); it treats "
        "symptomatic bradycardia with a pulse.",
        "atropine while pulseless.",
    ),
    Rule(
        "cpr-pause-over-10s",
        "error",
        ALL,
        "High-quality CPR",
        "Keep every pause in compressions under 10 seconds: resume compressions at "
        "once after a shock or a rhythm check, and do other tasks while compressions "
        "go on.",
        "pulseless, arrest recognized: compressions off for more than 10 s in one "
        "interval (fires at the 11th second).",
    ),
    Rule(
        "rhythm-check-missed",
        "error",
        ALL,
        "High-quality CPR",
        "Check the rhythm after every 2 minutes of CPR (switch compressors then): a "
        "shockable rhythm must not wait.",
        "pulseless, compressions on, pads or monitor on: no `analyze` by 2:30 after "
        "the cycle began (or the pads went on, if later); fires at 2:31.",
    ),
    Rule(
        "epi-before-second-shock",
        "error",
        frozenset({"acls"}),
        "Cardiac arrest drugs",
        "In VF or pulseless VT, epinephrine comes after the second shock: shocks and "
        "CPR come first.",
        "epinephrine in a shockable arrest with fewer than 2 shocks, before any "
        "arrest dose of this arrest.",
    ),
    Rule(
        "epi-too-soon",
        "error",
        frozenset({"acls"}),
        "Cardiac arrest drugs",
        "Epinephrine 1 mg is repeated every 3 to 5 minutes, not sooner.",
        "an arrest dose (1 mg IV/IO) less than 180 s after the previous one in the "
        "same arrest.",
    ),
    Rule(
        "epi-overdue",
        "error",
        frozenset({"acls"}),
        "Cardiac arrest drugs",
        "Repeat epinephrine 1 mg every 3 to 5 minutes while the arrest lasts: more "
        "than 5 minutes passed without it.",
        "still in the same arrest more than 330 s after the last arrest dose (fires "
        "at 331 s).",
    ),
    Rule(
        "cpr-with-pulse-responsive",
        "error",
        ALL,
        "Recognizing cardiac arrest",
        "Compressions are for a patient who is unresponsive and not breathing "
        "normally; this patient was responsive.",
        "`start_cpr` (compressions not running) on a responsive patient.",
    ),
    Rule(
        "ended-too-early",
        "error",
        ALL,
        "Ending a resuscitation",
        "The patient still needed you when care was handed over or the resuscitation "
        "stopped: keep going until the patient is stable and the team that takes "
        "over is there, or until stopping is justified.",
        "`handoff` or `terminate` in a state that does not list it under `may_end`.",
    ),
    Rule(
        "cpr-fraction-low",
        "deviation",
        ALL,
        "High-quality CPR",
        "Compressions covered less than 80% of the time without a pulse; aim for at "
        "least 80% by keeping every pause short.",
        "at the end: compressions on for less than 80% of the pulseless time after "
        "recognition.",
    ),
    Rule(
        "no-roles",
        "deviation",
        BLS_ACLS,
        "Team dynamics",
        "Assign team roles in the first minute, so that compressions, airway, monitor "
        "and drugs go on in parallel.",
        "at the end, in a `team: true` case: no `assign_roles` in the first 60 s.",
    ),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULE_LIST}


def rules_for(toolkits: Iterable[str], *, team: bool = True) -> list[str]:
    """Ids of the rules that can fire with these toolkits (`no-roles` only in team
    cases), in their documented order."""
    wanted = set(toolkits)
    unknown = wanted - set(TOOLKITS)
    if unknown:
        raise ValueError(f"Unknown toolkit {sorted(unknown)}")
    return [
        r.id for r in _RULE_LIST if r.toolkits & wanted and (team or r.id != "no-roles")
    ]


def is_arrest_dose(action: Action) -> bool:
    return (
        action.code == "drug"
        and (action.params.get("drug"), action.params.get("dose")) == ARREST_DOSE
    )


def _epi_clock_running(st: Mapping) -> bool:
    """A previous arrest dose was given in the arrest that is still going on."""
    last, since = st["epi_last"], st["arrest_since"]
    return last is not None and since is not None and last >= since


def action_rules(
    *, toolkit: str, scene: Mapping, st: Mapping, action: Action
) -> list[str]:
    """Rule ids an action breaks, judged at the moment it is taken (before its effect
    on the counts): `scene` is the current state of the case, `st` the engine state."""
    pulse = scene["pulse"]
    rhythm = scene.get("rhythm")
    drug = action.params.get("drug") if action.code == "drug" else None
    broken = []
    if action.code == "shock":
        if not pulse and rhythm not in SHOCKABLE:
            broken.append("shock-nonshockable")
        if pulse and rhythm not in UNSYNCHRONIZED_WITH_PULSE:
            broken.append("shock-with-pulse")
    elif action.code == "sync_cardioversion" and not pulse:
        broken.append("sync-pulseless")
    elif action.code == "start_cpr" and scene["responsive"] and not st["cpr"]:
        broken.append("cpr-with-pulse-responsive")
    elif action.code in ("handoff", "terminate"):
        if action.code not in (scene.get("may_end") or ()):
            broken.append("ended-too-early")
    elif drug == "atropine" and not pulse:
        broken.append("atropine-in-arrest")
    elif drug == "epinephrine" and not pulse:
        # Only before the first dose of this arrest: a patient who got epinephrine
        # in PEA or asystole and then goes into VF keeps it every 3-5 minutes.
        if (
            rhythm in SHOCKABLE
            and st["done"].get("shock", 0) < 2
            and not _epi_clock_running(st)
        ):
            broken.append("epi-before-second-shock")
        if (
            is_arrest_dose(action)
            and _epi_clock_running(st)
            and st["t"] - st["epi_last"] < EPI_MIN_INTERVAL
        ):
            broken.append("epi-too-soon")
    return [r for r in broken if toolkit in RULES[r].toolkits]


def deadline_rules(
    *, toolkit: str, scene: Mapping, st: Mapping
) -> list[tuple[int, str]]:
    """(time, rule id) of each rule that fires when the clock reaches that time with
    nothing changed: the first second past the limit."""
    out = []
    if scene["pulse"]:
        return out
    if st["off_since"] is not None:
        out.append((st["off_since"] + PAUSE_LIMIT + 1, "cpr-pause-over-10s"))
    if st["cpr"] and st["recognized"] and st["rhythm_from"] is not None:
        begun = max(st["cycle_start"], st["rhythm_from"])
        out.append((begun + CYCLE + RHYTHM_CHECK_GRACE + 1, "rhythm-check-missed"))
    if _epi_clock_running(st):
        out.append((st["epi_last"] + EPI_OVERDUE_AFTER + 1, "epi-overdue"))
    return [(t, r) for t, r in out if toolkit in RULES[r].toolkits]
