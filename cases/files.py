"""A case as a file: the YAML an author writes (content/<course>/cases/<slug>.yaml),
read with its lines and checked by the engine, and written back in the order an
author would read it. The content sync, the export and the admin's case editor
share these, so a case reads and writes the same way everywhere.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from core.strict_yaml import load_yaml, without_lines

from .engine import line_of, validate

__all__ = ["case_problems", "case_yaml", "json_safe", "read_case_yaml"]

# The longest shipped case is about 32,000 characters. The admin's editor refuses a
# text four times that before parsing it: the checks replay the case, and nothing
# an author writes by hand needs more.
MAX_CASE_CHARS = 128 * 1024


def json_safe(value: Any) -> tuple[Any, str | None]:
    """`value` as JSON stores it (the database's JSON column and the fingerprint
    see exactly this), or what in it JSON cannot hold (a date, a number as a key)."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        return None, f"holds a value JSON cannot store ({error}); put it in quotes"
    loaded = json.loads(text)
    if loaded != value:
        return None, (
            "holds a key that is not text (a number or true/false as a key); put it "
            "in quotes"
        )
    return loaded, None


def case_problems(
    data: dict,
    definition: dict,
    *,
    lessons: set[str],
    images: set[str],
    rule_lessons: dict[str, str] | None,
) -> list[tuple[int, str]]:
    """The engine's problems with a case (`definition`: the file without its line
    records), each as (file line, "where.in.the.file: what"); `data` is the file
    as read, with its lines."""
    return [
        (
            line_of(data, problem.path),
            f"{'.'.join(str(step) for step in problem.path)}: {problem.message}"
            if problem.path
            else problem.message,
        )
        for problem in validate(
            definition, lessons=lessons, images=images, rule_lessons=rule_lessons
        )
    ]


def read_case_yaml(
    text: str,
    *,
    lessons: set[str],
    images: set[str],
    rule_lessons: dict[str, str] | None,
) -> tuple[dict | None, list[tuple[int, str]]]:
    """(definition, []) for a valid case text, or (None, [(line, message)]).

    A text longer than MAX_CASE_CHARS, or nested deeper than the YAML reader and
    the checks can recurse (a typed text in the admin, not a file), is refused
    with a problem on line 1 instead of failing the request."""
    if len(text) > MAX_CASE_CHARS:
        return None, [
            (
                1,
                f"the case is too long ({len(text):,} characters; at most "
                f"{MAX_CASE_CHARS:,})",
            )
        ]
    try:
        return _read_case_yaml(
            text, lessons=lessons, images=images, rule_lessons=rule_lessons
        )
    except RecursionError:
        return None, [(1, "nested too deeply to be a case")]


def _read_case_yaml(
    text: str,
    *,
    lessons: set[str],
    images: set[str],
    rule_lessons: dict[str, str] | None,
) -> tuple[dict | None, list[tuple[int, str]]]:
    try:
        data = load_yaml(text, first_line=1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        return None, [((mark.line + 1) if mark else 1, f"invalid YAML: {exc.problem}")]
    except yaml.YAMLError as exc:
        return None, [(1, f"invalid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [(1, "a case is a mapping of keys to values")]
    definition, problem = json_safe(without_lines(data))
    if problem:
        return None, [(1, problem)]
    problems = case_problems(
        data, definition, lessons=lessons, images=images, rule_lessons=rule_lessons
    )
    return (None, problems) if problems else (definition, [])


# The order a case file's keys are written in (docs/CONTENT_FORMAT.md, "Case
# simulations"); keys not listed follow in their stored order. JSON columns do not
# keep key order on every database (PostgreSQL's jsonb sorts them), so the file is
# written in the order an author would.
_CASE_KEYS = (
    "title",
    "order",
    "toolkit",
    "team",
    "patient",
    "summary",
    "algorithm",
    "sources",
    "time_limit",
    "start",
    "states",
    "ideal",
)
_STATE_KEYS = (
    "narrative",
    "rhythm",
    "strip",
    "pulse",
    "breathing",
    "responsive",
    "vitals",
    "findings",
    "critical",
    "errors",
    "deviations",
    "next",
    "end",
)


def _ordered(data: dict, keys: tuple[str, ...]) -> dict:
    return {
        **{key: data[key] for key in keys if key in data},
        **{key: value for key, value in data.items() if key not in keys},
    }


def _states_in_play_order(states: dict, start: str) -> dict:
    """States from `start` in the order play reaches them (each state's `next`
    targets in turn), then any others: how an author reads the file."""
    seen: list[str] = []
    todo = [start]
    while todo:
        name = todo.pop(0)
        if name in seen or name not in states:
            continue
        seen.append(name)
        for rule in states[name].get("next") or []:
            if isinstance(rule, dict) and isinstance(rule.get("goto"), str):
                todo.append(rule["goto"])
    seen += [name for name in states if name not in seen]
    return {name: _ordered(states[name], _STATE_KEYS) for name in seen}


def _in_file_order(definition: dict) -> dict:
    data = _ordered(dict(definition), _CASE_KEYS)
    if isinstance(data.get("states"), dict):
        data["states"] = _states_in_play_order(data["states"], data.get("start", ""))
    return data


class _CaseDumper(yaml.SafeDumper):
    """Multi-line text (narratives, briefings) as literal blocks, as authors write
    them."""


def _text_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Text with line breaks inside as a literal block (`|`); one paragraph ending
    in a line break (what an author's `>` gives) folded (`>`); the rest as plain
    or quoted scalars. PyYAML falls back to quotes where a style cannot hold the
    text exactly."""
    style = None
    if value == value.strip(" "):
        if "\n" in value.rstrip("\n"):
            style = "|"
        elif value.endswith("\n") and not value.endswith("\n\n"):
            style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CaseDumper.add_representer(str, _text_representer)


def case_yaml(definition: dict) -> str:
    """The case as its file: keys in the documented order, states in play order,
    text folded at 88 columns as an author writes it (reading it back gives the
    same text: sync(export(db)) changes nothing)."""
    return yaml.dump(
        _in_file_order(definition),
        Dumper=_CaseDumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
    )
