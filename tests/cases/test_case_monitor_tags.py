"""The play page's monitor helpers (cases/templatetags/case_monitor.py): what the AED
screen shows is the AED's latest words in the engine's own log lines, the compression
ratio reads as its label, and clocks carry a valid HTML duration."""

from __future__ import annotations

from cases.engine import Definition
from cases.engine.testing import play
from cases.selectors.attempts import LogLine
from cases.templatetags.case_monitor import aed_prompt, duration_attr, option_label
from tests.cases.engine_helpers import load


def _log(events) -> list[LogLine]:
    return [
        LogLine(seq=i, t=e["t"], kind=e["kind"], text=e["text"])
        for i, e in enumerate(events)
    ]


def test_the_aed_screen_shows_what_the_aed_said_last_in_the_engines_words():
    definition = Definition(load("mall-collapse"))
    steps = load("mall-collapse")["ideal"]
    before_pads = play(definition, steps[:5])
    assert aed_prompt(_log(before_pads.events)) == ""
    advised = play(definition, steps[:7])  # pads on, then the analysis
    assert aed_prompt(_log(advised.events)) == (
        "Shock advised. Stay clear of the patient. Press the flashing shock button."
    )
    shocked = play(definition, steps[:8])
    assert aed_prompt(_log(shocked.events)) == "Shock delivered."


def test_the_compression_ratio_reads_as_its_label():
    actions = Definition(load("ed-collapse")).actions_offered()
    assert option_label(actions, "start_cpr", "ratio", "continuous-10") == (
        "continuous compressions, 1 breath every 6 s"
    )
    assert option_label(actions, "start_cpr", "ratio", "30:2") == "30:2"
    assert option_label(actions, "start_cpr", "ratio", "no-such") == "no-such"
    assert option_label(actions, "start_cpr", "ratio", None) == ""


def test_clocks_carry_an_html_duration():
    assert duration_attr(134) == "PT134S"
    assert duration_attr(0) == "PT0S"
    assert duration_attr(None) == ""
