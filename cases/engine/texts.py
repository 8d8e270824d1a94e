"""The learner's log lines: plain, past tense, never judging an action right or wrong.

Checks answer from the current state (pulse, breathing, responsiveness, vitals);
diagnostic actions answer from the state's `findings` or say there was nothing
abnormal; the AED speaks in its own prompts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .rules import SHOCKABLE
from .vocabulary import CAUSES, DRUGS, OXYGEN_TARGET, RATIO, VENT_RATE, Action

if TYPE_CHECKING:
    from .engine import Definition

# Findings keys a state may answer with, and the action that asks for each: the
# action's code, or the spec's short name for three of them. The text replaces the
# action's default answer.
FINDING_ACTIONS = {
    "glucose": "check_glucose",
    "twelve_lead": "twelve_lead",
    "labs": "labs",
    "history": "history",
    "causes": "consider_causes",
    "stroke_scale": "stroke_scale",
    "last_known_well": "last_known_well",
    "ct_head": "ct_head",
    "check_scene": "check_scene",
    "check_responsiveness": "check_responsiveness",
    "check_breathing": "check_breathing",
    "check_breathing_pulse": "check_breathing_pulse",
    "check_bp": "check_bp",
    "reassess": "reassess",
    "open_airway": "open_airway",
    "rescue_breaths": "rescue_breaths",
    "look_in_mouth": "look_in_mouth",
}
FINDING_OF = {code: key for key, code in FINDING_ACTIONS.items()}
NO_ABNORMALITY = "No abnormality found."

BREATHING = {
    "none": "no breathing",
    "agonal": "only occasional gasps, not normal breathing",
    "normal": "breathing normally",
    "labored": "breathing fast and with effort",
}
_CAUSE_LABELS = dict(CAUSES)


def _label(param, option_id: str) -> str:
    return next((o.label for o in param.options if o.id == option_id), option_id)


# What each action with a findings key says before its answer, and the answer when
# the state has no finding for it (None: the default comes from the state itself).
_ANSWERED = {
    "check_scene": ("Scene checked", "nothing in the way of helping."),
    "check_responsiveness": ("Responsiveness checked", None),
    "check_breathing": ("Breathing checked", None),
    "check_breathing_pulse": ("Breathing and pulse checked", None),
    "check_bp": ("Blood pressure measured", None),
    "reassess": ("Reassessed", None),
    "open_airway": ("Airway opened", ""),
    "rescue_breaths": ("Breaths given", ""),
    "look_in_mouth": ("Looked in the mouth", "nothing seen."),
    "check_glucose": ("Glucose checked", NO_ABNORMALITY),
    "twelve_lead": ("12-lead ECG obtained", NO_ABNORMALITY),
    "labs": ("Blood gas and electrolytes back", NO_ABNORMALITY),
    "history": ("History taken", NO_ABNORMALITY),
    "consider_causes": ("Reversible causes reviewed with the team", NO_ABNORMALITY),
    "stroke_scale": ("Stroke scale done", NO_ABNORMALITY),
    "last_known_well": ("Time last known well asked", NO_ABNORMALITY),
    "ct_head": ("Head CT done", NO_ABNORMALITY),
}


def _default(code: str, scene: Mapping) -> str:
    breathing = BREATHING[scene["breathing"]]
    if code == "check_responsiveness":
        if scene["responsive"]:
            return "the patient responds."
        return "no response to voice or a tap on the shoulders."
    if code == "check_breathing":
        return f"{breathing}."
    if code == "check_breathing_pulse":
        return f"{breathing}, {_pulse(scene)}."
    if code == "reassess":
        return _patient(scene)
    bp = (scene.get("vitals") or {}).get("bp") if scene["pulse"] else None
    return f"{bp} mmHg." if bp else "not measurable."


def _answer(code: str, scene: Mapping) -> str:
    prefix, default = _ANSWERED[code]
    found = (scene.get("findings") or {}).get(FINDING_OF[code])
    if found:
        return f"{prefix}: {found.strip()}"
    if default is None:
        default = _default(code, scene)
    return f"{prefix}: {default}" if default else f"{prefix}."


def _pulse(scene: Mapping) -> str:
    if not scene["pulse"]:
        return "no pulse"
    hr = (scene.get("vitals") or {}).get("hr")
    return f"a pulse, about {hr} per minute" if hr else "a pulse"


def _patient(scene: Mapping) -> str:
    responds = "responds" if scene["responsive"] else "does not respond"
    breathing = BREATHING[scene["breathing"]]
    return f"the patient {responds}, {breathing}, with {_pulse(scene)}."


# What the log says for an action whose text depends on nothing but its code.
_FIXED = {
    "pause_cpr": "Compressions stopped.",
    "switch_compressor": "Compressors switched.",
    "pacing": "Transcutaneous pacing started.",
    "iv_access": "IV access established.",
    "io_access": "IO access established.",
    "advanced_airway": "Advanced airway placed.",
    "capnography": "Waveform capnography attached.",
    "vagal_maneuver": "Vagal manoeuvre done (modified Valsalva).",
    "stroke_alert": "Stroke team activated.",
    "thrombolysis": "IV thrombolytic given.",
    "cath_lab": "Catheterization lab activated.",
    "temperature_control": "Temperature control started.",
    "consult": "Expert consultation called.",
    "assign_roles": "Team roles assigned.",
    "closed_loop": "Orders confirmed with closed-loop communication.",
    "summarize": "Summarised for the team and asked for suggestions.",
    "back_blows": "5 back blows given.",
    "abdominal_thrusts": "5 abdominal thrusts given.",
    "recovery_position": "Placed in the recovery position.",
    "handoff": "Handed over care.",
    "terminate": "Stopped the resuscitation.",
}


def describe(
    definition: Definition, st: Mapping, scene: Mapping, action: Action
) -> str:
    code, p = action.code, action.params
    acls = definition.toolkit == "acls"
    if code in _ANSWERED:
        return _answer(code, scene)
    if code in _FIXED:
        return _FIXED[code]
    if code == "call_help":
        return (
            "Called for help: emergency response activated, AED or defibrillator "
            "on its way."
        )
    if code == "start_cpr":
        ratio = _label(RATIO, p["ratio"])
        hands = {
            "two-hands": "two hands",
            "one-hand": "one hand",
            "two-thumb": "two-thumb encircling",
            "two-fingers": "two fingers",
        }[p["hands"]]
        if st["cpr"]:
            return f"Compressions went on, now {ratio}, {hands}."
        verb = "resumed" if st["cpr_ever"] else "started"
        return f"Compressions {verb} ({ratio}, {hands})."
    if code == "attach_pads":
        return (
            "Defibrillator pads attached."
            if acls
            else "AED turned on and pads attached."
        )
    if code == "attach_monitor":
        return (
            "Cardiac monitor attached: 3-lead ECG, pulse oximetry, blood pressure cuff."
        )
    if code == "analyze":
        if acls:
            return "Rhythm check: everyone off the patient, eyes on the monitor."
        if scene.get("rhythm") in SHOCKABLE:
            return (
                "The AED analysed: \u201cShock advised. Stay clear of the patient. "
                "Press the flashing shock button.\u201d"
            )
        return "The AED analysed: \u201cNo shock advised.\u201d"
    if code == "shock":
        if acls:
            return f"Shock delivered at {p['energy']} J."
        return "Shock delivered. The AED says: \u201cShock delivered.\u201d"
    if code == "sync_cardioversion":
        return f"Synchronized cardioversion delivered at {p['energy']} J."
    if code == "drug":
        drug = DRUGS[p["drug"]]
        dose = drug.dose(p["dose"])
        return f"{drug.label} given: {dose.label}."
    if code == "oxygen":
        return f"Oxygen given ({_label(OXYGEN_TARGET, p['target'])})."
    if code == "ventilate":
        return f"Ventilation rate set: {_label(VENT_RATE, p['rate'])}."
    if code == "treat_cause":
        return f"Treated: {_CAUSE_LABELS[p['cause']].lower()}."
    if code == "advance":
        if st["cpr"] and not scene["pulse"] and st["cycle_start"] is not None:
            if st["pads"] or st["monitor"]:
                return "Compressions went on to the next rhythm check."
            return "Compressions went on."
        if st["cpr"]:
            return "Compressions went on for a minute."
        return "Waited a minute."
    raise ValueError(f"no text for {code}")
