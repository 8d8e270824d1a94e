"""docs/CONTENT_FORMAT.md documents the case format as the engine reads it: the
generated tables (actions, drugs, rules, lists) are current and every key the
validator knows is described."""

from __future__ import annotations

from cases.engine import reference, schema
from cases.engine.rules import RULES
from cases.engine.vocabulary import ACTIONS, DRUGS


def section() -> str:
    text = reference.DOC.read_text()
    start = text.index("## Case simulations")
    return text[start : text.index("\n## ", start + 1)]


def test_generated_tables_are_current():
    text = reference.DOC.read_text()
    assert reference.render(text) == text, (
        "docs/CONTENT_FORMAT.md is out of date: run `python -m cases.engine.reference`"
    )


def test_every_key_the_validator_knows_is_documented():
    doc = section()
    keys = [
        *schema.TOP_KEYS,
        *schema.STATE_KEYS,
        *schema.CONDITION_KEYS,
        *schema.SETUP_KEYS,
        "within",
        "any",
        "missing",
        "goto",
        "after",
    ]
    missing = [key for key in keys if f"`{key}" not in doc]
    assert missing == []


def test_every_action_drug_and_rule_is_in_the_tables():
    doc = section()
    for code in ACTIONS:
        assert f"| `{code}` |" in doc
    for drug in DRUGS:
        assert f"| `{drug}` (" in doc
    for rule in RULES:
        assert f"| `{rule}` |" in doc
