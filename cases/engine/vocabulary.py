"""The fixed action vocabulary of the case simulations (CASES_SPEC.md).

Every action a learner can take in any case: its button label, group, the toolkits
that offer it, what it costs in simulated seconds, whether it takes hands off the
chest, and its parameters with every option (labels are neutral and every option is
always offered, never only the right one). `actions_offered` is what a page renders;
`parse_action` turns posted strings into an `Action` or raises `ValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ACTIONS",
    "DRUGS",
    "GROUPS",
    "TOOLKITS",
    "Action",
    "ActionDef",
    "Dose",
    "Option",
    "Param",
    "action_cost",
    "actions_offered",
    "parse_action",
]

TOOLKITS = ("lay", "bls", "acls")
ALL = frozenset(TOOLKITS)
BLS_ACLS = frozenset({"bls", "acls"})
LAY_BLS = frozenset({"lay", "bls"})
ACLS = frozenset({"acls"})
LAY = frozenset({"lay"})

# Hands-off: "no" (compressions go on), "yes" (compressions pause for the cost),
# "cpr" (pause for the cost only when compressions are on; nothing otherwise).
HANDS_OFF = ("no", "yes", "cpr")

INFUSION_COST = 30
REFUSED_COST = 2  # a refused action (no access, no pads) still costs the time to notice


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    options: tuple[Option, ...]
    toolkits: frozenset[str] = ALL  # where the parameter is asked (energy: acls only)
    prompt: str = ""  # the error when no valid option was chosen

    def choose(self) -> str:
        return self.prompt or f"Choose a {self.label.lower()}"

    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


@dataclass(frozen=True)
class Dose:
    id: str
    label: str
    route: str  # ivio (needs IV/IO access), im, in, sl, po
    infusion: bool = False


@dataclass(frozen=True)
class Drug:
    id: str
    label: str
    doses: tuple[Dose, ...]
    toolkits: frozenset[str] = ACLS

    def dose(self, dose_id: str) -> Dose | None:
        return next((d for d in self.doses if d.id == dose_id), None)


@dataclass(frozen=True)
class ActionDef:
    code: str
    label: str
    group: str
    toolkits: frozenset[str]
    cost: int
    hands_off: str = "no"
    params: tuple[Param, ...] = field(default_factory=tuple)

    def params_for(self, toolkit: str) -> tuple[Param, ...]:
        return tuple(p for p in self.params if toolkit in p.toolkits)


GROUPS: dict[str, str] = {
    "assess": "Assessment",
    "cpr": "Compressions",
    "rhythm": "Monitor and AED",
    "electrical": "Electrical therapy",
    "drugs": "Drugs and manoeuvres",
    "access": "Vascular access",
    "airway": "Airway and breathing",
    "causes": "Reversible causes",
    "stroke": "Stroke",
    "acs": "Acute coronary syndrome",
    "post": "Post-arrest care",
    "team": "Team",
    "choking": "Choking",
    "time": "Time",
    "end": "End",
}


def _opts(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(i, label) for i, label in pairs)


# Parameters and their options (id, label), one a line. The drug and dose
# parameters are made from the drugs table below.
# fmt: off
RATIO = Param("ratio", "Compression-ventilation ratio", _opts(("30:2", "30:2"), ("15:2", "15:2"), ("continuous-10", "continuous compressions, 1 breath every 6 s"), ("hands-only", "compressions only, no breaths")))
HANDS = Param("hands", "Technique", _opts(("two-hands", "two hands"), ("one-hand", "one hand"), ("two-thumb", "two-thumb encircling"), ("two-fingers", "two fingers")))
SHOCK_ENERGY = Param("energy", "Energy", _opts(*((e, f"{e} J") for e in ("120", "150", "200", "300", "360"))), toolkits=ACLS, prompt="Choose an energy")
SYNC_ENERGY = Param("energy", "Energy", _opts(*((e, f"{e} J") for e in ("50", "100", "120", "150", "200", "360"))), prompt="Choose an energy")
OXYGEN_TARGET = Param("target", "Target", _opts(("spo2-90", "to keep SpO2 at 90% or more"), ("spo2-90-98", "titrate to SpO2 90-98%"), ("spo2-92-98", "titrate to SpO2 92-98%"), ("max", "100% by non-rebreather regardless of SpO2")))
VENT_RATE = Param("rate", "Rate", _opts(("10", "1 breath every 6 s"), ("20", "1 breath every 3 s"), ("30", "1 breath every 2 s")))
PADS = Param("pads", "Pads", _opts(("adult", "adult pads"), ("pediatric", "pediatric pads or child key")), toolkits=LAY_BLS, prompt="Choose the pads")
CAUSES = (
    ("hypovolemia", "Hypovolemia"),
    ("hypoxia", "Hypoxia"),
    ("acidosis", "Hydrogen ion (acidosis)"),
    ("hyperkalemia", "Hyperkalemia"),
    ("hypokalemia", "Hypokalemia"),
    ("hypothermia", "Hypothermia"),
    ("tension-pneumothorax", "Tension pneumothorax"),
    ("tamponade", "Tamponade, cardiac"),
    ("toxins", "Toxins"),
    ("pulmonary-thrombosis", "Thrombosis, pulmonary"),
    ("coronary-thrombosis", "Thrombosis, coronary"),
)
CAUSE = Param("cause", "Cause", _opts(*CAUSES))
# fmt: on


def _drug(drug_id: str, label: str, toolkits: frozenset[str], *doses: tuple) -> Drug:
    return Drug(drug_id, label, tuple(Dose(*d) for d in doses), toolkits)


# Drugs, one a line: id, label, toolkits, then each dose (id, label, route, and
# True for an infusion). Doses are listed by amount, smallest first, equal amounts
# by label and infusions without a leading amount last: the order is a rule, so the
# first dose offered is no cue (tests/cases/test_dose_order.py).
_DRUG_LIST = (
    _drug("epinephrine", "Epinephrine", ACLS, ("0.1mg-iv", "0.1 mg IV push", "ivio"), ("0.5mg-im", "0.5 mg IM", "im"), ("1mg-ivio", "1 mg IV/IO push", "ivio"), ("infusion", "infusion 2-10 mcg/min IV", "ivio", True)),
    _drug("amiodarone", "Amiodarone", ACLS, ("150mg-10min", "150 mg IV over 10 minutes", "ivio", True), ("150mg", "150 mg IV/IO push", "ivio"), ("300mg", "300 mg IV/IO push", "ivio")),
    _drug("lidocaine", "Lidocaine", ACLS, ("0.5-0.75mgkg", "0.5-0.75 mg/kg IV/IO", "ivio"), ("1-1.5mgkg", "1-1.5 mg/kg IV/IO", "ivio")),
    _drug("atropine", "Atropine", ACLS, ("0.5mg", "0.5 mg IV", "ivio"), ("1mg", "1 mg IV", "ivio"), ("3mg", "3 mg IV", "ivio")),
    _drug("adenosine", "Adenosine", ACLS, ("6mg-slow", "6 mg IV over 2 minutes", "ivio"), ("6mg-rapid", "6 mg rapid IV push and flush", "ivio"), ("12mg-rapid", "12 mg rapid IV push and flush", "ivio")),
    _drug("norepinephrine", "Norepinephrine", ACLS, ("infusion", "infusion 0.1-0.5 mcg/kg/min IV, titrated to MAP", "ivio", True)),
    _drug("dopamine", "Dopamine", ACLS, ("infusion", "infusion 5-20 mcg/kg/min", "ivio", True)),
    _drug("magnesium", "Magnesium sulfate", ACLS, ("1-2g", "1-2 g IV/IO", "ivio")),
    _drug("calcium", "Calcium", ACLS, ("chloride-1g", "calcium chloride 10%, 1 g IV", "ivio")),
    _drug("sedation", "Procedural sedation", ACLS, ("procedural", "procedural sedation and analgesia, small titrated IV doses", "ivio")),
    _drug("bicarbonate", "Sodium bicarbonate", ACLS, ("50meq", "50 mEq IV", "ivio")),
    _drug("insulin-dextrose", "Insulin with dextrose", ACLS, ("10u-25g", "10 units regular insulin with 25 g dextrose IV", "ivio")),
    _drug("fluids", "Fluids", ACLS, ("250ml", "250 mL isotonic crystalloid", "ivio"), ("1l", "1 L isotonic crystalloid bolus", "ivio")),
    _drug("dextrose", "Dextrose", ACLS, ("25g", "25 g dextrose IV", "ivio")),
    _drug("aspirin", "Aspirin", ALL, ("81-swallowed", "81 mg swallowed", "po"), ("162-325-chewed", "162-325 mg chewed", "po")),
    _drug("nitroglycerin", "Nitroglycerin", ACLS, ("0.4mg-sl", "0.4 mg sublingual", "sl")),
    _drug("naloxone", "Naloxone", ALL, ("0.4mg-im", "0.4 mg IM", "im"), ("4mg-in", "4 mg intranasal", "in")),
    _drug("diltiazem", "Diltiazem", ACLS, ("0.25mgkg", "0.25 mg/kg IV over 2 minutes", "ivio")),
    _drug("procainamide", "Procainamide", ACLS, ("infusion", "20-50 mg/min IV until the arrhythmia stops or side effects", "ivio", True)),
)  # fmt: skip
DRUGS: dict[str, Drug] = {d.id: d for d in _DRUG_LIST}

# The drug parameter's options; doses are listed per drug (`Drug.doses`).
DRUG = Param("drug", "Drug", _opts(*((d.id, d.label) for d in _DRUG_LIST)))
DOSE = Param(
    "dose",
    "Dose",
    tuple(
        {
            o.id: o
            for d in _DRUG_LIST
            for o in (Option(x.id, x.label) for x in d.doses)
        }.values()
    ),
)


def _a(code, label, group, toolkits, cost, hands_off="no", *params) -> ActionDef:
    return ActionDef(code, label, group, toolkits, cost, hands_off, tuple(params))


# Actions, one a line: code, label, group, toolkits, cost (simulated seconds),
# hands-off (HANDS_OFF), parameters.
_ACTION_LIST = (
    _a("check_scene", "Check the scene is safe", "assess", LAY_BLS, 3, "no"),
    _a("check_responsiveness", "Check responsiveness", "assess", ALL, 5, "no"),
    _a("call_help", "Shout for help, activate the emergency response, get the AED/defibrillator", "assess", ALL, 5, "no"),
    _a("check_breathing", "Look for normal breathing", "assess", LAY, 5, "no"),
    _a("check_breathing_pulse", "Check breathing and pulse (5-10 s)", "assess", BLS_ACLS, 10, "cpr"),
    _a("check_bp", "Measure blood pressure", "assess", ACLS, 20, "no"),
    _a("check_glucose", "Check blood glucose", "assess", ACLS, 30, "no"),
    _a("twelve_lead", "Obtain a 12-lead ECG", "assess", ACLS, 60, "no"),
    _a("labs", "Point-of-care blood gas and electrolytes", "assess", ACLS, 60, "no"),
    _a("history", "Ask about the history (witnesses, medications, events)", "assess", ALL, 20, "no"),
    _a("recovery_position", "Place in the recovery position", "assess", LAY_BLS, 10, "no"),
    _a("reassess", "Reassess the patient and the monitor", "assess", ALL, 15, "no"),
    _a("start_cpr", "Start compressions", "cpr", ALL, 2, "no", RATIO, HANDS),
    _a("pause_cpr", "Stop compressions", "cpr", ALL, 1, "no"),
    _a("switch_compressor", "Switch compressors", "cpr", ALL, 3, "yes"),
    _a("attach_pads", "Turn on the AED / attach defibrillator pads", "rhythm", ALL, 15, "no", PADS),
    _a("attach_monitor", "Attach the cardiac monitor (3-lead, pulse oximetry, blood pressure cuff)", "rhythm", ACLS, 20, "no"),
    _a("analyze", "Analyse the rhythm (AED: let it analyse)", "rhythm", ALL, 5, "yes"),
    _a("shock", "Deliver a shock (unsynchronized)", "electrical", ALL, 3, "yes", SHOCK_ENERGY),
    _a("sync_cardioversion", "Synchronized cardioversion", "electrical", ACLS, 10, "yes", SYNC_ENERGY),
    _a("pacing", "Start transcutaneous pacing", "electrical", ACLS, 30, "no"),
    _a("drug", "Give a drug", "drugs", ALL, 10, "no", DRUG, DOSE),
    _a("vagal_maneuver", "Vagal manoeuvre (modified Valsalva)", "drugs", ACLS, 30, "no"),
    _a("iv_access", "Establish IV access", "access", ACLS, 45, "no"),
    _a("io_access", "Establish IO access", "access", ACLS, 30, "no"),
    _a("open_airway", "Open the airway (head tilt-chin lift or jaw thrust)", "airway", ALL, 3, "no"),
    _a("rescue_breaths", "Give breaths (mouth-to-mask or bag-mask)", "airway", ALL, 5, "cpr"),
    _a("oxygen", "Give oxygen", "airway", ACLS, 10, "no", OXYGEN_TARGET),
    _a("advanced_airway", "Place an advanced airway (ETT or supraglottic)", "airway", ACLS, 10, "yes"),
    _a("capnography", "Attach waveform capnography", "airway", ACLS, 10, "no"),
    _a("ventilate", "Set the ventilation rate", "airway", BLS_ACLS, 2, "no", VENT_RATE),
    _a("consider_causes", "Review reversible causes (H's and T's) with the team", "causes", ACLS, 10, "no"),
    _a("treat_cause", "Treat a reversible cause", "causes", ACLS, 30, "no", CAUSE),
    _a("stroke_scale", "Assess with a stroke scale", "stroke", ACLS, 60, "no"),
    _a("last_known_well", "Establish the time last known well", "stroke", ALL, 15, "no"),
    _a("stroke_alert", "Activate the stroke team / pre-notify a stroke center", "stroke", ACLS, 5, "no"),
    _a("ct_head", "Non-contrast head CT", "stroke", ACLS, 600, "no"),
    _a("thrombolysis", "Give IV thrombolytic", "stroke", ACLS, 60, "no"),
    _a("cath_lab", "Activate the cardiac catheterization lab", "acs", ACLS, 10, "no"),
    _a("temperature_control", "Start temperature control", "post", ACLS, 30, "no"),
    _a("assign_roles", "Assign team roles", "team", BLS_ACLS, 10, "no"),
    _a("consult", "Call for expert consultation (cardiology, neurology, ...)", "team", ACLS, 10, "no"),
    _a("closed_loop", "Confirm orders with closed-loop communication", "team", ACLS, 3, "no"),
    _a("summarize", "Summarise and ask the team for suggestions", "team", BLS_ACLS, 10, "no"),
    _a("back_blows", "Give 5 back blows", "choking", LAY_BLS, 10, "no"),
    _a("abdominal_thrusts", "Give 5 abdominal thrusts", "choking", LAY_BLS, 10, "no"),
    _a("look_in_mouth", "Look in the mouth for an object before breaths", "choking", LAY_BLS, 3, "no"),
    _a("advance", "Continue to the next rhythm check (during CPR) / wait 1 minute", "time", ALL, 60, "no"),
    _a("handoff", "Hand over care (EMS, ICU, cath lab, stroke team)", "end", ALL, 0, "no"),
    _a("terminate", "Stop the resuscitation", "end", ACLS, 0, "no"),
)  # fmt: skip
ACTIONS: dict[str, ActionDef] = {a.code: a for a in _ACTION_LIST}


@dataclass(frozen=True)
class Action:
    """One learner action: a vocabulary code and its chosen option ids."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}


def drugs_for(toolkit: str) -> tuple[Drug, ...]:
    return tuple(d for d in _DRUG_LIST if toolkit in d.toolkits)


def action_cost(action: Action) -> int:
    """Simulated seconds the action takes when it is carried out (not refused);
    `advance` is decided by the engine (to the 2-minute mark or 60 s)."""
    definition = ACTIONS[action.code]
    if action.code == "drug":
        dose = DRUGS[action.params["drug"]].dose(action.params["dose"])
        if dose is not None and dose.infusion:
            return INFUSION_COST
    return definition.cost


def actions_offered(toolkit: str) -> list[dict]:
    """What a page renders for a toolkit, the same in every state: groups in their
    order, each with its actions, each with its parameters and every option.

    `[{"group", "label", "actions": [{"code", "label", "params": [{"name", "label",
    "options": [{"id", "label"}]}]}]}]`; the drug parameter's options carry their
    `doses` (`[{"id", "label"}]`), and the dose parameter `depends_on: "drug"`.
    """
    if toolkit not in TOOLKITS:
        raise ValueError(f"Unknown toolkit {toolkit!r}")
    groups: dict[str, list[dict]] = {g: [] for g in GROUPS}
    for definition in _ACTION_LIST:
        if toolkit not in definition.toolkits:
            continue
        params = []
        for param in definition.params_for(toolkit):
            if param.name == "drug":
                options = [
                    {
                        "id": d.id,
                        "label": d.label,
                        "doses": [{"id": x.id, "label": x.label} for x in d.doses],
                    }
                    for d in drugs_for(toolkit)
                ]
                params.append(
                    {"name": "drug", "label": param.label, "options": options}
                )
            elif param.name == "dose":
                params.append(
                    {
                        "name": "dose",
                        "label": param.label,
                        "depends_on": "drug",
                        "options": [],
                    }
                )
            else:
                params.append(
                    {
                        "name": param.name,
                        "label": param.label,
                        "options": [
                            {"id": o.id, "label": o.label} for o in param.options
                        ],
                    }
                )
        groups[definition.group].append(
            {"code": definition.code, "label": definition.label, "params": params}
        )
    return [
        {"group": g, "label": GROUPS[g], "actions": actions}
        for g, actions in groups.items()
        if actions
    ]


def offered(code: str, toolkit: str) -> bool:
    definition = ACTIONS.get(code)
    return definition is not None and toolkit in definition.toolkits


def parse_action(code: str, params: Mapping[str, object], toolkit: str) -> Action:
    """The `Action` for posted strings, or `ValueError` with a message for the
    learner ("Unknown action", "Choose a dose"). Keys that are not parameters of the
    action (a CSRF token, another form's fields) are ignored."""
    if not isinstance(code, str) or not offered(code, toolkit):
        raise ValueError("Unknown action")
    definition = ACTIONS[code]
    chosen: dict[str, str] = {}
    for param in definition.params_for(toolkit):
        raw = params.get(param.name)
        value = "" if raw is None else str(raw).strip()
        if param.name == "drug":
            allowed = tuple(d.id for d in drugs_for(toolkit))
        elif param.name == "dose":
            drug = DRUGS.get(chosen.get("drug", ""))
            allowed = tuple(x.id for x in drug.doses) if drug else ()
        else:
            allowed = param.option_ids()
        if value not in allowed:
            raise ValueError(param.choose())
        chosen[param.name] = value
    return Action(code, chosen)
