"""Scoring and the debrief data of an attempt (CASES_SPEC.md, "Engine API").

A case passes when it ended (an end state, a handoff or stopping the resuscitation,
not the time limit), every critical requirement created was met in time and no
critical error fired. Each finding carries its debrief line and the lesson that
teaches it (the case's own lesson, or the course's `rules.yaml` for generic rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .rules import RULES

if TYPE_CHECKING:
    from .engine import Definition

TIME_LIMIT_FINDING = "time-limit"


def score(definition: Definition, state: Mapping) -> dict:
    findings = []
    for item in state["findings"]:
        finding_id, kind = item["id"], item["kind"]
        if finding_id in RULES:
            rule = RULES[finding_id]
            debrief, lesson = rule.debrief, definition.rule_lessons.get(finding_id)
        else:
            source = (
                definition.criticals.get(finding_id)
                or definition.errors.get(finding_id)
                or definition.deviations.get(finding_id)
                or {}
            )
            debrief, lesson = source.get("debrief", ""), source.get("lesson")
        findings.append(
            {
                "id": finding_id,
                "kind": kind,
                "t": item["t"],
                "debrief": debrief,
                "lesson": lesson,
            }
        )
    if state["ended_by"] == "time_limit":
        findings.append(
            {
                "id": TIME_LIMIT_FINDING,
                "kind": "missed",
                "t": state["t"],
                "debrief": "The case reached its time limit before it ended.",
                "lesson": None,
            }
        )
    findings.sort(key=lambda f: f["t"])
    failing = [f for f in findings if f["kind"] in ("missed", "error")]
    pulseless = state["pulseless_time"]
    return {
        "passed": bool(state["finished"]) and not failing,
        "finished": bool(state["finished"]),
        "ended_by": state["ended_by"],
        "t": state["t"],
        "findings": findings,
        "met": dict(state["met"]),
        "cpr_fraction": round(state["compression_time"] / pulseless, 3)
        if pulseless
        else None,
        "pulseless_seconds": pulseless,
        "compression_seconds": state["compression_time"],
        "first_shock_t": state["first_shock"],
        "first_epi_t": state["first_epi"],
        "timeline": [dict(e) for e in state["timeline"]],
        "algorithm": definition.data.get("algorithm", ""),
        "sources": list(definition.data.get("sources") or []),
    }
