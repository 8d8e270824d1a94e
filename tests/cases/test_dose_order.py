"""The dose menu is ordered by a rule, never with the right answer first.

A fresh-eyes review found the first dose listed was the right one in 14 of 16 dose
choices: a test-wise candidate could pass dose questions without knowing a dose. Doses
are now listed by amount, smallest first (equal amounts by label, infusions without a
leading amount last), whatever the case asks for.
"""

import re

import pytest

from cases.engine.vocabulary import DRUGS

_UNITS = {"mcg": 0.001, "mg": 1.0, "g": 1000.0, "ml": 1.0, "l": 1000.0, "units": 1.0}


def _amount(label: str) -> tuple:
    """The order a reader would expect: the leading amount in one unit, then the label."""
    match = re.match(
        r"(\d+(?:\.\d+)?)(?:-\d+(?:\.\d+)?)?\s*(mcg|mg|g|mL|L|units)\b", label
    )
    if match is None:
        return (1, 0.0, label)
    return (0, float(match[1]) * _UNITS[match[2].lower()], label)


@pytest.mark.parametrize(
    "drug", [d for d in DRUGS.values() if len(d.doses) > 1], ids=lambda d: d.id
)
def test_a_drugs_doses_are_offered_smallest_first(drug):
    labels = [dose.label for dose in drug.doses]
    assert labels == sorted(labels, key=_amount)


def test_the_first_dose_offered_is_not_the_usual_arrest_dose():
    """The two arrest drugs' usual first doses are not at the top of their menus."""
    assert DRUGS["epinephrine"].doses[0].id != "1mg-ivio"
    assert DRUGS["amiodarone"].doses[0].id != "300mg"
