"""Every item-quality gate of exams/quality.py fails a crafted bad bank and passes a
crafted good one that differs only in the cue (issue 12), plus the edges: the 20-item
minimum, ties, capitals, the similarity threshold, and the admin's one call."""

from __future__ import annotations

from fractions import Fraction

import pytest

from exams import quality
from exams.quality import Bank, Item

# Choice texts with fixed lengths, free of every cue the gates look for.
WRONG = ("Twenty joules", "Fifty joules given", "One hundred joules given")  # 13/18/24
KEY_LONG = "Two hundred joules biphasic"  # 27: strictly longest
KEY_SHORT = "Ten J"  # 5: strictly shortest
KEY_MID = "Sixty joules now"  # 16: neither
KEY_TIED_LONG = "Two hundred joules given"  # 24: ties the longest wrong choice
KEY_TIED_SHORT = "Thirty joules"  # 13: ties the shortest wrong choice


def item(n: int, key: str, wrong=WRONG, *, stem: str | None = None) -> Item:
    return Item(
        id=f"q{n:02d}",
        stem=stem or f"Which energy setting suits defibrillator model{n}?",
        choices=[(key, True), *((w, False) for w in wrong)],
        source=f"content/test/quiz.yaml:{10 * n + 1}",
    )


def bank(longest=5, shortest=5, size=20, *, name="test/final", tied=0, **kw) -> Bank:
    """`longest` items whose key is strictly longest, then `shortest` strictly shortest,
    then `tied` whose key ties the longest, the rest neither."""
    keys = [KEY_LONG] * longest + [KEY_SHORT] * shortest + [KEY_TIED_LONG] * tied
    keys += [KEY_MID] * (size - len(keys))
    return Bank(name, [item(n, key) for n, key in enumerate(keys)], **kw)


def replace(b: Bank, n: int, new: Item) -> Bank:
    items = list(b.items)
    items[n] = new
    return Bank(b.name, items, is_final=b.is_final)


def with_cue(b: Bank, cue_wrong: str | None, cue_key: str | None, wrong=8, keys=0):
    """The neutral bank with `wrong` mid items carrying the cue in one wrong choice and
    `keys` mid items carrying it in the key (lengths stay strictly between)."""
    for i in range(wrong):
        n = 10 + i
        b = replace(b, n, item(n, KEY_MID, (WRONG[0], cue_wrong, WRONG[2])))
    for i in range(keys):
        n = 10 + i
        wrong_texts = tuple(c.text for c in b.items[n].distractors)
        b = replace(b, n, item(n, cue_key, wrong_texts))
    return b


def codes(findings) -> set[str]:
    return {f.code for f in findings}


GOOD = bank()


def test_the_neutral_bank_passes_every_gate():
    assert quality.bank_findings(GOOD) == []
    fig = quality.bank_figures(GOOD)
    assert (fig.longest_share, fig.shortest_share) == (0.25, 0.25)


# --- every gate: a bad bank fails it, the nearest good bank passes -------------------

ABSOLUTE_WRONG = "Fifty joules, always given"  # 26: the mid key stays in between
ABSOLUTE_KEY = "Always sixty joules"  # 19: still neither longest nor shortest
JUSTIFY_WRONG = "Fifty joules because VF"  # 23
JUSTIFY_KEY = "Sixty J so it converts"  # 22


def _negative(stem: str) -> Bank:
    return replace(GOOD, 3, item(3, KEY_LONG, stem=stem))


def _above(text: str) -> Bank:
    return replace(GOOD, 12, item(12, KEY_MID, (WRONG[0], WRONG[1], text)))


CASES = {
    # code: (bad banks, good banks)
    quality.KEY_LONGEST_SHARE: (
        [bank(longest=2), bank(longest=9), bank(longest=0)],  # 10%, 45%, 0%
        [bank(longest=3), bank(longest=8)],  # 15% and 40%: the bounds pass
    ),
    quality.KEY_SHORTEST_SHARE: (
        [bank(shortest=2), bank(shortest=9), bank(shortest=0)],
        [bank(shortest=3), bank(shortest=8)],
    ),
    quality.ALL_NONE_OF_THE_ABOVE: (
        [
            _above("All of the above"),
            _above("None of the above."),
            _above("All of these"),
        ],
        [_above("Above the nipple line")],
    ),
    quality.NEGATIVE_STEM_LOWERCASE: (
        [
            _negative("Which drug is not given in VF?"),
            _negative("All of these are shockable rhythms except:"),
            _negative("In which patient is atropine least likely to work?"),
            _negative("Which drug isn't given in VF?"),
        ],
        [
            _negative("Which drug is NOT given in VF?"),
            _negative("All of these are shockable rhythms EXCEPT:"),
            _negative("In which patient is atropine LEAST likely to work?"),
        ],
    ),
    quality.ABSOLUTE_WORDS_IN_DISTRACTORS: (
        [with_cue(GOOD, ABSOLUTE_WRONG, ABSOLUTE_KEY, wrong=8, keys=0)],
        [
            with_cue(GOOD, ABSOLUTE_WRONG, ABSOLUTE_KEY, wrong=8, keys=3),
            with_cue(GOOD, ABSOLUTE_WRONG, ABSOLUTE_KEY, wrong=1, keys=0),
        ],
    ),
    quality.JUSTIFYING_CLAUSE_IN_DISTRACTORS: (
        [with_cue(GOOD, JUSTIFY_WRONG, JUSTIFY_KEY, wrong=8, keys=0)],
        [
            with_cue(GOOD, JUSTIFY_WRONG, JUSTIFY_KEY, wrong=8, keys=3),
            with_cue(GOOD, JUSTIFY_WRONG, JUSTIFY_KEY, wrong=1, keys=0),
        ],
    ),
    quality.NEAR_DUPLICATE_STEM: (
        [
            replace(GOOD, 7, item(7, KEY_MID, stem=GOOD.items[6].stem)),
            replace(
                GOOD,
                7,
                item(
                    7, KEY_MID, stem="Which ENERGY setting suits defibrillator model6"
                ),
            ),
        ],
        [replace(GOOD, 7, item(7, KEY_MID, stem="How is the model6 pad placed?"))],
    ),
}


def test_every_gate_has_crafted_banks():
    assert set(CASES) == set(quality.GATE_CODES)


@pytest.mark.parametrize(
    ("code", "bad"),
    [(code, b) for code, (bads, _) in CASES.items() for b in bads],
)
def test_gate_fails_its_crafted_bad_bank_and_no_other(code, bad):
    assert codes(quality.bank_findings(bad)) == {code}


@pytest.mark.parametrize(
    ("code", "good"),
    [(code, g) for code, (_, goods) in CASES.items() for g in goods],
)
def test_gate_passes_its_crafted_good_bank(code, good):
    assert quality.bank_findings(good) == []


# --- share gates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [quality.KEY_LONGEST_SHARE, quality.KEY_SHORTEST_SHARE]
)
def test_share_gates_exempt_a_bank_of_19_and_apply_from_20(code):
    side = "longest" if code == quality.KEY_LONGEST_SHARE else "shortest"
    other = "shortest" if side == "longest" else "longest"
    # The key is the cue in every item (100%), the other side in none.
    at_19 = bank(**{side: 19, other: 0}, size=19)
    at_20 = bank(**{side: 20, other: 0}, size=20)
    assert quality.bank_findings(at_19) == []
    assert code in codes(quality.bank_findings(at_20))


def test_ratio_gates_exempt_a_bank_of_19():
    small = Bank("test/quiz", GOOD.items[:19])
    for cue, key in ((ABSOLUTE_WRONG, ABSOLUTE_KEY), (JUSTIFY_WRONG, JUSTIFY_KEY)):
        b = with_cue(small, cue, key, wrong=8, keys=0)
        assert quality.bank_findings(b) == []


def test_a_tie_for_longest_or_shortest_is_not_strictly_longest_or_shortest():
    tied_long = item(1, KEY_TIED_LONG)
    tied_short = item(2, KEY_TIED_SHORT)
    assert not quality.key_is_strictly_longest(tied_long)
    assert not quality.key_is_strictly_shortest(tied_short)
    assert quality.key_is_strictly_longest(item(3, KEY_LONG))
    # 6 strictly longest (30%) + 6 tied: counting ties would make it 60% and fail.
    b = bank(longest=6, tied=6)
    assert quality.bank_figures(b).longest_share == 0.3
    assert quality.bank_findings(b) == []


def test_share_is_measured_in_characters_of_normalised_text():
    # Extra spaces do not make a key longer.
    padded = item(1, "Sixty  joules   now     ", ("Sixty joules now!", "A", "B"))
    assert not quality.key_is_strictly_longest(padded)


def test_share_finding_is_about_the_bank_and_names_the_items_in_its_message():
    [finding] = quality.bank_findings(bank(longest=2))
    assert finding.key == (quality.KEY_LONGEST_SHARE, "test/final", ())
    assert "2 of 20 items (10%)" in finding.message
    assert "q00, q01" in finding.message


# --- all/none of the above ---------------------------------------------------------


def test_all_of_the_above_fails_in_a_bank_of_any_size():
    small = Bank("test/quiz", [item(1, KEY_MID, ("A", "B", "All of the above"))])
    [finding] = quality.bank_findings(small)
    assert finding.key == (quality.ALL_NONE_OF_THE_ABOVE, "test/quiz", ("q01",))
    assert finding.sources == ("content/test/quiz.yaml:11",)


# --- negative stems ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "fails"),
    [
        ("Which drug is NOT given in VF?", False),
        ("Which drug is **NOT** given in VF?", False),  # Markdown bold
        ("Which drug is not given in VF?", True),
        ("Which drug is Not given in VF?", True),
        ("Which drug is **not** given in VF?", True),
        ("Which drug is _not_ given in VF?", True),  # Markdown emphasis
        ("Which drug is __NOT__ given in VF?", False),
        ("All of the following are shockable EXCEPT:", False),
        ("All of the following are shockable except:", True),
        ("Which rhythm is LEAST likely to respond?", False),
        ("Which rhythm is least likely to respond?", True),
        ("Which patient cannot receive atropine?", True),
        ("Which patient CANNOT receive atropine?", False),
        ("Which drug doesn't belong in VF?", True),
        ("Which drug DOESN'T belong in VF?", False),
        # A negation in the scenario, not in what is asked, is fine in lower case.
        ("She is not breathing and has no pulse. What do you do?", False),
        # A negation inside a condition of the question is not its pivot ...
        ("What do you give if he does not respond to adenosine?", False),
        ("When the chest does not rise, what do you do?", False),
        # ... but one in the main clause after the condition is.
        ("If adenosine fails, which drug is not given?", True),
        ("How deep are compressions, at least?", False),
        ("Give at least how many compressions per minute?", False),
    ],
)
def test_negative_stem_must_write_its_pivot_in_capitals(stem, fails):
    b = Bank("test/quiz", [item(1, KEY_MID, stem=stem)])
    found = codes(quality.bank_findings(b)) == {quality.NEGATIVE_STEM_LOWERCASE}
    assert found is fails, quality.negative_pivots(stem)


# --- cue ratios --------------------------------------------------------------------


def test_one_absolute_word_among_60_wrong_choices_and_no_key_passes():
    b = with_cue(GOOD, ABSOLUTE_WRONG, ABSOLUTE_KEY, wrong=1, keys=0)
    rate = quality.bank_figures(b).absolute
    assert (rate.distractors_with, rate.distractors, rate.keys_with, rate.keys) == (
        1,
        60,
        0,
        20,
    )
    # Smoothed: (1+1)/(60+2) against (0+1)/(20+2).
    assert rate.ratio == pytest.approx((2 / 62) / (1 / 22))
    assert rate.ratio < quality.DISTRACTOR_CUE_RATIO_MAX


@pytest.mark.parametrize(
    ("wrong", "keys", "fails"),
    [(0, 0, False), (3, 0, False), (4, 0, True), (8, 1, True), (8, 2, False)],
)
def test_absolute_word_ratio_threshold(wrong, keys, fails):
    b = with_cue(GOOD, ABSOLUTE_WRONG, ABSOLUTE_KEY, wrong=wrong, keys=keys)
    rate = quality.bank_figures(b).absolute
    assert (rate.ratio > 1.5) is fails
    found = quality.ABSOLUTE_WORDS_IN_DISTRACTORS in codes(quality.bank_findings(b))
    assert found is fails


@pytest.mark.parametrize(
    "text",
    [
        "Never stop compressions",
        "ALL rescuers stand clear",
        "Only the leader speaks",
        "None is needed",
        "It always works",
    ],
)
def test_each_absolute_word_counts_in_any_case(text):
    assert quality.bank_figures(Bank("t", [item(1, "Key", (text,))])).absolute == (
        quality.CueRate(1, 1, 0, 1)
    )


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Stop, because the rhythm changed", True),
        ("Stop so that the rhythm can be read", True),
        ("Stop in order to read the rhythm", True),
        ("Stop, since the rhythm changed", True),
        ("Stop so the rhythm can be read", True),
        ("Pause to avoid a shock to the team", True),
        ("Calling for help", False),
        ("Install the software update", False),  # "so" only as a whole word
        ("Also check the pulse", False),
    ],
)
def test_justifying_patterns_match_whole_words(text, counts):
    rate = quality.bank_figures(Bank("t", [item(1, "Key", (text,))])).justifying
    assert rate.distractors_with == int(counts)


# --- near-duplicate stems ----------------------------------------------------------

# Stop words dropped: 4 content tokens, then 5, 6 and two sets of 8 sharing 7.
STEM_4 = "Which compression depth suits adults?"
STEM_4_PLUS_1 = "Which compression depth suits adults today?"  # 4/5 = 0.80
STEM_5 = "Which compression depth suits an adult patient?"
STEM_5_PLUS_1 = "Which compression depth suits an adult patient today?"  # 5/6 = 0.83
STEM_8 = "Which compression depth suits an adult patient on a firm hospital bed?"
STEM_8_OTHER = "Which compression depth suits an adult patient on a soft hospital bed?"


@pytest.mark.parametrize(
    ("a", "b", "similarity", "duplicate"),
    [
        (STEM_8, STEM_8_OTHER, Fraction(7, 9), False),  # 0.78: just under
        (STEM_4, STEM_4_PLUS_1, Fraction(4, 5), True),  # exactly 0.80
        (STEM_5, STEM_5_PLUS_1, Fraction(5, 6), True),  # 0.83: just over
        (STEM_5, STEM_5.upper().replace("?", " ??"), Fraction(1), True),
    ],
)
def test_near_duplicate_threshold_is_jaccard_of_content_words(
    a, b, similarity, duplicate
):
    assert quality.stem_similarity(a, b) == similarity
    course = [
        Bank("test/one", [item(1, KEY_MID, stem=a)]),
        Bank("test/two", [item(2, KEY_MID, stem=b)]),
    ]
    findings = quality.course_findings(course)
    assert (codes(findings) == {quality.NEAR_DUPLICATE_STEM}) is duplicate


def test_stem_tokens_are_lowercase_words_without_stop_words():
    assert quality.stem_tokens("What is the rate for an ADULT, per minute?") == {
        "rate",
        "adult",
        "per",
        "minute",
    }


def test_final_restating_a_module_item_is_reported_once_on_the_final():
    module = Bank("test/adult-cpr", [item(1, KEY_MID, stem=STEM_5)])
    other = Bank("test/aed", [item(2, KEY_MID, stem="Where do the AED pads go?")])
    final = Bank("test/final", [item(3, KEY_MID, stem=STEM_5_PLUS_1)], is_final=True)
    # Finals are attributed last whatever order the caller gives.
    [finding] = quality.course_findings([final, module, other])
    assert finding.key == (quality.NEAR_DUPLICATE_STEM, "test/final", ("q01", "q03"))
    assert "the final restates module item of test/adult-cpr" in finding.message
    assert finding.sources == (
        "content/test/quiz.yaml:11",
        "content/test/quiz.yaml:31",
    )


def test_near_duplicates_between_two_modules_and_within_a_bank_are_reported():
    one = Bank("test/one", [item(1, KEY_MID, stem=STEM_5)])
    two = Bank(
        "test/two",
        [item(2, KEY_MID, stem=STEM_5_PLUS_1), item(3, KEY_MID, stem=STEM_5)],
    )
    keys = {f.key for f in quality.course_findings([one, two])}
    assert keys == {
        (quality.NEAR_DUPLICATE_STEM, "test/two", ("q01", "q02")),
        (quality.NEAR_DUPLICATE_STEM, "test/two", ("q01", "q03")),
        (quality.NEAR_DUPLICATE_STEM, "test/two", ("q02", "q03")),
    }


# --- the admin's one call ----------------------------------------------------------


def test_bank_findings_checks_an_edited_bank_against_the_rest_of_its_course():
    saved = Bank("test/adult-cpr", [item(1, KEY_MID, stem=STEM_8)])
    final = Bank(
        "test/final",
        [item(9, KEY_MID, stem="Where do the AED pads go on an adult?")],
        is_final=True,
    )
    # The staff member rewrites the module item into a copy of the final's.
    edited = Bank(
        "test/adult-cpr",
        [item(1, KEY_MID, stem="Where do the AED pads go on an adult patient?")],
    )
    assert quality.bank_findings(saved, course_banks=[saved, final]) == []
    [finding] = quality.bank_findings(edited, course_banks=[saved, final])
    assert finding.key == (quality.NEAR_DUPLICATE_STEM, "test/final", ("q01", "q09"))
    # Per-bank gates and the course gate together, in one list.
    edited_lower = Bank(
        "test/adult-cpr",
        [
            item(1, KEY_MID, stem="Where do the AED pads NOT go on an adult patient?"),
            item(2, KEY_MID, ("A", "B", "None of the above")),
        ],
    )
    found = quality.bank_findings(edited_lower, course_banks=[saved, final])
    assert codes(found) == {quality.ALL_NONE_OF_THE_ABOVE}


def test_items_without_exactly_one_key_are_skipped_by_the_share_gates():
    no_key = Item("q99", "Which pad size?", [("A", False), ("B", False)])
    two_keys = Item("q98", "Which pad site?", [("A", True), ("B", True)])
    b = Bank("test/final", [*GOOD.items, no_key, two_keys])
    fig = quality.bank_figures(b)
    assert (fig.items, fig.scored) == (22, 20)
    assert quality.bank_findings(b) == []


def test_findings_print_code_bank_items_message_and_sources():
    [finding] = quality.bank_findings(_negative("Which drug is not given?"))
    assert str(finding) == (
        "negative-stem-lowercase test/final ['q03']: the question turns on \"not\": "
        'write it in capitals ("NOT") or ask positively [content/test/quiz.yaml:31]'
    )
