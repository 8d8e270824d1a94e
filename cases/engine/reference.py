"""The reference tables of docs/CONTENT_FORMAT.md ("Case simulations"), generated from
the vocabulary and the rules so the documentation cannot drift from the engine.

`python -m cases.engine.reference` rewrites the tables in place between their
`<!-- cases:NAME -->` and `<!-- /cases:NAME -->` markers; a test checks they are
current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .rules import _RULE_LIST, RHYTHMS, SHOCKABLE
from .texts import FINDING_ACTIONS
from .vocabulary import _ACTION_LIST, _DRUG_LIST, GROUPS, INFUSION_COST, TOOLKITS

DOC = Path(__file__).resolve().parents[2] / "docs" / "CONTENT_FORMAT.md"
ROUTES = {
    "ivio": "IV/IO (needs access)",
    "im": "IM",
    "in": "intranasal",
    "sl": "sublingual",
    "po": "by mouth",
}
HANDS_OFF = {"no": "", "yes": "yes", "cpr": "when compressions run"}


def _toolkits(toolkits) -> str:
    if set(toolkits) == set(TOOLKITS):
        return "all"
    return " ".join(t for t in TOOLKITS if t in toolkits)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def actions_table() -> str:
    rows = [
        "| code | label | group | toolkits | cost s | hands-off "
        '| parameters: option ids ("labels") |',
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in _ACTION_LIST:
        params = []
        for p in a.params:
            where = (
                ""
                if set(p.toolkits) == set(TOOLKITS)
                else f" ({_toolkits(p.toolkits)})"
            )
            if p.name == "drug":
                params.append("drug, dose: see the drugs table")
                continue
            if p.name == "dose":
                continue
            options = ", ".join(
                f"`{o.id}`"
                if o.label in (o.id, f"{o.id} J")
                else f'`{o.id}` ("{o.label}")'
                for o in p.options
            )
            params.append(f"{p.name}{where}: {options}")
        cost = str(a.cost)
        if a.code == "advance":
            cost = "to the next 2-minute mark, or 60"
        elif a.code == "drug":
            cost = f"{a.cost} (infusions {INFUSION_COST})"
        rows.append(
            f"| `{a.code}` | {_cell(a.label)} | {a.group} | {_toolkits(a.toolkits)} | "
            f"{cost} | {HANDS_OFF[a.hands_off]} | {_cell('; '.join(params))} |"
        )
    return "\n".join(rows)


def drugs_table() -> str:
    rows = ["| drug | toolkits | dose ids (labels; route) |", "| --- | --- | --- |"]
    for d in _DRUG_LIST:
        doses = "; ".join(
            f'`{x.id}` ("{x.label}"; {ROUTES[x.route]}'
            f"{', infusion' if x.infusion else ''})"
            for x in d.doses
        )
        rows.append(
            f"| `{d.id}` ({d.label}) | {_toolkits(d.toolkits)} | {_cell(doses)} |"
        )
    return "\n".join(rows)


def rules_table() -> str:
    rows = [
        "| rule id | kind | toolkits | fires when | debrief line |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in _RULE_LIST:
        rows.append(
            f"| `{r.id}` | {r.kind} | {_toolkits(r.toolkits)} | {_cell(r.when)} | "
            f"{_cell(r.debrief)} |"
        )
    return "\n".join(rows)


def lists_table() -> str:
    groups = ", ".join(f"`{g}` ({label})" for g, label in GROUPS.items())
    rhythms = ", ".join(f"`{r}`" for r in RHYTHMS)
    shockable = ", ".join(f"`{r}`" for r in RHYTHMS if r in SHOCKABLE)
    findings = ", ".join(
        f"`{key}`" if key == code else f"`{key}` (`{code}`)"
        for key, code in FINDING_ACTIONS.items()
    )
    return "\n".join(
        [
            f"- **Groups** (in page order): {groups}.",
            f"- **Rhythms** (`rhythm:`): {rhythms}. Shockable without a pulse: "
            f"{shockable}.",
            f"- **Findings keys** (`findings:`; the action that asks, when the key is "
            f"not its code): {findings}.",
        ]
    )


TABLES = {
    "actions": actions_table,
    "drugs": drugs_table,
    "rules": rules_table,
    "lists": lists_table,
}


def marked(name: str) -> re.Pattern:
    return re.compile(
        rf"(<!-- cases:{name} -->\n)(.*?)(<!-- /cases:{name} -->)", re.DOTALL
    )


def render(text: str) -> str:
    """The document with every marked table regenerated."""
    for name, table in TABLES.items():
        text = marked(name).sub(
            lambda m, t=table: m.group(1) + t() + "\n" + m.group(3), text
        )
    return text


def main() -> int:
    text = DOC.read_text()
    missing = [name for name in TABLES if not marked(name).search(text)]
    if missing:
        print(f"{DOC}: no markers for {', '.join(missing)}", file=sys.stderr)
        return 1
    DOC.write_text(render(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
