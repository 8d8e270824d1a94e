"""The ACLS rhythm strips (issue 14): redrawn byte for byte from the script, at least
three exam strips per rhythm that no lesson shows, nothing visible or named that gives
the rhythm away, and drawings a reader can measure (rates in each rhythm's range, a
long QT before torsades, VF chaotic in timing and amplitude, artefacts where the
catalogue says). Monitor strips (issue 16): the spec's twenty, each a loop that scrolls
without a seam at the table's rate, a bare trace that names nothing, used by no lesson
and no question."""

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
from curriculum.standards import alt_finding

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
MONITOR = draw_ecg.MONITOR

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


def _paper_files() -> dict[str, bytes]:
    """Lesson and exam strips: the ones on ECG paper."""
    return {
        path: data
        for path, data in _svg_files().items()
        if not path.startswith("images/ecg/monitor/")
    }


@pytest.fixture(scope="module")
def drawn():
    """Each strip drawn once: {path: Strip}."""
    return {spec.path: spec.draw() for spec in [*draw_ecg.STRIPS, *MONITOR]}


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


def test_no_lesson_shows_an_exam_or_monitor_strip():
    exam_paths = {spec.path for spec in [*EXAM, *MONITOR]}
    shown = {
        (str(lesson.relative_to(ROOT)), src)
        for lesson in (ROOT / "content").rglob("*.md")
        for _, src, _ in image_paths(lesson.read_text())
        if src in exam_paths
        or src.startswith(("images/ecg/exam/", "images/ecg/monitor/"))
    }
    assert shown == set()


def test_monitor_strips_appear_in_case_files_only():
    """Monitor strips are for case simulations: no lesson, question bank or course
    file names one (the standard's ecg-items check says the same at sync)."""
    naming = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "content").rglob("*")
        if path.is_file()
        and path.suffix in {".md", ".yaml", ".yml"}
        and path.parent.name != "cases"
        and "images/ecg/monitor/" in path.read_text()
    )
    assert naming == []


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


def test_every_paper_strip_shows_lead_scale_time_marks_and_nothing_else():
    for path, data in _paper_files().items():
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
    specs = [spec for spec in [*draw_ecg.STRIPS, *MONITOR] if spec.rhythm == rhythm]
    assert {spec.kind for spec in specs} == {"lesson", "exam", "monitor"} - (
        {"lesson"} if rhythm == "vf-fine" else set()
    )
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


# --- monitor strips (issue 16) ---------------------------------------------------------

# The spec's table (CASES_SPEC.md, "Monitor strips"): strip -> (rhythm, rate per minute).
MONITOR_TABLE = {
    "m-01": ("av-block-3", 38),
    "m-02": ("sinus", 80),
    "m-03": ("vf-fine", None),
    "m-04": ("svt", 180),
    "m-05": ("asystole", None),
    "m-06": ("sinus-tachy", 125),
    "m-07": ("vt-mono", 170),
    "m-08": ("sinus-brady", 40),
    "m-09": ("afib", 140),
    "m-10": ("vf-coarse", None),
    "m-11": ("junctional", 45),
    "m-12": ("torsades", 240),
    "m-13": ("sinus-stemi", 90),
    "m-14": ("av-block-2-ii", 45),
    "m-15": ("idioventricular", 30),
    "m-16": ("aflutter", 150),
    "m-17": ("vt-poly", 210),
    "m-18": ("paced", 70),
    "m-19": ("sinus", 60),
    "m-20": ("sinus-tachy", 105),
}
# The table's atrial rates (P or flutter waves), where it gives one.
MONITOR_ATRIAL = {"m-01": 80, "m-14": 90, "m-16": 300}
# The rhythm enum of case files (CASES_SPEC.md).
CASE_RHYTHMS = set(
    "sinus sinus-brady sinus-tachy sinus-stemi svt afib aflutter vt-mono vt-poly "
    "torsades vf-coarse vf-fine asystole av-block-2-ii av-block-3 junctional "
    "idioventricular paced".split()
)
# Runs of ventricular waves with no baseline between them: counted by their lobes.
CONTINUOUS_RUNS = {"torsades", "vt-poly"}
STEP = draw_ecg.SAMPLE_S


def _monitor_id(spec) -> str:
    return spec.sid


def _monitor_svg(spec) -> str:
    return (COURSE / spec.path).read_text()


def _polyline(svg: str) -> list[tuple[float, float]]:
    points = re.search(r'<polyline points="([^"]*)"', svg).group(1)
    return [tuple(float(v) for v in p.split(",")) for p in points.split()]


def _viewbox(svg: str) -> tuple[float, float]:
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return float(box.group(1)), float(box.group(2))


def _trace_mv(svg: str) -> list[float]:
    """The drawn trace read back from the SVG: mV every 2 ms around the loop (one
    value per sample, the seam's last point left out, as it is the first)."""
    points = _polyline(svg)
    width, _ = _viewbox(svg)
    n = round(width / draw_ecg.MONITOR_PX_PER_S / STEP)
    values, j = [], 0
    for k in range(n):
        x = k * width / n
        while points[j + 1][0] < x:
            j += 1
        (x0, y0), (x1, y1) = points[j], points[j + 1]
        y = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        values.append((draw_ecg.MONITOR_BASELINE - y) / draw_ecg.MONITOR_PX_PER_MV)
    return values


def _complexes(values: list[float]) -> int:
    """Ventricular complexes (or pacing spikes with their complexes): stretches
    steeper than 12 mV/s (a QRS; P, T, flutter and fibrillatory waves are slower),
    one complex per 0.2 s, counted around the loop."""
    n = len(values)
    steep = [
        i
        for i in range(n)
        if abs(values[(i + 1) % n] - values[i - 1]) / (2 * STEP) > 12.0
    ]
    gap = 0.2 / STEP
    return sum(
        1
        for k, i in enumerate(steep)
        if (i - steep[k - 1]) % n > gap or len(steep) == 1
    )


def _lobes(values: list[float], floor: float = 0.03) -> int:
    """Waves of a continuous run: stretches beyond +-floor mV of one sign, counted
    around the loop (a complex has two, one up and one down)."""
    signs = [1 if v > floor else -1 if v < -floor else 0 for v in values]
    return sum(1 for i, sign in enumerate(signs) if sign and sign != signs[i - 1])


def test_monitor_strips_are_the_spec_table():
    assert draw_ecg.MONITOR_STRIPS == MONITOR_TABLE
    assert {rhythm for rhythm, _ in MONITOR_TABLE.values()} <= CASE_RHYTHMS
    assert set(draw_ecg.MONITOR_RHYTHMS) == CASE_RHYTHMS
    assert sorted(spec.path for spec in MONITOR) == sorted(
        p for p in _svg_files() if p.startswith("images/ecg/monitor/")
    )
    for sid in MONITOR_TABLE:
        assert (COURSE / "images" / "ecg" / "monitor" / f"{sid}.svg").is_file()


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_has_a_monitors_look(spec):
    """The trace alone, in the monitor's green (the page shows it with <img>, where
    currentColor would be black), on a box the page can stretch; no ids; small."""
    svg = _monitor_svg(spec)
    assert re.findall(r"<(\w+)", svg) == ["svg", "title", "polyline"]
    assert " id=" not in svg
    assert 'preserveAspectRatio="none"' in svg
    polyline = re.search(r"<polyline [^>]*>", svg).group(0)
    assert f'stroke="{draw_ecg.MONITOR_TRACE}"' in polyline
    assert 'fill="none"' in polyline
    assert 'vector-effect="non-scaling-stroke"' in polyline
    width, height = _viewbox(svg)
    assert height == draw_ecg.MONITOR_HEIGHT
    seconds = width / draw_ecg.MONITOR_PX_PER_S
    _, rate = MONITOR_TABLE[spec.sid]
    # 6 s, or the whole number of beats closest to it.
    assert abs(seconds - 6.0) <= (30 / rate if rate else 0.0) + STEP, seconds
    ys = [y for _, y in _polyline(svg)]
    assert 2 <= min(ys) and max(ys) <= height - 2, (min(ys), max(ys))
    assert len(svg.encode()) < 8_000
    assert image_bytes_problem(spec.path, svg.encode()) is None


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_names_no_rhythm(spec):
    svg = _monitor_svg(spec)
    assert re.findall(r"<title>([^<]*)</title>", svg) == [draw_ecg.MONITOR_TITLE]
    assert re.findall(r'aria-label="([^"]*)"', svg) == [draw_ecg.MONITOR_TITLE]
    assert alt_finding(draw_ecg.MONITOR_TITLE) is None
    assert "<text" not in svg
    words = {
        word
        for name in [*draw_ecg.MONITOR_RHYTHMS, *draw_ecg.MONITOR_RHYTHMS.values()]
        for word in re.findall(r"[a-z]{2,}", name.lower())
    } - {"ii", "with", "the", "and"}
    prose = re.sub(r'(points|viewBox)="[^"]*"', "", svg).lower()
    assert [w for w in words if re.search(rf"\b{w}\b", prose)] == []
    assert re.fullmatch(r"images/ecg/monitor/m-\d{2}\.svg", spec.path)


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_loops_without_a_seam(spec, drawn):
    """The last point meets the first (same height) and the curve goes on across the
    seam as it does anywhere else: the bend there is no sharper than right beside it
    (a jump or a change of slope would be)."""
    svg = _monitor_svg(spec)
    points = _polyline(svg)
    width, _ = _viewbox(svg)
    assert points[0][0] == 0 and points[-1][0] == width
    assert abs(points[0][1] - points[-1][1]) <= 0.05
    values = drawn[spec.path].samples()
    v, n = values[:-1], len(values) - 1

    def bend(i):
        return abs(v[(i + 1) % n] - 2 * v[i % n] + v[(i - 1) % n])

    beside = max(bend(-2), bend(1))
    assert bend(-1) <= 2 * beside + 1e-3, (bend(-1), beside)
    assert bend(0) <= 2 * beside + 1e-3, (bend(0), beside)


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_trace_has_no_jump_anywhere(spec, drawn):
    """The script moves the seam to the trace's quietest place, so a loop built with a
    break (a wave cut short where the loop was closed) would show it elsewhere: no
    step between samples is more than four times the steps on either side of it."""
    values = drawn[spec.path].samples()[:-1]
    n = len(values)
    steps = [abs(values[i] - values[i - 1]) for i in range(n)]
    jumps = [
        (round(i * STEP, 3), round(steps[i], 3))
        for i in range(n)
        if steps[i] > 4 * max(steps[i - 1], steps[(i + 1) % n]) + 0.005
    ]
    assert jumps == []


# Rhythms whose beats come at irregular intervals; every other one is regular.
IRREGULAR = {"afib", "torsades", "vt-poly"}


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_keeps_the_rhythms_timing_across_the_seam(spec, drawn):
    """Beats (QRS, P or flutter waves, pacing spikes) keep the rhythm's timing around
    the whole loop: a regular rhythm's intervals, the one across the seam included,
    differ by under 5%; an irregular rhythm's interval across the seam is within the
    range of those inside the loop."""
    strip = drawn[spec.path]
    rhythm, _ = MONITOR_TABLE[spec.sid]
    timed = {
        what: sorted(t % strip.duration for t in times)
        for what, times in (
            ("QRS", strip.qrs_times),
            ("P", strip.p_times),
            ("spike", strip.spike_times),
        )
        if times
    }
    if rhythm in {"vf-coarse", "vf-fine", "asystole"}:
        assert timed == {}
        return
    assert "QRS" in timed
    for what, ts in timed.items():
        inside = [b - a for a, b in itertools.pairwise(ts)]
        across = ts[0] + strip.duration - ts[-1]
        if rhythm in IRREGULAR and what == "QRS":
            assert min(inside) * 0.97 <= across <= max(inside) * 1.03, (what, across)
        else:
            intervals = [*inside, across]
            assert max(intervals) <= 1.05 * min(intervals), (what, intervals)


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_shows_the_tables_rate(spec, drawn):
    """Counted on the drawn trace (read back from the SVG) around the loop: the
    complexes the script placed, at the table's rate within 5%; the atrial rate too
    where the table gives one."""
    rhythm, rate = MONITOR_TABLE[spec.sid]
    strip = drawn[spec.path]
    values = _trace_mv(_monitor_svg(spec))
    seconds = len(values) * STEP
    if rhythm in {"vf-coarse", "vf-fine"}:
        assert rate is None and strip.qrs_times == []  # waves, nothing to count
        return
    if rhythm in CONTINUOUS_RUNS:
        lobes = _lobes(values)
        assert lobes % 2 == 0, lobes
        complexes = lobes // 2
    else:
        complexes = _complexes(values)
    assert complexes == len(strip.qrs_times), (complexes, len(strip.qrs_times))
    if rate is None:
        assert complexes == 0  # asystole
    else:
        measured = 60 * complexes / seconds
        assert abs(measured - rate) <= 0.05 * rate, (measured, rate)
    if spec.sid in MONITOR_ATRIAL:
        atrial = 60 * len(strip.p_times) / strip.duration
        expected = MONITOR_ATRIAL[spec.sid]
        assert abs(atrial - expected) <= 0.05 * expected, (atrial, expected)


def _pr_intervals(strip) -> list[float]:
    """For each QRS, the time since the P wave before it (around the loop)."""
    loop = strip.duration
    return [min((q - p) % loop for p in strip.p_times) for q in sorted(strip.qrs_times)]


@pytest.mark.parametrize("spec", MONITOR, ids=_monitor_id)
def test_monitor_strip_relates_p_waves_and_complexes_as_its_rhythm_does(spec, drawn):
    strip = drawn[spec.path]
    rhythm, _ = MONITOR_TABLE[spec.sid]
    p, qrs = len(strip.p_times), len(strip.qrs_times)
    if rhythm.startswith("sinus"):
        prs = _pr_intervals(strip)
        assert p == qrs and 0.12 <= min(prs) and max(prs) <= 0.21, prs
        assert max(prs) - min(prs) < 0.01  # constant PR
    elif rhythm == "av-block-2-ii":
        prs = _pr_intervals(strip)
        assert p == 2 * qrs and max(prs) - min(prs) < 0.01, prs  # 2:1, constant PR
    elif rhythm == "av-block-3":
        prs = _pr_intervals(strip)
        assert p > qrs and max(prs) - min(prs) >= 0.2, prs  # unrelated: PR varies
    elif rhythm == "aflutter":
        assert p == 2 * qrs  # flutter waves, 2:1
    elif rhythm == "paced":
        assert p == 0 and sorted(strip.spike_times) == pytest.approx(
            sorted(strip.qrs_times), abs=0.002
        )
    else:
        assert p == 0, rhythm  # no P waves: junctional, SVT, VT, VF, AF, asystole
    if rhythm != "paced":
        assert strip.spike_times == []


def _complex_sizes(strip) -> list[tuple[float, float]]:
    """(size, direction) of each complex of a continuous run: peak to trough, and
    which way the bigger wave points (+1 up, -1 down)."""
    values = strip.samples()[:-1]
    n = len(values)
    times = sorted(strip.qrs_times)
    rr = strip.duration / len(times)
    found = []
    for t in times:
        window = [
            values[round(t / STEP + k) % n]
            for k in range(-round(0.45 * rr / STEP), round(0.45 * rr / STEP))
        ]
        high, low = max(window), min(window)
        found.append((high - low, 1 if high > -low else -1))
    return found


def test_torsades_on_the_monitor_is_a_continuous_run_of_twisting_spindles(drawn):
    (spec,) = [s for s in MONITOR if s.rhythm == "torsades"]
    strip = drawn[spec.path]
    assert strip.p_times == [] and strip.t_waves == []  # no sinus beats
    sizes = _complex_sizes(strip)
    heights = [size for size, _ in sizes]
    assert max(heights) >= 3 * min(heights)  # spindles swell and shrink
    turns = sum(1 for (_, a), (_, b) in itertools.pairwise(sizes) if a != b)
    assert turns >= 2  # the points turn from up to down and back
    # No flat stretch: a wave begins at least every 0.2 s.
    values = strip.samples()[:-1]
    starts = [
        i for i in range(len(values)) if abs(values[i]) > 0.03 >= abs(values[i - 1])
    ]
    assert max((b - a) * STEP for a, b in itertools.pairwise(starts)) < 0.2


def test_polymorphic_vt_on_the_monitor_changes_from_beat_to_beat(drawn):
    (spec,) = [s for s in MONITOR if s.rhythm == "vt-poly"]
    strip = drawn[spec.path]
    assert strip.p_times == [] and strip.t_waves == []  # no sinus beats
    sizes = _complex_sizes(strip)
    heights = [size for size, _ in sizes]
    assert _cv(heights) >= 0.2
    turns = sum(1 for (_, a), (_, b) in itertools.pairwise(sizes) if a != b)
    assert turns >= 4
    rrs = [b - a for a, b in itertools.pairwise(sorted(strip.qrs_times))]
    assert max(rrs) - min(rrs) >= 0.03  # not a metronome


def _qrs_width(strip) -> float:
    """Width (s) of the first R wave at half its height."""
    values = strip.samples()[:-1]
    n = len(values)
    at = round(sorted(strip.qrs_times)[0] / STEP)
    half = values[at] / 2
    left = right = 0
    while values[(at - left) % n] > half:
        left += 1
    while values[(at + right) % n] > half:
        right += 1
    return (left + right) * STEP


def test_the_pea_strip_is_organized_at_60_with_a_slightly_broad_qrs(drawn):
    pea, sinus = (drawn[f"images/ecg/monitor/{sid}.svg"] for sid in ("m-19", "m-02"))
    assert len(pea.p_times) == len(pea.qrs_times) == 6  # P before every QRS
    assert round(pea.ventricular_rate()[0]) == 60
    assert _qrs_width(pea) >= 1.3 * _qrs_width(sinus)
    assert _qrs_width(pea) < 0.06  # broad, not a wide ventricular complex


def _j_point(strip) -> float:
    """Height (mV) of the J point, the end of the narrow QRS (0.05 s after its R
    peak), of the third beat."""
    values = strip.samples()
    return values[round((sorted(strip.qrs_times)[2] + 0.05) / STEP)]


def test_the_stemi_strip_meets_the_st_elevation_criterion_in_lead_ii(drawn):
    """ST elevation at the J point of at least 1 mm (0.1 mV), the threshold in limb
    leads (fourth universal definition of MI); the plain sinus strip has none."""
    stemi, sinus = (drawn[f"images/ecg/monitor/{sid}.svg"] for sid in ("m-13", "m-02"))
    assert _j_point(stemi) >= 0.1
    assert abs(_j_point(sinus)) < 0.05
