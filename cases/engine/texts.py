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

BREATHING = {
    "none": "no breathing",
    "agonal": "only occasional gasps, not normal breathing",
    "normal": "breathing normally",
    "labored": "breathing fast and with effort",
}
_CAUSE_LABELS = dict(CAUSES)


def _label(param, option_id: str) -> str:
    return next((o.label for o in param.options if o.id == option_id), option_id)


def _finding(scene: Mapping, key: str) -> str:
    from .engine import NO_ABNORMALITY

    return (scene.get("findings") or {}).get(key) or NO_ABNORMALITY


def _pulse(scene: Mapping) -> str:
    if not scene["pulse"]:
        return "no pulse"
    hr = (scene.get("vitals") or {}).get("hr")
    return f"a pulse, about {hr} per minute" if hr else "a pulse"


def _patient(scene: Mapping) -> str:
    responds = "responds" if scene["responsive"] else "does not respond"
    breathing = BREATHING[scene["breathing"]]
    return f"The patient {responds}, {breathing}, with {_pulse(scene)}."


def describe(
    definition: Definition, st: Mapping, scene: Mapping, action: Action
) -> str:
    code, p = action.code, action.params
    acls = definition.toolkit == "acls"
    vitals = scene.get("vitals") or {}
    if code == "check_scene":
        return "Scene checked. " + (
            (scene.get("findings") or {}).get("scene")
            or "Nothing in the way of helping."
        )
    if code == "check_responsiveness":
        if scene["responsive"]:
            return "Responsiveness checked: the patient responds."
        return "Responsiveness checked: no response to voice or a tap on the shoulders."
    if code == "call_help":
        return (
            "Called for help: emergency response activated, AED or defibrillator "
            "on its way."
        )
    if code == "check_breathing":
        return f"Breathing checked: {BREATHING[scene['breathing']]}."
    if code == "check_breathing_pulse":
        breathing = BREATHING[scene["breathing"]]
        return f"Breathing and pulse checked: {breathing}, {_pulse(scene)}."
    if code == "reassess":
        extra = (scene.get("findings") or {}).get("reassess")
        return "Reassessed. " + _patient(scene) + (f" {extra}" if extra else "")
    if code == "check_bp":
        bp = vitals.get("bp") if scene["pulse"] else None
        return f"Blood pressure {bp} mmHg." if bp else "Blood pressure: not measurable."
    if code in (
        "check_glucose",
        "twelve_lead",
        "labs",
        "history",
        "consider_causes",
        "stroke_scale",
        "last_known_well",
        "ct_head",
        "look_in_mouth",
    ):
        from .engine import _FINDING_OF

        what = {
            "check_glucose": "Glucose checked",
            "twelve_lead": "12-lead ECG obtained",
            "labs": "Blood gas and electrolytes back",
            "history": "History taken",
            "consider_causes": "Reversible causes reviewed with the team",
            "stroke_scale": "Stroke scale done",
            "last_known_well": "Time last known well asked",
            "ct_head": "Head CT done",
            "look_in_mouth": "Looked in the mouth",
        }[code]
        return f"{what}: {_finding(scene, _FINDING_OF[code])}"
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
    if code == "pause_cpr":
        return "Compressions stopped."
    if code == "switch_compressor":
        return "Compressors switched."
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
    if code == "pacing":
        return "Transcutaneous pacing started."
    if code == "drug":
        drug = DRUGS[p["drug"]]
        dose = drug.dose(p["dose"])
        return f"{drug.label} given: {dose.label}."
    if code == "iv_access":
        return "IV access established."
    if code == "io_access":
        return "IO access established."
    if code == "open_airway":
        return "Airway opened."
    if code == "rescue_breaths":
        return "Breaths given."
    if code == "oxygen":
        return f"Oxygen given ({_label(OXYGEN_TARGET, p['target'])})."
    if code == "advanced_airway":
        return "Advanced airway placed."
    if code == "capnography":
        return "Waveform capnography attached."
    if code == "ventilate":
        return f"Ventilation rate set: {_label(VENT_RATE, p['rate'])}."
    if code == "treat_cause":
        return f"Treated: {_CAUSE_LABELS[p['cause']].lower()}."
    if code == "vagal_maneuver":
        return "Vagal manoeuvre done (modified Valsalva)."
    if code == "stroke_alert":
        return "Stroke team activated."
    if code == "thrombolysis":
        return "IV thrombolytic given."
    if code == "cath_lab":
        return "Catheterization lab activated."
    if code == "temperature_control":
        return "Temperature control started."
    if code == "assign_roles":
        return "Team roles assigned."
    if code == "closed_loop":
        return "Orders confirmed with closed-loop communication."
    if code == "summarize":
        return "Summarised for the team and asked for suggestions."
    if code == "back_blows":
        return "5 back blows given."
    if code == "abdominal_thrusts":
        return "5 abdominal thrusts given."
    if code == "recovery_position":
        return "Placed in the recovery position."
    if code == "advance":
        if st["cpr"] and not scene["pulse"]:
            return "Compressions went on to the next rhythm check."
        return "Waited a minute."
    if code == "handoff":
        return "Handed over care."
    if code == "terminate":
        return "Stopped the resuscitation."
    raise ValueError(f"no text for {code}")
