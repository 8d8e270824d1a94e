"""The case state machine and its simulated clock (CASES_SPEC.md, "Simulated time").

`Definition(data)` wraps a validated case; `initial()` gives the engine state, a plain
JSON dict that the app stores on the attempt; `act(state, action)` returns a new state
and the events of the learner's log (the input is never changed); `view(state)` is what
the page may show; `score(state)` the debrief data; `expected()` the ideal path
replayed. Nothing here reads a wall clock or draws a random number: the same actions
give the same states, events and score.

Time: each action happens at the clock `t` it was chosen at and then takes its cost in
simulated seconds. While the clock runs, the engine processes what falls due, in order
of time (ties: CPR cycle marks, generic rule deadlines, critical deadlines, timed
transitions, the time limit); the action's own transition (`on`) comes last, at the
end of its cost, when no timed transition moved the case first.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import rules as R
from .texts import FINDING_ACTIONS, describe
from .vocabulary import (
    ACTIONS,
    DRUGS,
    REFUSED_COST,
    Action,
    action_cost,
    actions_offered,
    parse_action,
)

__all__ = [
    "FINDING_ACTIONS",
    "CaseFinished",
    "Definition",
    "Result",
    "clock",
    "strip_lines",
]

STATE_VERSION = 1
CHECK_IN_RHYTHM_CHECK_COST = 3  # s: a pulse check that overlaps the rhythm check
ADVANCE_IDLE = 60  # s: `advance` without running compressions
END_KINDS = ("rosc", "transfer", "death", "recovered")
# How a case ended (`score()["ended_by"]`): an end state's kind, or one of these.
ENDED_BY = (*END_KINDS, "handoff", "terminate", "time_limit")


class CaseFinished(ValueError):
    """`act` on a case that has ended."""


def clock(t: int) -> str:
    """Simulated seconds as the log shows them: 0:05, 2:14, 12:00."""
    return f"{t // 60}:{t % 60:02d}"


def strip_lines(value: Any) -> Any:
    """A copy without the `__line__`/`__lines__` keys the strict YAML reader adds."""
    if isinstance(value, dict):
        return {
            k: strip_lines(v)
            for k, v in value.items()
            if k not in ("__line__", "__lines__")
        }
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def matches(entry: Mapping, action: Action, *, key: str = "do") -> bool:
    """Whether an action is what an entry names: its code (`do`/`on`/`missing`, a
    code or a list of codes) and, when given, `with` (each value one id or a list)."""
    if action.code not in as_list(entry.get(key)):
        return False
    for name, wanted in (entry.get("with") or {}).items():
        if str(action.params.get(name)) not in {str(w) for w in as_list(wanted)}:
            return False
    return True


def meets(requirement: Mapping, action: Action) -> bool:
    if "any" in requirement:
        return any(matches(alt, action) for alt in requirement["any"])
    return matches(requirement, action)


@dataclass
class Result:
    state: dict
    events: list[dict] = field(default_factory=list)
    finished: bool = False


class Definition:
    """A validated case (`schema.validate` first: this class trusts its input)."""

    def __init__(self, data: Mapping, *, rule_lessons: Mapping[str, str] | None = None):
        self.data: dict = strip_lines(copy.deepcopy(dict(data)))
        self.rule_lessons = dict(rule_lessons or {})
        self.toolkit: str = self.data["toolkit"]
        self.states: dict[str, dict] = self.data["states"]
        self.start: str = self.data["start"]
        self.time_limit: int = int(self.data["time_limit"])
        self.team: bool = bool(self.data.get("team", False))
        self.setup: dict = dict(self.data.get("setup") or {})
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        self.digest = hashlib.sha256(canonical.encode()).hexdigest()
        self.criticals: dict[str, dict] = {}
        self.errors: dict[str, dict] = {}
        self.deviations: dict[str, dict] = {}
        for scene in self.states.values():
            for item in scene.get("critical") or []:
                self.criticals[item["id"]] = item
            for item in scene.get("errors") or []:
                self.errors[item["id"]] = item
            for item in scene.get("deviations") or []:
                self.deviations[item["id"]] = item

    # --- public API ---------------------------------------------------------------

    def actions_offered(self) -> list[dict]:
        return actions_offered(self.toolkit)

    def parse(self, code: str, params: Mapping[str, object]) -> Action:
        return parse_action(code, params, self.toolkit)

    def opening_events(self) -> list[dict]:
        """The first line of the log: the start state's narrative at 0:00."""
        narrative = self.states[self.start].get("narrative", "")
        return [{"t": 0, "kind": "narrative", "text": narrative, "code": None}]

    def initial(self) -> dict:
        st: dict[str, Any] = {
            "v": STATE_VERSION,
            "digest": self.digest,
            "t": 0,
            "at": None,
            "entered": 0,
            "cpr": False,  # compressions running (a hands-off hold pauses them)
            "hold": False,
            "cpr_ever": False,
            "ratio": None,
            "hands": None,
            "cycle_start": None,
            "cycle_marks": 0,
            "cycles": 0,
            "recognized": False,
            "arrest_since": None,
            "off_since": None,
            "last_code": None,
            "pads": False,
            "monitor": False,
            "rhythm_from": None,  # when pads or a monitor first allowed a rhythm check
            "aed_advised": False,
            "access": None,
            "airway": False,
            "capnography": False,
            "bp_at": None,
            "done": {},
            "doses": {},
            "treated": [],
            "epi_last": None,
            "first_epi": None,
            "first_shock": None,
            "first_roles": None,
            "pending": [],
            "created": [],
            "met": {},
            "fired": [],
            "findings": [],
            "pulseless_time": 0,
            "compression_time": 0,
            "timeline": [],
            "finished": False,
            "ended_by": None,
        }
        setup = self.setup
        if setup.get("pads"):
            st["pads"] = True
        if setup.get("monitor"):
            st["monitor"] = True
        if st["pads"] or st["monitor"]:
            st["rhythm_from"] = 0
        if setup.get("access"):
            st["access"] = setup["access"]
        st["airway"] = bool(setup.get("airway"))
        st["capnography"] = bool(setup.get("capnography"))
        if setup.get("compressions"):
            st.update(cpr=True, cpr_ever=True, cycle_start=0)
            st["ratio"], st["hands"] = "30:2", "two-hands"
            if st["airway"]:
                st["ratio"] = "continuous-10"
        self._enter(st, self.start, [])
        return st

    def act(self, state: Mapping, action: Action) -> Result:
        """Carries out one action on a copy of `state`. Raises `CaseFinished` once the
        case has ended and `ValueError` for an action the toolkit does not offer or
        with bad parameters."""
        if state.get("finished"):
            raise CaseFinished("The case has ended.")
        action = parse_action(action.code, action.params, self.toolkit)
        st = _copy_state(state)
        events: list[dict] = []
        t0 = st["t"]
        refusal = self._refusal(st, action)
        if refusal:
            self._log(st, events, t0, "refused", refusal, action.code, timeline=True)
            self._run(st, t0 + REFUSED_COST, events)
            st["last_code"] = None
            return Result(st, events, st["finished"])
        self._take(st, action, events)
        return Result(st, events, st["finished"])

    def view(self, state: Mapping) -> dict:
        """What the page may show: never a state id, a rhythm name, what comes next,
        what is critical or whether an action was right."""
        scene = self.states[state["at"]]
        vitals = scene.get("vitals") or {}
        pulse = scene["pulse"]
        monitor_on = state["monitor"]
        leads = state["pads"] or monitor_on
        acls = self.toolkit == "acls"
        compressing = state["cpr"] and not state["hold"]
        strip = None
        if acls and leads and not compressing and scene.get("strip"):
            strip = scene["strip"]

        def shown(key: str, when: bool):
            return vitals.get(key) if when else None

        bp_measured = state["bp_at"] == state["at"]
        monitor = {
            "attached": bool(acls and leads),
            "strip": strip,
            # Compressions shake the trace: the rhythm shows only in a pause.
            "artifact": bool(acls and leads and compressing),
            # The monitor counts the complexes it sees, pulse or not (in PEA too): the
            # rate alone never tells a perfusing rhythm from PEA; a pulse check does.
            "hr": shown("hr", acls and leads and not compressing),
            "spo2": shown("spo2", monitor_on and pulse),
            "bp": shown("bp", pulse and (monitor_on or bp_measured)),
            "etco2": shown("etco2", state["capnography"]),
            "rr": shown("rr", state["capnography"] or (monitor_on and pulse)),
        }
        epi_since = None
        if state["epi_last"] is not None:
            epi_since = state["t"] - state["epi_last"]
        cycle = None
        if state["cpr"] and state["cycle_start"] is not None:
            cycle = state["t"] - state["cycle_start"]
        return {
            "t": state["t"],
            "clock": clock(state["t"]),
            "time_limit": self.time_limit,
            "finished": state["finished"],
            "narrative": scene.get("narrative", ""),
            "patient": self.data.get("patient", ""),
            "toolkit": self.toolkit,
            "monitor": monitor,
            "aed": {"pads": bool(state["pads"])} if not acls else None,
            "compressions": {
                "on": bool(state["cpr"]),
                "ratio": state["ratio"] if state["cpr"] else None,
                "hands": state["hands"] if state["cpr"] else None,
                "cycle_seconds": cycle,
            },
            "epinephrine_seconds_ago": epi_since,
            "access": state["access"],
            "advanced_airway": bool(state["airway"]),
        }

    def score(self, state: Mapping) -> dict:
        from .score import score

        return score(self, state)

    def expected(self) -> list[dict]:
        """The ideal path replayed: `[{t, clock, code, text, note}]`, one per step."""
        out = []
        st = self.initial()
        for step in self.data.get("ideal") or []:
            if st["finished"]:
                break
            action = ideal_action(step)
            t = st["t"]
            result = self.act(st, action)
            st = result.state
            text = next(
                (
                    e["text"]
                    for e in result.events
                    if e["kind"] in ("action", "refused")
                ),
                "",
            )
            out.append(
                {
                    "t": t,
                    "clock": clock(t),
                    "code": action.code,
                    "text": text,
                    "note": step.get("note", ""),
                }
            )
        return out

    def replay_ideal(self) -> dict:
        """The engine state after the ideal path (for validation and tests)."""
        st = self.initial()
        for step in self.data.get("ideal") or []:
            if st["finished"]:
                break
            st = self.act(st, ideal_action(step)).state
        return st

    # --- the clock ----------------------------------------------------------------

    def _scene(self, st: Mapping) -> dict:
        return self.states[st["at"]]

    def _compressing(self, st: Mapping) -> bool:
        return bool(st["cpr"] and not st["hold"])

    def _tick(self, st: dict, to: int) -> None:
        dt = to - st["t"]
        if dt <= 0:
            return
        if not self._scene(st)["pulse"] and st["recognized"]:
            st["pulseless_time"] += dt
            if self._compressing(st):
                st["compression_time"] += dt
        st["t"] = to

    def _due(self, st: dict) -> list[tuple[int, int, str, Any]]:
        """What falls due next: (time, order, kind, payload)."""
        scene = self._scene(st)
        due: list[tuple[int, int, str, Any]] = []
        if st["cpr"] and st["cycle_start"] is not None:
            mark = st["cycle_start"] + R.CYCLE * (st["cycle_marks"] + 1)
            due.append((mark, 0, "cycle", None))
        for t, rule_id in R.deadline_rules(toolkit=self.toolkit, scene=scene, st=st):
            if rule_id not in st["fired"]:
                due.append((max(t, st["t"]), 1, "rule", rule_id))
        for item in st["pending"]:
            due.append((max(item["due"] + 1, st["t"]), 2, "missed", item["id"]))
        for index, entry in enumerate(scene.get("next") or []):
            if "after" not in entry:
                continue
            at = max(st["entered"] + int(entry["after"]), st["t"])
            if at > st["t"] or self._holds(st, entry.get("if")):
                due.append((at, 3, "timed", index))
        due.append((max(self.time_limit, st["t"]), 4, "limit", None))
        return due

    def _run(self, st: dict, until: int, events: list[dict], *, stop_on_move=False):
        """Runs the clock to `until`, processing what falls due in order. With
        `stop_on_move` the clock stops when a timed transition changes the state."""
        start_at = st["at"]
        guard = 0
        while not st["finished"]:
            guard += 1
            if guard > 10_000:  # a validated case never loops; stop a broken one
                raise RuntimeError("the case clock does not advance")
            due = [d for d in self._due(st) if d[0] <= until]
            if not due:
                self._tick(st, until)
                return
            when, _, kind, payload = min(due, key=lambda d: (d[0], d[1]))
            # A timed entry whose condition failed at its time stays eligible and is
            # checked again at each later moment (conditions change with actions).
            if kind == "timed":
                entry = self._scene(st)["next"][payload]
                self._tick(st, when)
                if not self._holds(st, entry.get("if")):
                    continue
                self._enter(st, entry["goto"], events)
                if stop_on_move and st["at"] != start_at:
                    return
                continue
            self._tick(st, when)
            if kind == "cycle":
                st["cycle_marks"] += 1
                st["cycles"] += 1
                if (
                    self.toolkit != "acls"
                    and st["pads"]
                    and not self._scene(st)["pulse"]
                ):
                    self._log(
                        st,
                        events,
                        when,
                        "prompt",
                        "The AED says: \u201cDo not touch the patient. Analysing heart "
                        "rhythm.\u201d",
                    )
            elif kind == "rule":
                self._fire(st, payload, "error", when)
            elif kind == "missed":
                st["pending"] = [p for p in st["pending"] if p["id"] != payload]
                self._fire(st, payload, "missed", when)
            elif kind == "limit":
                self._finish(st, "time_limit", events)

    # --- actions ------------------------------------------------------------------

    def _refusal(self, st: Mapping, action: Action) -> str | None:
        code = action.code
        acls = self.toolkit == "acls"
        if code in ("attach_pads", "attach_monitor") and not self._scene(st).get(
            "aed", True
        ):
            if acls:
                return "The defibrillator has not arrived yet."
            return "The AED has not arrived yet."
        if code == "analyze" and not (st["pads"] or st["monitor"]):
            return (
                "Attach pads or a monitor first."
                if acls
                else "Turn on the AED and attach the pads first."
            )
        if code in ("shock", "sync_cardioversion", "pacing") and not st["pads"]:
            return (
                "Attach defibrillator pads first."
                if acls
                else "Turn on the AED and attach the pads first."
            )
        if code == "shock" and not acls and not st["aed_advised"]:
            return "The AED has not advised a shock."
        if code == "drug":
            dose = DRUGS[action.params["drug"]].dose(action.params["dose"])
            if dose.route == "ivio" and not st["access"]:
                return "No IV or IO access yet."
        if code == "thrombolysis" and not st["access"]:
            return "No IV or IO access yet."
        if code == "pause_cpr" and not st["cpr"]:
            return "Compressions are not running."
        if code in ("iv_access", "io_access") and st["access"]:
            return "IV or IO access is already in place."
        if code == "attach_pads" and st["pads"]:
            return "The pads are already on."
        if code == "attach_monitor" and st["monitor"]:
            return "The monitor is already attached."
        if code == "advanced_airway" and st["airway"]:
            return "An advanced airway is already in place."
        if code == "capnography" and st["capnography"]:
            return "Capnography is already attached."
        return None

    def _take(self, st: dict, action: Action, events: list[dict]) -> None:
        code = action.code
        definition = ACTIONS[code]
        scene = self._scene(st)
        at = st["at"]
        t0 = st["t"]
        pulse = scene["pulse"]
        cost = action_cost(action)
        if (
            code == "check_breathing_pulse"
            and st["last_code"] == "analyze"
            and not st["cpr"]
            and not pulse
        ):
            cost = CHECK_IN_RHYTHM_CHECK_COST
        if code == "switch_compressor" and not st["cpr"]:
            cost = 0  # the new compressor takes over when compressions resume

        # Judged at the moment the action is taken, against the counts before it.
        for rule_id in R.action_rules(
            toolkit=self.toolkit, scene=scene, st=st, action=action
        ):
            self._fire(st, rule_id, "error", t0)
        for item in scene.get("errors") or []:
            if matches(item, action) and self._holds(st, item.get("if")):
                self._fire(st, item["id"], "error", t0)
        for item in scene.get("deviations") or []:
            if (
                "do" in item
                and matches(item, action)
                and self._holds(st, item.get("if"))
            ):
                self._fire(st, item["id"], "deviation", t0)

        # Counts and effects at t0.
        st["done"][code] = st["done"].get(code, 0) + 1
        for item in list(st["pending"]):
            if meets(self.criticals[item["id"]], action) and t0 <= item["due"]:
                st["pending"].remove(item)
                st["met"][item["id"]] = t0
        text = self._describe(st, scene, action)
        self._log(st, events, t0, "action", text, code, timeline=True)
        st["timeline"][-1]["params"] = dict(action.params)

        stops = code in ("analyze", "shock", "pause_cpr")
        hold = False
        if stops and st["cpr"]:
            self._compressions_off(st, t0)
        elif st["cpr"] and definition.hands_off in ("yes", "cpr"):
            hold = True
            self._hold(st, True, t0)
        if code == "shock":
            st["first_shock"] = t0 if st["first_shock"] is None else st["first_shock"]
            st["aed_advised"] = False
        elif code == "analyze" and self.toolkit != "acls":
            st["aed_advised"] = scene.get("rhythm") in R.SHOCKABLE
        elif code == "drug":
            drug = action.params["drug"]
            st["doses"][drug] = st["doses"].get(drug, 0) + 1
            if R.is_arrest_dose(action) and not pulse:
                st["epi_last"] = t0
                if st["first_epi"] is None:
                    st["first_epi"] = t0
        elif code == "treat_cause":
            if action.params["cause"] not in st["treated"]:
                st["treated"].append(action.params["cause"])
        elif code == "start_cpr":
            st["ratio"], st["hands"] = action.params["ratio"], action.params["hands"]
            st["aed_advised"] = False  # touching the patient disarms the AED
        elif code == "assign_roles" and st["first_roles"] is None:
            st["first_roles"] = t0

        # The clock runs.
        if code == "advance":
            if st["cpr"] and not pulse and st["cycle_start"] is not None:
                since = st["t"] - st["cycle_start"]
                until = st["cycle_start"] + R.CYCLE * (since // R.CYCLE + 1)
            else:
                until = st["t"] + ADVANCE_IDLE
            self._run(st, until, events, stop_on_move=True)
        else:
            self._run(st, t0 + cost, events)
        if st["finished"]:
            st["last_code"] = code
            return

        # Effects at the end of the action's time.
        if hold and st["at"] == at:
            self._hold(st, False, st["t"])
        elif hold:
            self._hold(st, False, st["t"])
        now_scene = self._scene(st)
        if code == "start_cpr" and not st["cpr"]:
            st.update(
                cpr=True, hold=False, cpr_ever=True, cycle_start=st["t"], cycle_marks=0
            )
            st["off_since"] = None
            if not now_scene["pulse"] and not st["recognized"]:
                self._recognize(st)
        elif code == "attach_pads":
            st["pads"] = True
        elif code == "attach_monitor":
            st["monitor"] = True
        elif code in ("iv_access", "io_access"):
            st["access"] = code.split("_")[0]
        elif code == "advanced_airway":
            st["airway"] = True
        elif code == "capnography":
            st["capnography"] = True
        elif code == "check_bp":
            st["bp_at"] = st["at"]
        if code in ("attach_pads", "attach_monitor") and st["rhythm_from"] is None:
            st["rhythm_from"] = st["t"]
        if (
            code in ("check_breathing", "check_breathing_pulse", "reassess", "analyze")
            and not now_scene["pulse"]
            and not st["recognized"]
            and st["at"] == at
        ):
            self._recognize(st)
        st["last_code"] = code

        # The action's own transition, when the clock did not move the case.
        if st["at"] == at and not st["finished"]:
            for entry in scene.get("next") or []:
                if "on" in entry and matches(entry, action, key="on"):
                    if self._holds(st, entry.get("if")):
                        self._enter(st, entry["goto"], events)
                        break
        if not st["finished"] and code in ("handoff", "terminate"):
            self._finish(st, code, events)

    # --- state changes ------------------------------------------------------------

    def _recognize(self, st: dict) -> None:
        st["recognized"] = True
        if st["arrest_since"] is None:
            st["arrest_since"] = st["t"]
        if not self._compressing(st):
            st["off_since"] = st["t"]

    def _compressions_off(self, st: dict, t: int) -> None:
        st["cpr"] = False
        st["hold"] = False
        st["cycle_start"] = None
        st["cycle_marks"] = 0
        if (
            st["recognized"]
            and not self._scene(st)["pulse"]
            and st["off_since"] is None
        ):
            st["off_since"] = t

    def _hold(self, st: dict, on: bool, t: int) -> None:
        st["hold"] = on
        if not st["recognized"] or self._scene(st)["pulse"]:
            return
        if on and st["off_since"] is None:
            st["off_since"] = t
        if not on and st["cpr"]:
            st["off_since"] = None

    def _enter(self, st: dict, state_id: str, events: list[dict]) -> None:
        previous = st["at"]
        if previous is not None:
            self._leave(st, previous)
        was_pulseless = previous is not None and not self.states[previous]["pulse"]
        was_recognized = was_pulseless and st["recognized"]
        scene = self.states[state_id]
        st["at"] = state_id
        st["entered"] = st["t"]
        st["aed_advised"] = False
        if previous is not None:
            self._log(st, events, st["t"], "narrative", scene.get("narrative", ""))
        for item in scene.get("critical") or []:
            if item["id"] not in st["created"]:
                st["created"].append(item["id"])
                st["pending"].append(
                    {"id": item["id"], "due": st["t"] + int(item["within"])}
                )
        if scene["pulse"]:
            st["recognized"] = False
            st["arrest_since"] = None
            st["off_since"] = None
        elif was_recognized:
            pass  # the same arrest goes on: a pause already running keeps running
        elif st["cpr"]:
            st["recognized"] = True
            st["arrest_since"] = st["t"]
            if st["hold"]:
                st["off_since"] = st["t"]
        else:
            st["recognized"] = False
            st["arrest_since"] = None
            st["off_since"] = None
        if "end" in scene:
            self._finish(st, scene["end"], events)

    def _leave(self, st: dict, state_id: str) -> None:
        scene = self.states[state_id]
        for item in scene.get("deviations") or []:
            if "missing" in item and not any(
                matches(item, Action(code, params), key="missing")
                for code, params in self._done_actions(st)
            ):
                self._fire(st, item["id"], "deviation", st["t"])

    def _finish(self, st: dict, outcome: str, events: list[dict]) -> None:
        if st["finished"]:
            return
        self._leave(st, st["at"])
        for item in st["pending"]:
            self._fire(st, item["id"], "missed", st["t"])
        st["pending"] = []
        if st["pulseless_time"] > 0:
            fraction = st["compression_time"] / st["pulseless_time"]
            if fraction < R.CPR_FRACTION_TARGET:
                self._fire(st, "cpr-fraction-low", "deviation", st["t"])
        if self.team and self.toolkit in ("bls", "acls"):
            first = st["first_roles"]
            if first is None or first > R.ROLES_WITHIN:
                self._fire(st, "no-roles", "deviation", min(st["t"], R.ROLES_WITHIN))
        st["finished"] = True
        st["ended_by"] = outcome
        st["cpr"] = False
        st["hold"] = False
        text = {
            "handoff": "Care handed over.",
            "terminate": "Resuscitation stopped.",
            "time_limit": "Time is up: the case has ended.",
        }.get(outcome, "The case has ended.")
        self._log(st, events, st["t"], "end", text)

    @staticmethod
    def _done_actions(st: Mapping):
        for entry in st["timeline"]:
            if entry["kind"] == "action":
                yield entry["code"], entry.get("params", {})

    def _fire(self, st: dict, finding_id: str, kind: str, t: int) -> None:
        if finding_id in st["fired"]:
            return
        st["fired"].append(finding_id)
        st["findings"].append({"id": finding_id, "kind": kind, "t": t})

    def _holds(self, st: Mapping, cond: Mapping | None) -> bool:
        if not cond:
            return True
        done, doses = st["done"], st["doses"]
        for key, value in cond.items():
            if key == "shocks" and done.get("shock", 0) < int(value):
                return False
            if key == "given" and any(not doses.get(d) for d in as_list(value)):
                return False
            if key == "not_given" and any(doses.get(d) for d in as_list(value)):
                return False
            if key == "doses" and any(
                doses.get(d, 0) < int(n) for d, n in value.items()
            ):
                return False
            if key == "done" and any(not done.get(c) for c in as_list(value)):
                return False
            if key == "not_done" and any(done.get(c) for c in as_list(value)):
                return False
            if key == "cycles" and st["cycles"] < int(value):
                return False
            if key == "treated" and any(c not in st["treated"] for c in as_list(value)):
                return False
        return True

    # --- the log ------------------------------------------------------------------

    def _log(
        self,
        st: dict,
        events: list[dict],
        t: int,
        kind: str,
        text: str,
        code: str | None = None,
        *,
        timeline: bool = False,
    ) -> None:
        event = {"t": t, "kind": kind, "text": text, "code": code}
        events.append(event)
        if timeline:
            st["timeline"].append({"t": t, "code": code, "text": text, "kind": kind})

    def _describe(self, st: Mapping, scene: Mapping, action: Action) -> str:
        """The log line of an action: what was done and, for a check, what it found.
        Plain and past tense; never says whether it was right."""
        return describe(self, st, scene, action)


def _copy_state(state: Mapping) -> dict:
    """A copy `act` may change: each list and mapping of the state copied one level
    deep (their items, once written, are never changed)."""
    return {
        key: value.copy() if isinstance(value, dict | list) else value
        for key, value in state.items()
    }


def ideal_action(step: Mapping) -> Action:
    return Action(step["do"], {k: str(v) for k, v in (step.get("with") or {}).items()})
