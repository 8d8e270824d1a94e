"""Playing cases in tests: `play` runs a list of steps, `error_paths` finds, for every
critical error and critical requirement a case can hit, a list of steps that reaches
it. The app's view tests and the content test use them to play every shipped case
through the real views; nothing here is used by the site itself.

A step is what `ideal:` holds: `{"do": code, "with": {param: option}}`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import rules as R
from .engine import Definition, as_list, ideal_action
from .vocabulary import ACTIONS, DRUGS, Action, drugs_for, offered

__all__ = ["ErrorPath", "Played", "error_paths", "long_case", "play", "step_for"]

CPR_STEP = {"do": "start_cpr", "with": {"ratio": "30:2", "hands": "two-hands"}}
ADVANCE = {"do": "advance"}
SEARCH_LIMIT = 4000  # engine states explored when looking for a way into a state
MAX_ADVANCES = 5  # beyond the time limit in minutes


@dataclass
class Played:
    state: dict
    events: list[dict] = field(default_factory=list)
    definition: Definition | None = None

    @property
    def score(self) -> dict:
        return self.definition.score(self.state)

    def fired(self) -> list[str]:
        return [f["id"] for f in self.state["findings"]]


@dataclass(frozen=True)
class ErrorPath:
    id: str  # the finding id the steps reach (a case id or a generic rule id)
    kind: str  # error | missed
    steps: tuple[dict, ...]


def _action(step: Mapping | Action) -> Action:
    if isinstance(step, Action):
        return step
    return ideal_action(step)


def play(definition: Definition, steps: Iterable[Mapping | Action]) -> Played:
    """Plays the steps from the start; stops early when the case ends."""
    state = definition.initial()
    events = list(definition.opening_events())
    for step in steps:
        if state["finished"]:
            break
        result = definition.act(state, _action(step))
        state = result.state
        events.extend(result.events)
    return Played(state, events, definition)


def step_for(
    definition: Definition, code: str | list, with_: Mapping | None = None
) -> dict:
    """A concrete step for an entry's `do`/`on` and `with`: the first code, the first
    accepted value of each given parameter, the first option of the others."""
    code = as_list(code)[0]
    params: dict[str, str] = {}
    given = dict(with_ or {})
    for param in ACTIONS[code].params_for(definition.toolkit):
        if param.name in given:
            params[param.name] = str(as_list(given[param.name])[0])
        elif param.name == "drug":
            params["drug"] = drugs_for(definition.toolkit)[0].id
        elif param.name == "dose":
            params["dose"] = DRUGS[params["drug"]].doses[0].id
        else:
            params[param.name] = param.options[0].id
    return {"do": code, "with": params} if params else {"do": code}


def _prerequisites(definition: Definition, step: Mapping) -> list[dict]:
    """Steps that keep `step` from being refused: pads, access, an AED analysis."""
    code = step["do"]
    out = []
    if code in ("shock", "sync_cardioversion", "pacing", "analyze"):
        pads = {"do": "attach_pads"}
        if definition.toolkit != "acls":
            pads["with"] = {"pads": "adult"}
        out.append(pads)
    if code == "shock" and definition.toolkit != "acls":
        out.append({"do": "analyze"})
    if code == "thrombolysis" or (
        code == "drug"
        and DRUGS[step["with"]["drug"]].dose(step["with"]["dose"]).route == "ivio"
    ):
        out.append({"do": "io_access"})
    return out


def _with_prerequisites(definition: Definition, state: dict, step: dict) -> list[dict]:
    """`step` preceded by what it needs and the state lacks."""
    steps = []
    for pre in _prerequisites(definition, step):
        code = pre["do"]
        if code == "attach_pads" and state["pads"]:
            continue
        if code == "io_access" and state["access"]:
            continue
        steps.append(pre)
    return [*steps, step]


def _condition_steps(definition: Definition, cond: Mapping | None) -> list[dict]:
    steps: list[dict] = []
    for key, value in (cond or {}).items():
        if key == "shocks":
            steps += [step_for(definition, "shock", {"energy": 200})] * int(value)
        elif key == "given":
            steps += [step_for(definition, "drug", {"drug": d}) for d in as_list(value)]
        elif key == "doses":
            for drug, n in value.items():
                steps += [step_for(definition, "drug", {"drug": drug})] * int(n)
        elif key == "done":
            steps += [step_for(definition, c) for c in as_list(value)]
        elif key == "treated":
            steps += [
                step_for(definition, "treat_cause", {"cause": c})
                for c in as_list(value)
            ]
        elif key == "cycles":
            steps += [CPR_STEP, ADVANCE] * int(value)
    return steps


def _key(state: Mapping, index: int) -> str:
    return json.dumps(
        [
            state["at"],
            index,
            state["done"],
            state["doses"],
            state["cpr"],
            state["pads"],
            state["access"],
            state["finished"],
        ],
        sort_keys=True,
    )


def _reach(definition: Definition, target: str) -> list[dict] | None:
    """Steps from the start that make `target` the current state: a breadth-first
    search over the ideal path's next step, the current state's `on` actions (and
    what they need), starting compressions and `advance`."""
    ideal = list(definition.data.get("ideal") or [])
    start = definition.initial()
    if start["at"] == target:
        return []
    queue = deque([(start, 0, [])])
    seen = {_key(start, 0)}
    explored = 0
    while queue and explored < SEARCH_LIMIT:
        state, index, steps = queue.popleft()
        explored += 1
        moves: list[tuple[list[dict], int]] = []
        if index < len(ideal):
            moves.append(([ideal[index]], index + 1))
        scene = definition.states[state["at"]]
        for entry in scene.get("next") or []:
            if "on" in entry:
                step = step_for(definition, entry["on"], entry.get("with"))
                pre = _condition_steps(definition, entry.get("if"))
                seq = []
                for s in [*pre, step]:
                    seq += _with_prerequisites(definition, state, s)
                moves.append((seq, index))
        if not state["cpr"]:
            moves.append(([CPR_STEP], index))
        moves.append(([ADVANCE], index))
        for seq, next_index in moves:
            current = state
            for step in seq:
                if current["finished"]:
                    break
                current = definition.act(current, ideal_action(step)).state
            key = _key(current, next_index)
            if key in seen:
                continue
            seen.add(key)
            if current["at"] == target and not (
                current["finished"] and "end" not in definition.states[target]
            ):
                return [*steps, *seq]
            if not current["finished"]:
                queue.append((current, next_index, [*steps, *seq]))
    return None


def _reaches(
    definition: Definition, steps: list[dict], finding: str, kind: str
) -> bool:
    played = play(definition, steps)
    return any(
        f["id"] == finding and f["kind"] == kind for f in played.state["findings"]
    )


def _ideal_prefixes(definition: Definition):
    """(steps so far, engine state) after each step of the ideal path, the start
    included."""
    ideal = list(definition.data.get("ideal") or [])
    state = definition.initial()
    yield [], state
    for index, step in enumerate(ideal):
        if state["finished"]:
            return
        state = definition.act(state, ideal_action(step)).state
        if state["finished"]:
            return
        yield ideal[: index + 1], state


def _generic_attempts(
    definition: Definition, state: dict, rule_id: str
) -> list[list[dict]]:
    """Candidate step lists (to append to a prefix ending in `state`) that break a
    generic rule there."""
    scene = definition.states[state["at"]]
    pulse = scene["pulse"]
    rhythm = scene.get("rhythm")
    shock = step_for(definition, "shock", {"energy": 200})
    epi = step_for(definition, "drug", {"drug": "epinephrine", "dose": "1mg-ivio"})
    if rule_id == "shock-nonshockable" and not pulse and rhythm not in R.SHOCKABLE:
        return [_with_prerequisites(definition, state, shock)]
    if rule_id == "shock-with-pulse" and pulse:
        return [_with_prerequisites(definition, state, shock)]
    if rule_id == "sync-pulseless" and not pulse:
        sync = step_for(definition, "sync_cardioversion", {"energy": 100})
        return [_with_prerequisites(definition, state, sync)]
    if rule_id == "atropine-in-arrest" and not pulse:
        atropine = step_for(definition, "drug", {"drug": "atropine", "dose": "1mg"})
        return [_with_prerequisites(definition, state, atropine)]
    if rule_id in ("epi-before-second-shock", "epi-too-soon") and not pulse:
        return [_with_prerequisites(definition, state, epi)]
    if rule_id == "cpr-with-pulse-responsive" and scene["responsive"]:
        return [[CPR_STEP]]
    if rule_id == "cpr-pause-over-10s" and not pulse:
        if state["cpr"]:
            return [[{"do": "pause_cpr"}, ADVANCE]]
        return [
            [ADVANCE],
            [{"do": "check_breathing_pulse"}, ADVANCE],
            [{"do": "check_breathing"}, ADVANCE],
        ]
    if rule_id == "rhythm-check-missed" and not pulse:
        return [[ADVANCE, ADVANCE]]
    if rule_id == "epi-overdue" and not pulse and state["epi_last"] is not None:
        return [[ADVANCE] * 6]
    return []


def _missed_after(
    definition: Definition, prefix: list[dict], requirement: str
) -> list[dict] | None:
    """`prefix` then `advance` until the requirement is missed (None when the case
    ends first or it never is)."""
    steps = list(prefix)
    for _ in range(definition.time_limit // 60 + MAX_ADVANCES):
        steps.append(ADVANCE)
        played = play(definition, steps)
        if any(
            f["id"] == requirement and f["kind"] == "missed"
            for f in played.state["findings"]
        ):
            return steps
        if played.state["finished"]:
            return None
    return None


def error_paths(definition: Definition) -> list[ErrorPath]:
    """For every critical error the case can hit (its states' `errors`, reached by a
    search; every generic rule that can be broken in a state the ideal path visits)
    and every critical requirement the ideal path creates (the ideal path up to the
    step that met it, then `advance` past its deadline): steps that reach it. Each
    path is checked by playing it. Errors of states no search reaches are left out."""
    paths: list[ErrorPath] = []
    done: set[str] = set()

    for sid, scene in definition.states.items():
        for item in scene.get("errors") or []:
            if item["id"] in done:
                continue
            prefix = _reach(definition, sid)
            if prefix is None:
                continue
            state = play(definition, prefix).state
            steps = list(prefix)
            for s in _condition_steps(definition, item.get("if")):
                steps += _with_prerequisites(definition, state, s)
                state = play(definition, steps).state
            steps += _with_prerequisites(
                definition, state, step_for(definition, item["do"], item.get("with"))
            )
            if _reaches(definition, steps, item["id"], "error"):
                paths.append(ErrorPath(item["id"], "error", tuple(steps)))
                done.add(item["id"])

    prefixes = list(_ideal_prefixes(definition))
    for rule_id in R.rules_for([definition.toolkit]):
        if R.RULES[rule_id].kind != "error":
            continue
        for prefix, state in prefixes:
            found = None
            for attempt in _generic_attempts(definition, state, rule_id):
                if not all(offered(s["do"], definition.toolkit) for s in attempt):
                    continue
                steps = [*prefix, *attempt]
                if _reaches(definition, steps, rule_id, "error"):
                    found = steps
                    break
            if found:
                paths.append(ErrorPath(rule_id, "error", tuple(found)))
                break

    ideal = list(definition.data.get("ideal") or [])
    state = definition.initial()
    covered: set[str] = set()
    for index, step in enumerate(ideal):
        if state["finished"]:
            break
        before = set(state["met"])
        state = definition.act(state, ideal_action(step)).state
        for requirement in sorted(set(state["met"]) - before):
            found = _missed_after(definition, list(ideal[:index]), requirement)
            if found:
                paths.append(ErrorPath(requirement, "missed", tuple(found)))
                covered.add(requirement)
    # Requirements of states off the ideal path (failure branches): reach the state,
    # then let the time run out.
    for sid, scene in definition.states.items():
        for item in scene.get("critical") or []:
            if item["id"] in covered:
                continue
            prefix = _reach(definition, sid)
            if prefix is None:
                continue
            found = _missed_after(definition, prefix, item["id"])
            if found:
                paths.append(ErrorPath(item["id"], "missed", tuple(found)))
                covered.add(item["id"])
    return paths


def long_case(states: int) -> dict:
    """A valid lay case of `states` states in a row, each left by reassessing: as
    long a case as wanted (the views' query counts, the benchmark's long case)."""
    scenes = {
        f"s{i}": {
            "narrative": f"Scene {i}: the man is awake and talking.",
            "pulse": True,
            "breathing": "normal",
            "responsive": True,
            "next": [{"on": "reassess", "goto": f"s{i + 1}"}],
        }
        for i in range(states - 1)
    }
    scenes[f"s{states - 1}"] = {
        "narrative": "The paramedics arrive and take over.",
        "pulse": True,
        "breathing": "normal",
        "responsive": True,
        "end": "recovered",
    }
    return {
        "title": f"A long walk ({states} scenes)",
        "order": 9,
        "toolkit": "lay",
        "patient": "Man in his sixties",
        "summary": "A man feels faint and sits down.",
        "algorithm": "None: a test case",
        "sources": ["Tests"],
        "time_limit": 100_000,
        "start": "s0",
        "states": scenes,
        "ideal": [{"do": "reassess"} for _ in range(states - 1)],
    }
