"""Item-quality gates: mechanical checks for the item-writing cues a test-wise learner
uses to answer without the knowledge (issue 12).

Pure functions over plain data: no ORM, no Django, no file access. A caller builds a
`Bank` of `Item`s from wherever the bank lives (the YAML files in `content/`, or the
rows an admin form is about to save) and calls one function:

- `bank_findings(bank, course_banks=...)`: everything wrong with one bank, including
  near-duplicate stems against the other banks of its course (what the admin shows).
- `course_findings(banks)`: every finding of a course, each near-duplicate pair once
  (what the content test checks against its list of known failures).
- `bank_figures(bank)`: the measured figures behind the share and ratio gates.

Each finding carries a stable gate `code`, the `bank`, the `item_ids` it is about and a
human `message`. Its `key` (code, bank, item ids) is what a list of known failures
matches exactly. Gates about a bank as a whole (the share and ratio gates) have no item
ids in their key, so the key stays put while a rewrite is under way; their message names
the items that carry the cue.

The gates (thresholds are the constants below; docs/CONTENT_FORMAT.md explains them):

- `key-longest-share`, `key-shortest-share` (banks of `MIN_BANK_ITEMS` or more): the
  key is the strictly longest (shortest) choice in 15% to 40% of items.
- `all-none-of-the-above` (every bank): no choice refers to the others.
- `negative-stem-lowercase` (every bank): a question that turns on not, except or
  least writes it in capitals.
- `absolute-words-in-distractors`, `justifying-clause-in-distractors` (banks of
  `MIN_BANK_ITEMS` or more): wrong choices carry the cue at no more than 1.5 times the
  rate of keys.
- `near-duplicate-stem` (all banks of a course): no two stems with a token-set
  (Jaccard) similarity of 0.8 or more; a final may not restate a module item.
- `cross-course-stem` (`cross_course_duplicate_stems`, banks of several courses): the
  same similarity rule between items of different courses: no stem is shared across
  courses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import NamedTuple

# --- thresholds -----------------------------------------------------------------------

#: The share and ratio gates are statistics over a bank; below this size they are noise.
MIN_BANK_ITEMS = 20
#: Allowed share of items whose key is the strictly longest (and, separately, the
#: strictly shortest) choice, inclusive. With 4 choices chance is 25%.
KEY_SHARE_MIN = 0.15
KEY_SHARE_MAX = 0.40
#: Wrong choices may carry a cue at no more than this multiple of the keys' rate.
DISTRACTOR_CUE_RATIO_MAX = 1.5
#: Add-one (Laplace) smoothing of both rates: rate = (choices with the cue + 1) /
#: (choices + 2). It keeps the ratio finite when no key carries the cue, and a single
#: cue word among 80 wrong choices (0 of 20 keys) gives 2/82 against 1/22, a ratio of
#: 0.5: it takes a real concentration to fail.
CUE_RATE_SMOOTHING = 1
#: Two stems whose token sets have a Jaccard similarity of at least this are duplicates.
NEAR_DUPLICATE_SIMILARITY = 0.8

#: Whole words, any case.
ABSOLUTE_WORDS = ("always", "never", "only", "all", "none")
#: Whole words or phrases, any case: a choice that argues for itself. Beyond the three
#: of the issue ("because", "so that", "in order to") the same cue written as "since",
#: a bare "so" ("..., so give aspirin", "so the leader can think") or a purpose
#: infinitive ("to avoid", "to prevent", "to ensure") counts too, or a rewrite could
#: keep the cue and change the word.
JUSTIFYING_PHRASES = (
    "because",
    "since",
    "so that",
    "so",
    "in order to",
    "to avoid",
    "to prevent",
    "to ensure",
)
#: Dropped before comparing stems: articles, prepositions, auxiliaries and question
#: words carry no content, so "What is the rate?" and "Which rate is it?" compare on
#: "rate" alone.
STOP_WORDS = frozenset(
    """a an the and or of to in on at for with by from as into is are was were be been
    it its this that these those there what which who whom whose how when why do does
    did you your he she his her him they their them we our""".split()
)

# --- gate codes (stable: lists of known failures refer to them) -----------------------

KEY_LONGEST_SHARE = "key-longest-share"
KEY_SHORTEST_SHARE = "key-shortest-share"
ALL_NONE_OF_THE_ABOVE = "all-none-of-the-above"
NEGATIVE_STEM_LOWERCASE = "negative-stem-lowercase"
ABSOLUTE_WORDS_IN_DISTRACTORS = "absolute-words-in-distractors"
JUSTIFYING_CLAUSE_IN_DISTRACTORS = "justifying-clause-in-distractors"
NEAR_DUPLICATE_STEM = "near-duplicate-stem"
#: Across courses (issue 14): not in GATE_CODES, which are the gates over one
#: course's banks; cross_course_duplicate_stems is called on its own.
CROSS_COURSE_STEM = "cross-course-stem"

GATE_CODES = (
    KEY_LONGEST_SHARE,
    KEY_SHORTEST_SHARE,
    ALL_NONE_OF_THE_ABOVE,
    NEGATIVE_STEM_LOWERCASE,
    ABSOLUTE_WORDS_IN_DISTRACTORS,
    JUSTIFYING_CLAUSE_IN_DISTRACTORS,
    NEAR_DUPLICATE_STEM,
)

#: How many item ids a bank-level message names before "and N more".
_MESSAGE_IDS = 12


# --- data -----------------------------------------------------------------------------


class Choice(NamedTuple):
    text: str
    is_key: bool = False


@dataclass(frozen=True)
class Item:
    """One multiple-choice question. `choices` may be given as (text, is_key) pairs.
    `source` is where it is written, e.g. "content/bls/final-exam.yaml:12", if known."""

    id: str
    stem: str
    choices: tuple[Choice, ...]
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "choices", tuple(Choice(str(t), bool(k)) for t, k in self.choices)
        )

    @property
    def keys(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.is_key)

    @property
    def distractors(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.is_key)


@dataclass(frozen=True)
class Bank:
    """One exam's question bank. `name` identifies it in findings, e.g. "bls/final" or
    "bls/adult-cpr". Finals are listed after module banks when pairs are attributed."""

    name: str
    items: tuple[Item, ...]
    is_final: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))


@dataclass(frozen=True)
class Finding:
    code: str
    bank: str
    item_ids: tuple[str, ...]
    message: str
    sources: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """What a list of known failures matches exactly."""
        return (self.code, self.bank, self.item_ids)

    def __str__(self) -> str:
        where = f" [{', '.join(self.sources)}]" if self.sources else ""
        return f"{self.code} {self.bank} {list(self.item_ids)}: {self.message}{where}"


@dataclass(frozen=True)
class CueRate:
    """How many wrong choices and keys carry a cue, and the smoothed ratio of rates."""

    distractors_with: int
    distractors: int
    keys_with: int
    keys: int
    items: tuple[str, ...] = field(default=(), compare=False)

    @property
    def ratio(self) -> float:
        s = CUE_RATE_SMOOTHING
        d_rate = (self.distractors_with + s) / (self.distractors + 2 * s)
        k_rate = (self.keys_with + s) / (self.keys + 2 * s)
        return d_rate / k_rate

    def __str__(self) -> str:
        return (
            f"{self.distractors_with}/{self.distractors} wrong choices vs "
            f"{self.keys_with}/{self.keys} keys, ratio {self.ratio:.2f}"
        )


@dataclass(frozen=True)
class BankFigures:
    bank: str
    items: int
    scored: int  # items with exactly one key and at least two choices
    key_longest: tuple[str, ...]
    key_shortest: tuple[str, ...]
    absolute: CueRate
    justifying: CueRate

    @property
    def longest_share(self) -> float:
        return len(self.key_longest) / self.scored if self.scored else 0.0

    @property
    def shortest_share(self) -> float:
        return len(self.key_shortest) / self.scored if self.scored else 0.0

    @property
    def share_gates_apply(self) -> bool:
        return self.items >= MIN_BANK_ITEMS


# --- text helpers ---------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_ABSOLUTE = re.compile(r"\b(?:" + "|".join(ABSOLUTE_WORDS) + r")\b", re.IGNORECASE)
_JUSTIFYING = re.compile(
    r"\b(?:" + "|".join(p.replace(" ", r"\s+") for p in JUSTIFYING_PHRASES) + r")\b",
    re.IGNORECASE,
)
_ABOVE = re.compile(
    r"\b(?:all|none|both|neither)\s+of\s+the\s+(?:above|preceding)\b", re.IGNORECASE
)
_WHOLE_CHOICE_ALL_NONE = re.compile(
    r"^\s*(?:all|none|both|neither)\s+of\s+(?:these|them|the\s+(?:options|answers|"
    r"choices))\s*\.?\s*$",
    re.IGNORECASE,
)
# Negations that turn a question into "pick the exception". Contractions and "cannot"
# count too, so "Which isn't ..." does not slip past; "at least" is not a negation.
_NEGATIVE = re.compile(
    r"(?<!\bat\s)\b(?:not|except|least|cannot|[a-z]+n['\u2019]t)\b", re.IGNORECASE
)
# A negation after one of these words (in the same comma-delimited clause) belongs to a
# condition ("What do you do if he does not respond?"), not to what is asked.
_SUBORDINATORS = frozenset(
    "if when whenever unless although though while because whether".split()
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def _length(text: str) -> int:
    return len(" ".join(text.split()))


def stem_tokens(stem: str) -> frozenset[str]:
    """Lowercase runs of letters and digits, minus `STOP_WORDS`."""
    return frozenset(w for w in _WORD.findall(stem.lower()) if w not in STOP_WORDS)


def stem_similarity(a: str, b: str) -> Fraction:
    """Jaccard similarity of the two stems' token sets (exact, as a fraction)."""
    ta, tb = stem_tokens(a), stem_tokens(b)
    union = ta | tb
    return Fraction(len(ta & tb), len(union)) if union else Fraction(0)


def question_sentence(stem: str) -> str:
    """The sentence that asks: the last one with a question mark, else the last one
    (stems such as "All of the following are shockable EXCEPT:")."""
    sentences = [s for s in _SENTENCE_END.split(stem.strip()) if s]
    asking = [s for s in sentences if "?" in s]
    return (asking or sentences or [""])[-1]


def negative_pivots(stem: str) -> list[str]:
    """The negations that the question itself turns on, as written in the stem."""
    sentence = re.sub(r"[*_`]", "", question_sentence(stem))
    pivots = []
    for match in _NEGATIVE.finditer(sentence):
        clause = sentence[: match.start()].rsplit(",", 1)[-1]
        if _SUBORDINATORS.isdisjoint(_WORD.findall(clause.lower())):
            pivots.append(match.group())
    return pivots


def _single_key(item: Item) -> Choice | None:
    keys = item.keys
    return keys[0] if len(keys) == 1 and len(item.choices) >= 2 else None


def key_is_strictly_longest(item: Item) -> bool:
    key = _single_key(item)
    return key is not None and all(
        _length(key.text) > _length(c.text) for c in item.distractors
    )


def key_is_strictly_shortest(item: Item) -> bool:
    key = _single_key(item)
    return key is not None and all(
        _length(key.text) < _length(c.text) for c in item.distractors
    )


def _cue_rate(items: Iterable[Item], pattern: re.Pattern[str]) -> CueRate:
    d_with = d_all = k_with = k_all = 0
    carriers = []
    for item in items:
        carried = False
        for choice in item.choices:
            hit = bool(pattern.search(choice.text))
            if choice.is_key:
                k_all += 1
                k_with += hit
            else:
                d_all += 1
                d_with += hit
                carried = carried or hit
        if carried:
            carriers.append(item.id)
    return CueRate(d_with, d_all, k_with, k_all, tuple(carriers))


def _ids_text(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MESSAGE_IDS])
    more = len(ids) - _MESSAGE_IDS
    return f"{shown} and {more} more" if more > 0 else shown


def _sources(items: Iterable[Item]) -> tuple[str, ...]:
    return tuple(i.source for i in items if i.source)


# --- figures --------------------------------------------------------------------------


def bank_figures(bank: Bank) -> BankFigures:
    items = bank.items
    return BankFigures(
        bank=bank.name,
        items=len(items),
        scored=sum(1 for i in items if _single_key(i)),
        key_longest=tuple(i.id for i in items if key_is_strictly_longest(i)),
        key_shortest=tuple(i.id for i in items if key_is_strictly_shortest(i)),
        absolute=_cue_rate(items, _ABSOLUTE),
        justifying=_cue_rate(items, _JUSTIFYING),
    )


# --- per-bank gates -------------------------------------------------------------------


def _share_gate(
    code: str, label: str, ids: tuple[str, ...], bank: Bank, fig: BankFigures
) -> list[Finding]:
    if not fig.share_gates_apply or not fig.scored:
        return []
    share = len(ids) / fig.scored
    if KEY_SHARE_MIN <= share <= KEY_SHARE_MAX:
        return []
    side = "too rarely" if share < KEY_SHARE_MIN else "too often"
    message = (
        f"the key is the strictly {label} choice in {len(ids)} of {fig.scored} items "
        f"({share:.0%}), {side}; allowed {KEY_SHARE_MIN:.0%} to {KEY_SHARE_MAX:.0%}"
    )
    if ids:
        message += f" (items: {_ids_text(ids)})"
    return [Finding(code, bank.name, (), message)]


def gate_key_longest_share(bank: Bank) -> list[Finding]:
    """Test-wise rule "pick the longest" must not pay (nor its opposite)."""
    fig = bank_figures(bank)
    return _share_gate(KEY_LONGEST_SHARE, "longest", fig.key_longest, bank, fig)


def gate_key_shortest_share(bank: Bank) -> list[Finding]:
    fig = bank_figures(bank)
    return _share_gate(KEY_SHORTEST_SHARE, "shortest", fig.key_shortest, bank, fig)


def gate_all_none_of_the_above(bank: Bank) -> list[Finding]:
    findings = []
    for item in bank.items:
        hits = [
            c.text
            for c in item.choices
            if _ABOVE.search(c.text) or _WHOLE_CHOICE_ALL_NONE.match(c.text)
        ]
        if hits:
            findings.append(
                Finding(
                    ALL_NONE_OF_THE_ABOVE,
                    bank.name,
                    (item.id,),
                    f'choice "{hits[0]}" refers to the other choices; write a '
                    "plausible answer of its own",
                    _sources([item]),
                )
            )
    return findings


def gate_negative_stem_lowercase(bank: Bank) -> list[Finding]:
    findings = []
    for item in bank.items:
        lower = [p for p in negative_pivots(item.stem) if not p.isupper()]
        if lower:
            findings.append(
                Finding(
                    NEGATIVE_STEM_LOWERCASE,
                    bank.name,
                    (item.id,),
                    f'the question turns on "{lower[0]}": write it in capitals '
                    f'("{lower[0].upper()}") or ask positively',
                    _sources([item]),
                )
            )
    return findings


def _ratio_gate(code: str, label: str, rate: CueRate, bank: Bank) -> list[Finding]:
    if len(bank.items) < MIN_BANK_ITEMS or rate.ratio <= DISTRACTOR_CUE_RATIO_MAX:
        return []
    message = (
        f"{label} in {rate.distractors_with} of {rate.distractors} wrong choices "
        f"against {rate.keys_with} of {rate.keys} keys: smoothed ratio "
        f"{rate.ratio:.2f}, allowed {DISTRACTOR_CUE_RATIO_MAX}"
        f" (items: {_ids_text(rate.items)})"
    )
    return [Finding(code, bank.name, (), message)]


def gate_absolute_words(bank: Bank) -> list[Finding]:
    """ "Never pick always/never" must not pay."""
    rate = bank_figures(bank).absolute
    label = f"absolute words ({'/'.join(ABSOLUTE_WORDS)})"
    return _ratio_gate(ABSOLUTE_WORDS_IN_DISTRACTORS, label, rate, bank)


def gate_justifying_clauses(bank: Bank) -> list[Finding]:
    """ "Never pick the long, self-justifying option" must not pay."""
    rate = bank_figures(bank).justifying
    label = f"justifying clauses ({'/'.join(JUSTIFYING_PHRASES)})"
    return _ratio_gate(JUSTIFYING_CLAUSE_IN_DISTRACTORS, label, rate, bank)


#: Every gate that looks at one bank alone, in report order.
BANK_GATES: tuple[Callable[[Bank], list[Finding]], ...] = (
    gate_key_longest_share,
    gate_key_shortest_share,
    gate_all_none_of_the_above,
    gate_negative_stem_lowercase,
    gate_absolute_words,
    gate_justifying_clauses,
)


# --- course gate ----------------------------------------------------------------------


def _course_order(banks: Sequence[Bank]) -> list[Bank]:
    # Module banks in the order given, finals last: a pair is reported on the later
    # bank, so a final that restates a module item is the final's finding.
    return [b for b in banks if not b.is_final] + [b for b in banks if b.is_final]


def _similar_pairs(items: Sequence[Item], *, apart: Callable[[int, int], bool]):
    """(i, j, similarity) for each pair of `items` (i < j) whose stems are
    near-duplicates, among the pairs `apart(i, j)` admits."""
    tokens = [stem_tokens(item.stem) for item in items]
    threshold = Fraction(str(NEAR_DUPLICATE_SIMILARITY))
    for i, j in combinations(range(len(items)), 2):
        union = tokens[i] | tokens[j]
        if not union or not apart(i, j):
            continue
        similarity = Fraction(len(tokens[i] & tokens[j]), len(union))
        if similarity >= threshold:
            yield i, j, similarity


def near_duplicate_stems(banks: Sequence[Bank]) -> list[Finding]:
    """Every pair of items in these banks (one course) whose stems are near-duplicates,
    once each, on the later bank, with item ids (earlier, later)."""
    placed = [(bank, item) for bank in _course_order(banks) for item in bank.items]
    items = [item for _, item in placed]
    findings = []
    for i, j, similarity in _similar_pairs(
        items, apart=lambda i, j: items[i].id != items[j].id
    ):
        (bank_a, a), (bank_b, b) = placed[i], placed[j]
        if bank_a.name == bank_b.name:
            where = "in the same bank"
        elif bank_b.is_final and not bank_a.is_final:
            where = f"the final restates module item of {bank_a.name}"
        else:
            where = f"restates an item of {bank_a.name}"
        findings.append(
            Finding(
                NEAR_DUPLICATE_STEM,
                bank_b.name,
                (a.id, b.id),
                f"stems of {a.id} and {b.id} are near-duplicates ({where}): "
                f"token-set similarity {float(similarity):.2f}, allowed below "
                f"{NEAR_DUPLICATE_SIMILARITY}",
                _sources([a, b]),
            )
        )
    return findings


def cross_course_duplicate_stems(
    courses: Mapping[str, Sequence[Bank]],
) -> list[Finding]:
    """Every pair of items from banks of two different courses (`{course: banks}`)
    whose stems are near-duplicates: a stem is not shared across courses. Reported on
    the later course's bank (courses in the order given), with item ids (earlier,
    later)."""
    placed = [
        (course, bank, item)
        for course, banks in courses.items()
        for bank in _course_order(banks)
        for item in bank.items
    ]
    items = [item for _, _, item in placed]
    findings = []
    for i, j, similarity in _similar_pairs(
        items, apart=lambda i, j: placed[i][0] != placed[j][0]
    ):
        (_, bank_a, a), (_, bank_b, b) = placed[i], placed[j]
        findings.append(
            Finding(
                CROSS_COURSE_STEM,
                bank_b.name,
                (a.id, b.id),
                f"stems of {a.id} ({bank_a.name}) and {b.id} ({bank_b.name}) are "
                f"near-duplicates across courses: token-set similarity "
                f"{float(similarity):.2f}, allowed below {NEAR_DUPLICATE_SIMILARITY}",
                _sources([a, b]),
            )
        )
    return findings


# --- entry points ---------------------------------------------------------------------


def bank_findings(bank: Bank, *, course_banks: Sequence[Bank] = ()) -> list[Finding]:
    """Everything the gates find in `bank`: the per-bank gates, and near-duplicate
    stems within it and against the other banks of its course (`course_banks`; a bank
    there with the same name is replaced by `bank`, so an admin form can pass the
    course as saved plus the bank as edited)."""
    findings = [f for gate in BANK_GATES for f in gate(bank)]
    course = [bank if b.name == bank.name else b for b in course_banks]
    if all(b.name != bank.name for b in course_banks):
        course.append(bank)
    own = {item.id for item in bank.items}
    findings += [
        f for f in near_duplicate_stems(course) if own.intersection(f.item_ids)
    ]
    return findings


def course_findings(banks: Sequence[Bank]) -> list[Finding]:
    """Every finding of one course's banks; each near-duplicate pair once."""
    findings = [f for bank in banks for gate in BANK_GATES for f in gate(bank)]
    return findings + near_duplicate_stems(banks)
