"""Validation of a case file as a whole (CASES_SPEC.md, "Content files").

`validate(data, lessons=..., images=..., rule_lessons=...)` returns every problem,
each with the YAML path of the value at fault (`("states", "vf", "critical", 0,
"do")`); `line_of(data, path)` turns that path into a file line when `data` came from
the strict reader (`curriculum.reader`), which records `__line__` and `__lines__` on
every mapping. `validate_rules` checks a course's `cases/rules.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .engine import (
    END_KINDS,
    FINDING_ACTIONS,
    Definition,
    as_list,
    clock,
    ideal_action,
    strip_lines,
)
from .rules import RHYTHMS, RULES, SHOCKABLE, rules_for
from .vocabulary import (
    ACTIONS,
    CAUSES,
    DRUGS,
    TOOLKITS,
    drugs_for,
    offered,
    parse_action,
)

__all__ = ["Problem", "line_of", "validate", "validate_rules"]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATE_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
STRIP_RE = re.compile(r"^images/ecg/monitor/m-\d{2}\.svg$")
BP_RE = re.compile(r"^\d{2,3}/\d{2,3}$")
MAX_TIME_LIMIT = 4 * 3600
BREATHING = ("none", "agonal", "normal", "labored")
VITALS = ("hr", "bp", "spo2", "etco2", "rr")
SETUP_KEYS = ("compressions", "pads", "monitor", "access", "airway", "capnography")

TOP_KEYS = {
    "title": True,
    "order": True,
    "toolkit": True,
    "patient": True,
    "summary": True,
    "algorithm": True,
    "sources": True,
    "time_limit": True,
    "start": True,
    "states": True,
    "ideal": True,
    "team": False,
    "setup": False,
}
STATE_KEYS = {
    "narrative": True,
    "pulse": True,
    "breathing": True,
    "responsive": True,
    "rhythm": False,
    "strip": False,
    "vitals": False,
    "findings": False,
    "critical": False,
    "errors": False,
    "deviations": False,
    "next": False,
    "end": False,
    "aed": False,
    "may_end": False,
}
# The actions that end a case; a state lists under `may_end` those that end it well.
ENDING_ACTIONS = ("handoff", "terminate")
CONDITION_KEYS = (
    "shocks",
    "given",
    "not_given",
    "doses",
    "done",
    "not_done",
    "cycles",
    "treated",
)
_META = ("__line__", "__lines__")
_NOTHING = object()  # stands for a value that cannot be looked up (a list, a mapping)


def _k(value: Any) -> Any:
    """`value` when it can be looked up in a set or mapping, else a token found in none:
    a list where a name was expected is then reported, never a crash."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return _NOTHING


@dataclass(frozen=True)
class Problem:
    path: tuple
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(file)"
        return f"{where}: {self.message}"


def line_of(data: Any, path: Iterable) -> int:
    """The file line of the value at `path` in data read by the strict reader (which
    records `__line__` on each mapping and `__lines__` per key); the nearest known line
    above when a step is missing. 1 when nothing is known."""
    line = data.get("__line__", 1) if isinstance(data, dict) else 1
    node = data
    for step in path:
        if isinstance(node, dict):
            if step not in node:
                return line  # the line of the key that holds this mapping
            line = node.get("__lines__", {}).get(step, line)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            if isinstance(node, dict):
                line = node.get("__line__", line)
        else:
            return line
    return line


class _Checker:
    def __init__(
        self, data: Mapping, lessons: set[str], images: set[str], rule_lessons
    ):
        self.data = data
        self.lessons = lessons
        self.images = images
        self.rule_lessons = rule_lessons
        self.problems: list[Problem] = []
        self.toolkit = (
            data.get("toolkit") if _k(data.get("toolkit")) in TOOLKITS else None
        )
        self.ids: dict[str, tuple] = {}  # id -> (list key, the entry)

    def add(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(tuple(path), message))

    # --- shapes -------------------------------------------------------------------

    def keys(
        self, value: Any, spec: Mapping[str, bool], path: tuple, what: str
    ) -> bool:
        if not isinstance(value, dict):
            self.add(path, f"{what} must be a mapping")
            return False
        for key in value:
            if key in _META:
                continue
            if key not in spec:
                self.add(
                    (*path, key),
                    f"unknown key '{key}' in {what} (known: {', '.join(spec)})",
                )
        for key, required in spec.items():
            if required and value.get(key) in (None, ""):
                self.add(path, f"{what} needs '{key}'")
        return True

    def text(self, value: Any, path: tuple, *, max_length: int | None = None) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.strip():
            self.add(path, "must be text")
        elif max_length and len(value) > max_length:
            self.add(path, f"must be at most {max_length} characters")

    def integer(
        self,
        value: Any,
        path: tuple,
        minimum: int,
        maximum: int,
        *,
        required: bool = False,
    ) -> bool:
        if value is None:
            if required:
                self.add(path, "needs a whole number")
            return False
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "must be a whole number")
            return False
        if not minimum <= value <= maximum:
            self.add(path, f"must be from {minimum} to {maximum}")
            return False
        return True

    def boolean(self, value: Any, path: tuple) -> None:
        if value is not None and not isinstance(value, bool):
            self.add(path, "must be true or false")

    def lesson(self, value: Any, path: tuple) -> None:
        if not isinstance(value, str) or not value:
            self.add(path, "needs a lesson slug")
        elif _k(value) not in self.lessons:
            self.add(path, f"unknown lesson '{value}' (not a lesson of this course)")

    def code(self, value: Any, path: tuple, *, key: str) -> list[str]:
        codes = as_list(value)
        if not codes or not all(isinstance(c, str) for c in codes):
            self.add(path, f"'{key}' must be an action code or a list of them")
            return []
        good = []
        for code in codes:
            if _k(code) not in ACTIONS:
                self.add(path, f"unknown action '{code}'")
            elif self.toolkit and not offered(code, self.toolkit):
                self.add(
                    path,
                    f"action '{code}' is not offered in the {self.toolkit} toolkit",
                )
            else:
                good.append(code)
        return good

    def with_(self, value: Any, codes: list[str], path: tuple) -> None:
        if value is None or not codes:  # unknown codes are reported already
            return
        if not isinstance(value, dict):
            self.add(path, "'with' must be a mapping of parameter to option(s)")
            return
        for name, wanted in value.items():
            if name in _META:
                continue
            options = self.options(codes, name, value)
            if options is None:
                self.add((*path, name), f"no action here has a parameter '{name}'")
                continue
            values = as_list(wanted)
            if not values:
                self.add((*path, name), "needs at least one option")
            for item in values:
                if isinstance(item, bool) or not isinstance(item, str | int | float):
                    self.add((*path, name), "options are ids (text or numbers)")
                elif str(item) not in options:
                    self.add(
                        (*path, name),
                        f"'{item}' is not an option of '{name}' "
                        f"(options: {', '.join(sorted(options))})",
                    )

    def options(self, codes: list[str], name: str, given: Mapping) -> set[str] | None:
        found: set[str] | None = None
        for code in codes:
            for param in ACTIONS[code].params_for(self.toolkit or "acls"):
                if param.name != name:
                    continue
                found = found or set()
                if name == "drug":
                    found |= {d.id for d in drugs_for(self.toolkit or "acls")}
                elif name == "dose":
                    drugs = [
                        DRUGS[d] for d in as_list(given.get("drug")) if str(d) in DRUGS
                    ]
                    for drug in drugs or list(DRUGS.values()):
                        found |= {x.id for x in drug.doses}
                else:
                    found |= set(param.option_ids())
        return found

    def condition(self, value: Any, path: tuple) -> None:
        if value is None:
            return
        if not isinstance(value, dict) or not [k for k in value if k not in _META]:
            self.add(path, "'if' must be a mapping of conditions")
            return
        for key, item in value.items():
            if key in _META:
                continue
            where = (*path, key)
            if key not in CONDITION_KEYS:
                self.add(
                    where,
                    f"unknown condition '{key}' (known: {', '.join(CONDITION_KEYS)})",
                )
            elif key in ("shocks", "cycles"):
                self.integer(item, where, 1, 100, required=True)
            elif key in ("given", "not_given"):
                self.names(item, where, set(DRUGS), "drug")
            elif key in ("done", "not_done"):
                self.names(item, where, set(ACTIONS), "action")
            elif key == "treated":
                self.names(item, where, {c for c, _ in CAUSES}, "cause")
            elif key == "doses":
                if not isinstance(item, dict) or not [
                    k for k in item if k not in _META
                ]:
                    self.add(where, "'doses' must map a drug to a number of doses")
                    continue
                for drug, count in item.items():
                    if drug in _META:
                        continue
                    if _k(drug) not in DRUGS:
                        self.add((*where, drug), f"unknown drug '{drug}'")
                    self.integer(count, (*where, drug), 1, 100, required=True)

    def names(self, value: Any, path: tuple, allowed: set[str], what: str) -> None:
        items = as_list(value)
        if not items:
            self.add(path, f"needs a list of {what}s")
        for item in items:
            if _k(item) not in allowed:
                self.add(path, f"unknown {what} '{item}'")

    def unique(self, value: Any, path: tuple, key: str, item: Mapping) -> None:
        """Ids are unique in the case, except that one error or deviation may be
        repeated word for word in several states (it fires once)."""
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.add(path, "'id' must be a slug (lowercase letters, digits, hyphens)")
            return
        if value in RULES:
            self.add(path, f"id '{value}' is the id of a generic rule")
            return
        entry = (key, strip_lines(item))
        seen = self.ids.get(value)
        if seen is not None and not (key != "critical" and seen == entry):
            self.add(
                path,
                f"id '{value}' is used twice (a repeated error or deviation must be "
                "the same entry word for word)",
            )
        self.ids.setdefault(value, entry)

    # --- the file -----------------------------------------------------------------

    def check(self) -> None:
        data = self.data
        if not self.keys(data, TOP_KEYS, (), "the case"):
            return
        self.text(data.get("title"), ("title",), max_length=200)
        self.text(data.get("patient"), ("patient",), max_length=300)
        self.text(data.get("summary"), ("summary",))
        self.text(data.get("algorithm"), ("algorithm",), max_length=300)
        if data.get("order") is not None:
            self.integer(data["order"], ("order",), 0, 32767)
        if data.get("toolkit") is not None and self.toolkit is None:
            self.add(("toolkit",), f"must be one of {', '.join(TOOLKITS)}")
        sources = data.get("sources")
        if sources is not None and (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, str) and s.strip() for s in sources)
        ):
            self.add(("sources",), "must be a list of texts")
        if data.get("time_limit") is not None:
            self.integer(data["time_limit"], ("time_limit",), 60, MAX_TIME_LIMIT)
        self.boolean(data.get("team"), ("team",))
        self.setup(data.get("setup"))
        states = data.get("states")
        if not isinstance(states, dict) or not [k for k in states if k not in _META]:
            if states is not None:
                self.add(("states",), "must be a mapping of state id to state")
            return
        for sid, scene in states.items():
            if sid in _META:
                continue
            if not isinstance(sid, str) or not STATE_ID_RE.match(sid):
                self.add(
                    ("states", sid), "state ids are lowercase letters, digits, - and _"
                )
            self.state(sid, scene)
        start = data.get("start")
        if start is not None and _k(start) not in states:
            self.add(("start",), f"unknown state '{start}'")
        self.graph(states, start)
        self.rule_coverage()

    def setup(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(("setup",), "must be a mapping")
            return
        for key, item in value.items():
            if key in _META:
                continue
            if key not in SETUP_KEYS:
                self.add(
                    ("setup", key),
                    f"unknown key '{key}' in setup (known: {', '.join(SETUP_KEYS)})",
                )
            elif key == "access":
                if _k(item) not in ("iv", "io"):
                    self.add(("setup", key), "must be iv or io")
            else:
                self.boolean(item, ("setup", key))
        acls_only = ("monitor", "access", "airway", "capnography")
        if self.toolkit and self.toolkit != "acls":
            for key in acls_only:
                if value.get(key):
                    self.add(
                        ("setup", key), f"not available in the {self.toolkit} toolkit"
                    )

    def state(self, sid: str, scene: Any) -> None:
        base = ("states", sid)
        if not self.keys(scene, STATE_KEYS, base, f"state '{sid}'"):
            return
        self.text(scene.get("narrative"), (*base, "narrative"))
        self.boolean(scene.get("pulse"), (*base, "pulse"))
        self.boolean(scene.get("responsive"), (*base, "responsive"))
        self.boolean(scene.get("aed"), (*base, "aed"))
        if (
            scene.get("breathing") is not None
            and _k(scene["breathing"]) not in BREATHING
        ):
            self.add((*base, "breathing"), f"must be one of {', '.join(BREATHING)}")
        rhythm = scene.get("rhythm")
        if rhythm is not None and _k(rhythm) not in RHYTHMS:
            self.add((*base, "rhythm"), f"unknown rhythm '{rhythm}'")
        if (
            scene.get("pulse") is True
            and scene.get("responsive") is True
            and scene.get("breathing") in ("none", "agonal")
        ):
            self.add(base, "a responsive patient is breathing (normal or labored)")
        if scene.get("pulse") is False and scene.get("responsive") is True:
            self.add(base, "a patient without a pulse is not responsive")
        strip = scene.get("strip")
        if self.toolkit == "acls":
            if rhythm is None and scene.get("end") is None:
                self.add(base, "ACLS states need a 'rhythm' (what the monitor shows)")
            if rhythm is not None and strip is None:
                self.add(base, "a state with a rhythm needs its monitor 'strip'")
        elif scene.get("pulse") is False and rhythm is None and "end" not in scene:
            self.add(
                base, "a pulseless state needs a 'rhythm' (the AED decides from it)"
            )
        if strip is not None:
            if not isinstance(strip, str) or not STRIP_RE.match(strip):
                self.add((*base, "strip"), "must be images/ecg/monitor/m-NN.svg")
            elif strip not in self.images:
                self.add((*base, "strip"), f"no such image '{strip}' in the course")
        if (
            _k(rhythm) in SHOCKABLE
            and scene.get("pulse") is True
            and rhythm.startswith("vf")
        ):
            self.add(base, "VF has no pulse")
        may_end = scene.get("may_end")
        if may_end is not None:
            if (
                not isinstance(may_end, list)
                or not may_end
                or any(_k(code) not in ENDING_ACTIONS for code in may_end)
            ):
                self.add(
                    (*base, "may_end"),
                    f"must list one or both of {', '.join(ENDING_ACTIONS)}",
                )
            elif "terminate" in may_end and self.toolkit != "acls":
                self.add((*base, "may_end"), "terminate is an ACLS action")
        self.vitals(scene.get("vitals"), (*base, "vitals"))
        self.findings(scene.get("findings"), (*base, "findings"))
        for key in ("critical", "errors", "deviations"):
            items = scene.get(key)
            if items is None:
                continue
            if not isinstance(items, list) or not items:
                self.add((*base, key), f"'{key}' must be a list")
                continue
            for index, item in enumerate(items):
                self.entry(key, item, (*base, key, index))
        end = scene.get("end")
        if end is not None:
            if _k(end) not in END_KINDS:
                self.add((*base, "end"), f"must be one of {', '.join(END_KINDS)}")
            if scene.get("next"):
                self.add((*base, "next"), "an end state has no 'next'")
            for key in ("critical", "errors"):
                if scene.get(key):
                    self.add(
                        (*base, key), f"an end state has no '{key}' (the case is over)"
                    )
        else:
            nxt = scene.get("next")
            if not isinstance(nxt, list) or not nxt:
                self.add(base, f"state '{sid}' needs 'next' (a way out) or 'end'")
            else:
                for index, item in enumerate(nxt):
                    self.transition(item, (*base, "next", index))

    def known_items(self, value: Any, path: tuple, known, what: str):
        """(key, item) of a mapping whose keys must be among `known` (an unknown one
        is reported, with the known ones); nothing for None."""
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(path, "must be a mapping")
            return
        for key, item in value.items():
            if key in _META:
                continue
            if key not in known:
                self.add(
                    (*path, key), f"unknown {what} '{key}' (known: {', '.join(known)})"
                )
                continue
            yield key, item

    def vitals(self, value: Any, path: tuple) -> None:
        for key, item in self.known_items(value, path, VITALS, "vital"):
            if item is None:
                continue
            elif key == "bp":
                if not isinstance(item, str) or not BP_RE.match(item):
                    self.add((*path, key), 'blood pressure is text like "90/60"')
            else:
                self.integer(item, (*path, key), 0, 400)

    def findings(self, value: Any, path: tuple) -> None:
        for key, item in self.known_items(value, path, FINDING_ACTIONS, "finding"):
            self.text(item, (*path, key))
            code = FINDING_ACTIONS[key]
            if self.toolkit and not offered(code, self.toolkit):
                self.add(
                    (*path, key),
                    f"'{code}' is not offered in the {self.toolkit} toolkit",
                )

    def entry(self, key: str, item: Any, path: tuple) -> None:
        spec = {"id": True, "debrief": True, "lesson": True}
        if key == "critical":
            spec |= {"do": False, "with": False, "any": False, "within": True}
        elif key == "errors":
            spec |= {"do": True, "with": False, "if": False}
        else:
            spec |= {"do": False, "missing": False, "with": False, "if": False}
        if not self.keys(item, spec, path, "an entry"):
            return
        self.unique(item.get("id"), (*path, "id"), key, item)
        self.text(item.get("debrief"), (*path, "debrief"))
        if item.get("lesson") is not None:
            self.lesson(item["lesson"], (*path, "lesson"))
        if key == "critical":
            self.integer(item.get("within"), (*path, "within"), 1, MAX_TIME_LIMIT)
            if ("do" in item) == ("any" in item):
                self.add(path, "a requirement has 'do' or 'any' (not both)")
            if "any" in item:
                if "with" in item:
                    self.add(
                        (*path, "with"), "put 'with' inside each 'any' alternative"
                    )
                alts = item["any"]
                if not isinstance(alts, list) or len(alts) < 2:
                    self.add((*path, "any"), "'any' lists at least two alternatives")
                    return
                for index, alt in enumerate(alts):
                    where = (*path, "any", index)
                    if self.keys(
                        alt, {"do": True, "with": False}, where, "an alternative"
                    ):
                        codes = self.code(alt.get("do"), (*where, "do"), key="do")
                        self.with_(alt.get("with"), codes, (*where, "with"))
                return
        elif key == "errors":
            self.condition(item.get("if"), (*path, "if"))
        else:
            if ("do" in item) == ("missing" in item):
                self.add(
                    path,
                    "a deviation has 'missing' (expected, never done) or 'do' (done)",
                )
                return
            if "missing" in item and "if" in item:
                self.add((*path, "if"), "'if' goes with 'do' (judged when it is done)")
            self.condition(item.get("if"), (*path, "if"))
        field = "missing" if "missing" in item else "do"
        if field in item:
            codes = self.code(item[field], (*path, field), key=field)
            self.with_(item.get("with"), codes, (*path, "with"))

    def transition(self, item: Any, path: tuple) -> None:
        if not self.keys(
            item,
            {"on": False, "after": False, "with": False, "if": False, "goto": True},
            path,
            "a transition",
        ):
            return
        if ("on" in item) == ("after" in item):
            self.add(
                path, "a transition has 'on' (an action) or 'after' (seconds), not both"
            )
        if "on" in item:
            codes = self.code(item["on"], (*path, "on"), key="on")
            self.with_(item.get("with"), codes, (*path, "with"))
        elif "with" in item:
            self.add((*path, "with"), "'with' goes with 'on'")
        if "after" in item:
            self.integer(
                item["after"], (*path, "after"), 1, MAX_TIME_LIMIT, required=True
            )
        self.condition(item.get("if"), (*path, "if"))
        goto = item.get("goto")
        states = self.data.get("states")
        states = states if isinstance(states, dict) else {}
        if goto is not None and (not isinstance(goto, str) or goto not in states):
            self.add((*path, "goto"), f"unknown state '{goto}'")

    def graph(self, states: Mapping, start: Any) -> None:
        edges: dict[str, set[str]] = {}
        usable = {
            sid
            for sid, scene in states.items()
            if sid not in _META and isinstance(scene, dict)
        }
        for sid in usable:
            targets = set()
            items = states[sid].get("next")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and _k(item.get("goto")) in usable:
                    targets.add(item["goto"])
            edges[sid] = targets
        if _k(start) not in edges:
            return
        reachable = {start}
        todo = [start]
        while todo:
            for target in edges.get(todo.pop(), ()):
                if target not in reachable:
                    reachable.add(target)
                    todo.append(target)
        for sid in states:
            if sid in usable and sid not in reachable:
                self.add(
                    ("states", sid), f"state '{sid}' cannot be reached from '{start}'"
                )
        ends = {
            sid
            for sid in edges
            if isinstance(states[sid], dict) and "end" in states[sid]
        }
        if not ends:
            self.add(("states",), "the case has no end state")
            return
        # Which states can reach an end: walk the edges backwards from the ends.
        reverse: dict[str, set[str]] = {sid: set() for sid in edges}
        for sid, targets in edges.items():
            for target in targets:
                reverse[target].add(sid)
        ending = set(ends)
        todo = list(ends)
        while todo:
            for source in reverse[todo.pop()]:
                if source not in ending:
                    ending.add(source)
                    todo.append(source)
        for sid in sorted(reachable - ending):
            self.add(("states", sid), f"no end state can be reached from state '{sid}'")

    def rule_coverage(self) -> None:
        if self.rule_lessons is None or self.toolkit is None:
            return
        for rule_id in rules_for([self.toolkit], team=bool(self.data.get("team"))):
            if rule_id not in self.rule_lessons:
                self.add(
                    ("toolkit",),
                    f"rules.yaml maps no lesson for generic rule '{rule_id}' "
                    f"(fires in {self.toolkit} cases)",
                )

    def ideal(self) -> None:
        steps = self.data.get("ideal")
        if not isinstance(steps, list) or not steps:
            if steps is not None:
                self.add(("ideal",), "must be a list of steps")
            return
        ok = True
        for index, step in enumerate(steps):
            path = ("ideal", index)
            if not self.keys(
                step, {"do": True, "with": False, "note": False}, path, "a step"
            ):
                ok = False
                continue
            self.text(step.get("note"), (*path, "note"))
            with_ = step.get("with") or {}
            if not isinstance(with_, dict):
                self.add((*path, "with"), "'with' must be a mapping")
                ok = False
                continue
            try:
                parse_action(
                    step.get("do"),
                    {k: str(v) for k, v in with_.items() if k not in _META},
                    self.toolkit or "acls",
                )
            except ValueError as exc:
                self.add((*path, "do"), f"{exc} ('{step.get('do')}')")
                ok = False
            for name in with_:
                if (
                    name not in _META
                    and _k(step.get("do")) in ACTIONS
                    and name
                    not in {
                        p.name
                        for p in ACTIONS[step["do"]].params_for(self.toolkit or "acls")
                    }
                ):
                    self.add(
                        (*path, "with", name),
                        f"'{step['do']}' has no parameter '{name}'",
                    )
                    ok = False
        if not ok or self.problems:
            return
        self.replay(steps)

    def replay(self, steps: list) -> None:
        definition = Definition(strip_lines(self.data), rule_lessons=self.rule_lessons)
        st = definition.initial()
        for index, step in enumerate(steps):
            if st["finished"]:
                self.add(
                    ("ideal", index), "the case has already ended before this step"
                )
                return
            result = definition.act(st, ideal_action(strip_lines(step)))
            st = result.state
            if any(e["kind"] == "refused" for e in result.events):
                text = next(e["text"] for e in result.events if e["kind"] == "refused")
                self.add(("ideal", index), f"refused by the engine: {text}")
        if not st["finished"]:
            self.add(("ideal",), "the ideal path does not end the case")
            return
        result = definition.score(st)
        for finding in result["findings"]:
            if finding["kind"] in ("missed", "error"):
                self.add(
                    ("ideal",),
                    f"the ideal path does not pass: {finding['kind']} "
                    f"'{finding['id']}' at {clock(finding['t'])}",
                )


def validate(
    data: Any,
    *,
    lessons: set[str],
    images: set[str],
    rule_lessons: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem of a parsed case file (an empty list: valid). With `rule_lessons`
    (the course's rules.yaml) the generic rules this case's toolkit can fire must all
    be mapped; the ideal path is replayed when everything else is valid, and must
    end the case and pass."""
    checker = _Checker(data, lessons, images, rule_lessons)
    checker.check()
    if isinstance(data, dict) and not checker.problems:
        checker.ideal()
    elif isinstance(data, dict) and data.get("ideal") is None:
        pass
    return checker.problems


def validate_rules(
    data: Any, *, lessons: set[str], toolkits: Iterable[str], team: bool = True
) -> list[Problem]:
    """Problems of a course's `cases/rules.yaml`: a mapping of generic rule id to
    lesson slug, with a lesson for every rule the course's toolkits can fire."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem((), "rules.yaml must map generic rule ids to lesson slugs")]
    for key, value in data.items():
        if key in _META:
            continue
        if key not in RULES:
            problems.append(
                Problem(
                    (key,), f"unknown generic rule '{key}' (known: {', '.join(RULES)})"
                )
            )
        elif not isinstance(value, str) or value not in lessons:
            problems.append(
                Problem(
                    (key,), f"unknown lesson '{value}' (not a lesson of this course)"
                )
            )
    for rule_id in rules_for(toolkits, team=team):
        if rule_id not in data:
            problems.append(Problem((), f"no lesson for generic rule '{rule_id}'"))
    return problems
