"""The pure case engine: vocabulary, generic rules, validation, the state machine and
its simulated clock, scoring. No Django imports: the `cases` app stores what this
package computes."""

from .engine import CaseFinished, Definition, Result, clock
from .schema import Problem, line_of, validate, validate_rules
from .vocabulary import Action, actions_offered, parse_action

__all__ = [
    "Action",
    "CaseFinished",
    "Definition",
    "Problem",
    "Result",
    "actions_offered",
    "clock",
    "line_of",
    "load_definition",
    "parse_action",
    "validate",
    "validate_rules",
]


def load_definition(data, *, rule_lessons=None) -> Definition:
    """A `Definition` for data read from a case file; `ValueError` listing the
    problems when it is not valid (images and lessons are not checked here: the
    content sync validates those with the course at hand)."""
    problems = [
        p for p in validate(data, lessons=_Any(), images=_Any(), rule_lessons=None)
    ]
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return Definition(data, rule_lessons=rule_lessons)


class _Any(set):
    """A set that contains everything (for checks that need the course)."""

    def __contains__(self, item) -> bool:
        return True
