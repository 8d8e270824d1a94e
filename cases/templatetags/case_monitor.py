"""What the play page's monitor shows, in templates (`{% load case_monitor %}`).

Display only: everything comes from the engine's view of the state and the learner's
own log (cases.selectors.PlayPage); static/js/monitor.js draws the same after an
action answered in JSON, so both read the same things the same way.
"""

from __future__ import annotations

import re

from django import template

register = template.Library()

# What an AED says, as the engine writes it in the log: The AED analysed: “...” /
# The AED says: “...”. The monitor's AED screen shows the latest.
AED_PROMPT = re.compile(r"AED (?:analysed|says):\s*\u201c([^\u201d]+)\u201d")


@register.filter
def aed_prompt(log) -> str:
    """The latest thing the AED said in the log (its words, no quotes), or ""."""
    for line in reversed(list(log or [])):
        found = AED_PROMPT.search(getattr(line, "text", "") or "")
        if found:
            return found.group(1)
    return ""


@register.simple_tag
def option_label(actions, code: str, param: str, option_id) -> str:
    """The label of one option of an action's parameter (the compression ratio
    `continuous-10` -> "continuous compressions, 1 breath every 6 s"), or the id
    itself when the action does not offer it."""
    if option_id in (None, ""):
        return ""
    for group in actions or []:
        for action in group.get("actions", []):
            if action.get("code") != code:
                continue
            for spec in action.get("params", []):
                if spec.get("name") != param:
                    continue
                for option in spec.get("options", []):
                    if option.get("id") == option_id:
                        return option.get("label", str(option_id))
    return str(option_id)


@register.filter
def duration_attr(seconds) -> str:
    """Seconds as an HTML duration (`<time datetime="PT134S">`)."""
    try:
        return f"PT{int(seconds)}S"
    except (TypeError, ValueError):
        return ""
