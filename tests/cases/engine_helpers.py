"""Loading the engine's sample cases (tests/cases/fixtures) as the content sync does:
with the strict YAML reader, so `on:` is a key and lines are known."""

from __future__ import annotations

from pathlib import Path

from cases.engine import Definition
from curriculum.reader import _load_yaml

FIXTURES = Path(__file__).parent / "fixtures"
LESSONS = {
    "vf-pvt",
    "arrest-drugs",
    "arrest-airway",
    "adult-compressions",
    "using-an-aed",
}
IMAGES = {f"images/ecg/monitor/m-{n:02d}.svg" for n in range(1, 21)}


def load(name: str) -> dict:
    return _load_yaml((FIXTURES / f"{name}.yaml").read_text(), first_line=1)


def definition(name: str, **kwargs) -> Definition:
    return Definition(load(name), **kwargs)
