"""Whether an enrollment has met every rule for completing its course.

The rules are the exams app's (the final exam, every module exam and every lesson),
and exams sits above courses (docs/ARCHITECTURE.md). Courses needs the answer in one
place of its own: a waiting enrollment that is activated again completes at once when
its final was passed while it waited (`courses.services._activate`), in the same
transaction as the activation. So the app that owns a rule registers it here in its
`AppConfig.ready()`, and courses asks without importing it.

A rule is a function `rule(*, enrollment) -> bool`.
"""

from __future__ import annotations

_rules: list = []


def completion_rule_register(fn) -> None:
    """Adds a completion rule; adding the same one again is a no-op."""
    if fn not in _rules:
        _rules.append(fn)


def completion_requirements_met(*, enrollment) -> bool:
    """True when at least one rule is registered and every one holds: a course
    completes through its exams, so with none registered nothing completes here."""
    return bool(_rules) and all(rule(enrollment=enrollment) for rule in _rules)
