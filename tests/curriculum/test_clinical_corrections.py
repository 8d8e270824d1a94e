"""Guards for the clinical corrections of issue 13: a corrected value may not come back
anywhere in content/ (lessons, figures, questions, choices and explanations alike), and
the scope the clinical review found missing stays taught.

Each test reads the files as text, so a value in an SVG label or an exam explanation
counts as much as one in a lesson."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

CONTENT = Path(settings.BASE_DIR) / "content"
TEXT_SUFFIXES = {".md", ".yaml", ".svg"}
# Ranges match with a hyphen, an en dash (\u2013 in the patterns) or "to".


def _files(course: str | None = None) -> list[Path]:
    root = CONTENT / course if course else CONTENT
    return sorted(p for p in root.rglob("*") if p.suffix in TEXT_SUFFIXES)


def _hits(pattern: str, course: str | None = None) -> list[str]:
    """file:line of every line matching `pattern` (case-insensitive)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return [
        f"{path.relative_to(CONTENT)}:{n}: {line.strip()[:120]}"
        for path in _files(course)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if regex.search(line)
    ]


def _lesson(course: str, slug: str) -> str:
    (path,) = (CONTENT / course).glob(f"*/[0-9][0-9]-{slug}.md")
    return " ".join(path.read_text(encoding="utf-8").split())


def _has_lesson(course: str, pattern: str) -> list[str]:
    """Titles of the course's lessons whose front-matter title matches `pattern`."""
    titles = []
    for path in (CONTENT / course).glob("*/[0-9][0-9]-*.md"):
        match = re.search(r'^title:\s*"?(.+?)"?$', path.read_text(), re.MULTILINE)
        if match and re.search(pattern, match[1], re.IGNORECASE):
            titles.append(match[1])
    return titles


# --- 1. sustained polymorphic VT: one rule, above the stable/unstable split ----------


def test_polymorphic_vt_is_shocked_whether_stable_or_not():
    for slug in ("ventricular-rhythms", "unstable-tachycardia", "stable-tachycardia"):
        text = _lesson("acls", slug)
        assert re.search(r"polymorphic VT[^.]*with or without a pulse", text), slug
        assert re.search(r"unsynchronized", text), slug
    assert not _hits(r"stable[^|]*\|[^|]*treat (the )?cause; magnesium", "acls")


def _sentences(course: str) -> list[tuple[str, str]]:
    """(file, sentence or table cell) for all of the course's text, whitespace collapsed."""
    found = []
    for path in _files(course):
        text = " ".join(path.read_text(encoding="utf-8").split())
        name = str(path.relative_to(CONTENT))
        found += [(name, s) for s in re.split(r"(?<=[.;:!?])\s+|\|", text)]
    return found


def test_no_text_ties_the_polymorphic_vt_shock_to_instability():
    """Review 13, C1: "Unstable or pulseless torsades is defibrillated" (a final-exam
    explanation) brought back the rule correction 1 removed. No sentence that shocks
    torsades or polymorphic VT may make instability (or "unstable or pulseless") its
    condition; "stable or unstable" and "with or without a pulse" are the rule itself."""
    rhythm = re.compile(r"torsades|polymorphic", re.IGNORECASE)
    shock = re.compile(r"shock|defibrillat|unsynchronized|cardiover", re.IGNORECASE)
    tied = re.compile(
        r"unstable or pulseless|pulseless or unstable|(?<!stable or )(?<!stable/)\bunstable\b",
        re.IGNORECASE,
    )
    offending = [
        f"{name}: {s[:160]}"
        for name, s in _sentences("acls")
        if rhythm.search(s) and shock.search(s) and tied.search(s)
    ]
    assert offending == []
    assert tied.search("Unstable or pulseless torsades is defibrillated.")
    assert not tied.search(
        "before the stable or unstable question, polymorphic VT is shocked"
    )


def test_the_tachycardia_figure_asks_about_polymorphic_vt_before_stability():
    svg = (CONTENT / "acls/images/tachycardia-algorithm.svg").read_text()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.DOTALL)
    first_polymorphic = next(i for i, t in enumerate(texts) if "olymorphic" in t)
    first_stability = next(i for i, t in enumerate(texts) if "nstable" in t)
    assert first_polymorphic < first_stability


def test_self_terminating_torsades_gets_magnesium_and_electrolytes_with_pads_on():
    text = _lesson("acls", "unstable-tachycardia")
    for fact in ("magnesium", "QT-prolonging", "pads on"):
        assert fact in text


# --- 2. ROSC on capnography: an abrupt rise, not an absolute anchor -----------------


def test_no_35_to_40_mm_hg_rosc_anchor_is_left():
    assert not _hits(r"\b35\s*(-|\u2013|to)\s*40\b", "acls")


def test_rosc_is_an_abrupt_rise_of_more_than_10_confirmed_at_the_rhythm_check():
    for slug in ("waveform-capnography", "access-drugs-and-algorithm"):
        text = _lesson("acls", slug)
        assert "more than 10 mm Hg" in text, slug
        assert re.search(r"next rhythm check", text), slug


# --- 3. cardioversion energies -------------------------------------------------------


def test_no_fixed_50_to_100_or_100_joule_cardioversion_is_taught():
    assert not _hits(r"\b50\s*(-|\u2013|to)\s*100\s*J\b", "acls")
    assert not _hits(r"\b100\s*J\b", "acls")


def test_af_and_flutter_start_at_200_joules_synchronized():
    text = _lesson("acls", "unstable-tachycardia")
    assert re.search(r"flutter[^.]*200 J|200 J[^.]*flutter", text)
    assert "recommended energy" in text


# --- 4 and 5. naloxone ---------------------------------------------------------------


def test_naloxone_never_pauses_compressions():
    for course in ("cpr-aed", "bls"):
        assert not _hits(r"naloxone.*few seconds|few seconds.*naloxone", course)


def test_a_second_naloxone_dose_follows_breathing_not_waking():
    text = _lesson("cpr-aed", "opioid-emergencies")
    assert re.search(r"2\s*(-|\u2013|to)\s*3 minutes", text)
    assert not _hits(r"breathing normally but (still )?does not wake", "cpr-aed")


# --- 6. survival per minute ---------------------------------------------------------


def test_survival_per_minute_is_the_2025_figure():
    assert not _hits(r"\b7\s*%?\s*(-|\u2013|to)\s*10\s*%")
    assert "6%" in _lesson("bls", "chain-of-survival")


# --- 7. lidocaine --------------------------------------------------------------------


def test_lidocaine_has_no_interval_or_maximum():
    assert not _hits(r"3 mg/kg", "acls")
    assert not _hits(r"lidocaine.*every 5\s*(-|\u2013|to)\s*10", "acls")
    text = _lesson("acls", "shockable-rhythms")
    assert re.search(r"0\.5\s*(-|\u2013|to)\s*0\.75 mg/kg", text)


# --- 8. fine VF or asystole -----------------------------------------------------------


def test_fine_vf_or_asystole_says_what_the_guidelines_say():
    text = _lesson("acls", "nonshockable-rhythms")
    assert "ERC" in text and re.search(r"doubt", text)
    assert not _hits(r"shock(ing)? asystole just in case", "acls")


# --- 9 and 10. surface and compressor switch ----------------------------------------


@pytest.mark.parametrize("course", ["cpr-aed", "bls"])
def test_a_firm_surface_only_when_it_does_not_delay_cpr(course):
    slug = {"cpr-aed": "hands-only-cpr", "bls": "adult-compressions"}[course]
    assert "push harder" in _lesson(course, slug)


@pytest.mark.parametrize(
    ("course", "slug"), [("cpr-aed", "hands-only-cpr"), ("bls", "two-rescuer-cpr")]
)
def test_the_compressor_switch_is_ideally_under_5_seconds(course, slug):
    assert "ideally under 5 seconds" in _lesson(course, slug)


# --- 11. the CPR/AED description promises what the lessons teach --------------------


def test_cpr_aed_description_does_not_promise_aed_use_in_water_or_over_devices():
    text = (CONTENT / "cpr-aed/course.md").read_text()
    assert not re.search(r"\bin water\b|over (an )?implanted", text, re.IGNORECASE)


# --- 12. post-ROSC -------------------------------------------------------------------


def test_post_rosc_targets():
    text = _lesson("acls", "post-cardiac-arrest-care")
    assert not re.search(r"below 90 mm Hg", text)
    assert "65" in text and re.search(r"70[^.]*180 mg/dL", text)
    assert re.search(r"echocardiograph", text, re.IGNORECASE)


# --- missing scope -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("course", "pattern"),
    [
        ("bls", r"pregnan"),
        ("bls", r"drowning"),
        ("acls", r"pregnan|maternal"),
        ("acls", r"hyperkalemia|poison|toxic"),
        ("acls", r"escape|paced|PVC"),
        ("cpr-aed", r"anaphylaxis|allergic"),
        ("cpr-aed", r"drowning"),
        ("cpr-aed", r"blood sugar|hypoglyc|seizure"),
    ],
)
def test_the_missing_scope_is_taught_in_a_lesson(course, pattern):
    assert _has_lesson(course, pattern)


def test_acls_has_a_special_circumstances_module_with_a_quiz():
    (module,) = (CONTENT / "acls").glob("[0-9][0-9]-special-circumstances")
    assert (module / "quiz.yaml").is_file()
    assert len(list(module.glob("[0-9][0-9]-*.md"))) >= 4


def test_acls_special_circumstances_teach_the_2025_antidote_doses():
    text = " ".join(
        p.read_text() for p in (CONTENT / "acls").glob("*-special-circumstances/*.md")
    )
    # Review 13 (M1): calcium for beta-blocker or CCB poisoning is a range, repeated.
    for dose in ("10 units", "50-150 mEq", "calcium chloride 1-2 g", "gluconate 3-6 g"):
        assert dose.lower() in text.lower(), dose
    assert re.search(r"lipid emulsion", text, re.IGNORECASE)
    # Review 13 (M2): in local anesthetic toxicity, no lidocaine for refractory VF.
    assert re.search(r"amiodarone, not lidocaine", text)


def test_the_stroke_lesson_gives_the_in_hospital_time_goals():
    text = _lesson("acls", "acute-stroke")
    for goal in ("10 minutes", "15 minutes", "20 minutes", "45 minutes", "60 minutes"):
        assert goal in text, goal


def test_cpr_aed_first_aid_numbers():
    text = " ".join(
        p.read_text() for p in (CONTENT / "cpr-aed").glob("*/[0-9][0-9]-*.md")
    )
    assert re.search(r"15\s*(-|\u2013|to)\s*20 g", text)  # oral glucose
    assert re.search(r"2 in(ches)? \(5 cm\)|5 cm \(2 in", text)  # improvised tourniquet
    assert re.search(r"outer (middle )?thigh", text)  # autoinjector site
