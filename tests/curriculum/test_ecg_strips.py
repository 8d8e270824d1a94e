"""The ACLS rhythm strips (issue 14): redrawn byte for byte from the script, at least
three exam strips per rhythm that no lesson shows, nothing visible or named that gives
the rhythm away, and drawings a reader can measure (rates in each rhythm's range, a
long QT before torsades, VF chaotic in timing and amplitude, artefacts where the
catalogue says)."""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from courses.images import image_bytes_problem
from courses.markdown import image_paths

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "content" / "acls"
STRIP_DIR = COURSE / "images" / "ecg"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "draw_ecg", ROOT / "scripts" / "draw_ecg.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["draw_ecg"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


draw_ecg = _load_script()
EXAM = [s for s in draw_ecg.STRIPS if s.kind == "exam"]
LESSON = [s for s in draw_ecg.STRIPS if s.kind == "lesson"]

# Rate per minute each rhythm's strips must show (mean ventricular rate), from the
# lessons' own definitions; None: no ventricular rate to measure.
RATE_RANGES = {
    "sinus-rhythm": (60, 100),
    "sinus-bradycardia": (30, 59),
    "sinus-tachycardia": (101, 160),
    "first-degree-av-block": (50, 100),
    "second-degree-av-block-type-1": (40, 100),
    "second-degree-av-block-type-2": (30, 90),
    "third-degree-av-block": (20, 50),
    "atrial-fibrillation": (50, 170),
    "atrial-flutter": (60, 160),
    "svt": (150, 250),
    "monomorphic-vt": (120, 250),
    "junctional-escape": (40, 60),
    "idioventricular": (20, 40),
    "paced-capture": (50, 100),
    "pea": (20, 150),
    "pvc-bigeminy": (50, 110),
    "pvc-multifocal-couplet": (50, 110),
}
# Rhythms the new lesson on escape, paced and ectopic beats shows.
NEW_LESSON_RHYTHMS = {
    "junctional-escape",
    "idioventricular",
    "paced-capture",
    "paced-failure-to-capture",
    "pvc-bigeminy",
    "pvc-multifocal-couplet",
}
VISIBLE_TEXT_ALLOWED = {"II", "25 mm/s, 10 mm/mV"} | {f"{n} s" for n in range(7)}


def _svg_files() -> dict[str, bytes]:
    return {
        path.relative_to(COURSE).as_posix(): path.read_bytes()
        for path in STRIP_DIR.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def drawn():
    """Each strip drawn once: {path: Strip}."""
    return {spec.path: spec.draw() for spec in draw_ecg.STRIPS}


def test_every_strip_is_redrawn_byte_for_byte_from_the_script(tmp_path):
    draw_ecg.draw_all(str(tmp_path))
    redrawn = {
        path.relative_to(tmp_path).as_posix(): path.read_bytes()
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    committed = _svg_files()
    assert sorted(redrawn) == sorted(committed), "strips missing or not drawn"
    changed = [path for path in committed if committed[path] != redrawn[path]]
    assert not changed, f"committed strips differ from the script's: {changed}"


def test_the_catalogue_document_is_current():
    assert (ROOT / "docs" / "ECG_STRIPS.md").read_text() == draw_ecg.catalogue()


def test_each_rhythm_has_at_least_three_exam_strips():
    per_rhythm = Counter(spec.rhythm for spec in EXAM)
    assert set(draw_ecg.RHYTHMS) == set(per_rhythm)
    assert {r: n for r, n in per_rhythm.items() if n < 3} == {}


def test_the_new_rhythms_have_lesson_strips():
    assert NEW_LESSON_RHYTHMS <= {spec.rhythm for spec in LESSON}


def test_no_lesson_shows_an_exam_strip():
    exam_paths = {spec.path for spec in EXAM}
    shown = {
        (str(lesson.relative_to(ROOT)), src)
        for lesson in (ROOT / "content").rglob("*.md")
        for _, src, _ in image_paths(lesson.read_text())
        if src in exam_paths or src.startswith("images/ecg/exam/")
    }
    assert shown == set()


def test_exam_strips_name_nothing_in_their_path_title_or_drawing():
    for spec in EXAM:
        assert re.fullmatch(r"images/ecg/exam/e-\d{3}\.svg", spec.path), spec.path
    numbers = [int(spec.path[-7:-4]) for spec in EXAM]
    assert len(set(numbers)) == len(numbers)
    files = _svg_files()
    for spec in EXAM:
        svg = files[spec.path].decode()
        assert re.findall(r'aria-label="([^"]*)"', svg) == [draw_ecg.EXAM_TITLE]
        assert re.findall(r"<title[^>]*>([^<]*)</title>", svg) == [draw_ecg.EXAM_TITLE]
    # Numbers were dealt at random: a rhythm's strips are not a run of numbers.
    by_rhythm = defaultdict(list)
    for spec, number in zip(EXAM, numbers, strict=True):
        by_rhythm[spec.rhythm].append(number)
    runs = [
        rhythm
        for rhythm, nums in by_rhythm.items()
        if max(nums) - min(nums) == len(nums) - 1
    ]
    assert len(runs) <= 1, runs


def test_every_strip_shows_lead_scale_time_marks_and_nothing_else():
    for path, data in _svg_files().items():
        svg = data.decode()
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert set(texts) == VISIBLE_TEXT_ALLOWED, (path, texts)
        assert texts.count("II") == 1
        # 1 mV calibration pulse: 10 mm (50 px) high, at the left edge.
        cal = re.search(r'<path d="M5 ([\d.]+)H15V([\d.]+)H40V', svg)
        assert cal and float(cal.group(1)) - float(cal.group(2)) == 50, path


def test_every_strip_passes_the_content_image_rules():
    for path, data in _svg_files().items():
        assert image_bytes_problem(path, data) is None, path


def _exam_by_rhythm(rhythm: str):
    return [spec for spec in EXAM if spec.rhythm == rhythm]


@pytest.mark.parametrize("rhythm", sorted(RATE_RANGES))
def test_strips_show_rates_in_the_rhythms_range_and_exam_strips_differ(drawn, rhythm):
    low, high = RATE_RANGES[rhythm]
    specs = [spec for spec in draw_ecg.STRIPS if spec.rhythm == rhythm]
    rates = {}
    for spec in specs:
        mean, _, _ = drawn[spec.path].ventricular_rate()
        assert low <= mean <= high, (spec.path, round(mean))
        rates[spec.path] = round(mean)
    exam_rates = {rates[spec.path] for spec in _exam_by_rhythm(rhythm)}
    assert len(exam_rates) >= 2, f"{rhythm}: exam strips all at one rate"


def _peaks(values: list[float]) -> tuple[list[float], list[float]]:
    """(time between zero crossings in s, height of the wave between them in mV)."""
    mean = statistics.fmean(values)
    signal = [v - mean for v in values]
    crossings = [
        i for i in range(1, len(signal)) if (signal[i - 1] < 0) != (signal[i] < 0)
    ]
    pairs = list(itertools.pairwise(crossings))
    intervals = [(b - a) * draw_ecg.SAMPLE_S for a, b in pairs]
    heights = [max(abs(v) for v in signal[a:b]) for a, b in pairs]
    return intervals, heights


def _cv(values: list[float]) -> float:
    return statistics.pstdev(values) / statistics.fmean(values)


@pytest.mark.parametrize("rhythm", ["vf-coarse", "vf-fine"])
def test_ventricular_fibrillation_is_chaotic_in_timing_and_amplitude(drawn, rhythm):
    specs = [spec for spec in draw_ecg.STRIPS if spec.rhythm == rhythm]
    for spec in specs:
        strip = drawn[spec.path]
        assert strip.qrs_times == []
        intervals, heights = _peaks(strip.samples(artefacts=False))
        assert _cv(intervals) >= 0.3, (spec.path, _cv(intervals))
        assert _cv(heights) >= 0.3, (spec.path, _cv(heights))
        median = statistics.median(heights)
        if rhythm == "vf-coarse":
            assert median >= 0.3, (spec.path, median)  # waves of 3 mm or more
        else:
            assert 0.05 <= median < 0.3, (spec.path, median)
            assert max(heights) < 0.45, spec.path


def _run_start(strip) -> float:
    """The first ventricular complex that is not a sinus beat with a T wave."""
    sinus = {round(r, 4) for r, _, _ in strip.t_waves}
    return min(t for t in strip.qrs_times if round(t, 4) not in sinus)


@pytest.mark.parametrize(
    ("rhythm", "long_qt"), [("torsades", True), ("polymorphic-vt", False)]
)
def test_sinus_beats_before_a_polymorphic_run_show_a_measurable_qt(
    drawn, rhythm, long_qt
):
    """At least two sinus beats before the run have a whole T wave: the trace is
    back on the baseline from the T wave's end to the next P wave, so the QT can be
    measured; it is long before torsades and normal before polymorphic VT."""
    for spec in (s for s in draw_ecg.STRIPS if s.rhythm == rhythm):
        strip = drawn[spec.path]
        run = _run_start(strip)
        trace = strip.samples()
        baseline = strip.samples(events=False)
        step = draw_ecg.SAMPLE_S
        measurable = []
        sinus_r = sorted(r for r, _, _ in strip.t_waves)
        for r, end, qt in strip.t_waves:
            following = min(t for t in strip.p_times + strip.qrs_times if t > r)
            # A P wave starts about 0.06 s before its peak, a wide complex 0.11 s.
            onset = following - (0.06 if following in strip.p_times else 0.11)
            quiet = range(round(end / step), round(onset / step))
            if end < run and len(quiet) >= 0.04 / step:
                # Isoelectric from the T wave's end to what follows: nothing fused.
                wobble = max(abs(trace[i] - baseline[i]) for i in quiet)
                assert wobble < 0.03, (spec.path, r, wobble)
                # Bazett with the R-R interval between this and a neighbouring
                # sinus beat.
                at = sinus_r.index(r)
                neighbours = sinus_r[max(at - 1, 0) : at + 2]
                rr = min(b - a for a, b in itertools.pairwise(neighbours))
                measurable.append((round(qt, 3), round(qt / math.sqrt(rr), 3)))
        assert len(measurable) >= 2, f"{spec.path}: fewer than two measurable QT"
        if long_qt:
            assert min(qt for qt, _ in measurable) >= 0.5, (spec.path, measurable)
            assert min(qtc for _, qtc in measurable) >= 0.5, (spec.path, measurable)
        else:
            assert max(qtc for _, qtc in measurable) <= 0.44, (spec.path, measurable)


def _roughness(values: list[float]) -> float:
    """Mean size of the second difference: high-frequency content (mV)."""
    return statistics.fmean(
        abs(values[i + 1] - 2 * values[i] + values[i - 1])
        for i in range(1, len(values) - 1)
    )


def _mains_amplitude(values: list[float]) -> float:
    """Amplitude (mV) of the 60 Hz component (Goertzel over the whole strip)."""
    n = len(values)
    w = 2 * math.pi * 60 * draw_ecg.SAMPLE_S
    re_part = sum(v * math.cos(w * i) for i, v in enumerate(values))
    im_part = sum(v * math.sin(w * i) for i, v in enumerate(values))
    return 2 * math.hypot(re_part, im_part) / n


def test_artefacts_are_where_the_catalogue_says(drawn):
    kinds = Counter()
    for spec in EXAM:
        strip = drawn[spec.path]
        values = strip.samples()
        says_mains = "60 Hz mains" in spec.features
        says_tremor = "muscle tremor" in spec.features
        says_wander = "wander" in spec.features
        mains = _mains_amplitude(values)
        assert (mains > 0.022) == says_mains, (spec.path, mains)
        tremor = _roughness(values) - _roughness(strip.samples(artefacts=False))
        assert (tremor > 0.005) == (says_tremor or says_mains), (spec.path, tremor)
        assert (strip.wander[0] >= 0.08) == says_wander, spec.path
        kinds.update(
            k
            for k, said in (
                ("mains", says_mains),
                ("tremor", says_tremor),
                ("wander", says_wander),
            )
            if said
        )
    assert min(kinds["mains"], kinds["tremor"], kinds["wander"]) >= 10, kinds
    clean = sum(
        1 for spec in EXAM if not re.search(r"mains|tremor|wander", spec.features)
    )
    assert clean >= 15, "some exam strips are clean recordings too"
