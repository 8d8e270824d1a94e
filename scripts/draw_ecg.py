#!/usr/bin/env python3
"""Draw the ACLS rhythm strips as SVG files (standard library only).

A lesson or exam strip is a 6-second lead II recording on standard ECG paper: 25 mm/s,
10 mm/mV, 1 mm minor and 5 mm major grid lines, a 1 mV calibration pulse at the
left edge, the lead label "II" and time marks every second (longer at 0, 3 and 6 s)
above the grid, and the paper speed and gain under it. A rhythm is a list of events
(P waves, QRS complexes, T waves, pacing spikes) built from waveform templates, plus
continuous signals: fibrillatory, flutter or VF waves, baseline wander, muscle tremor
and 60 Hz mains interference. Output is deterministic: every random number comes from
a generator seeded per strip, so running the script again gives identical bytes
(tests/curriculum/test_ecg_strips.py re-draws every strip and compares).

Three kinds of strip, all under content/acls/images/ecg/:

- LESSON strips, `strip-NN.svg`: the figures lessons show with a caption naming the
  rhythm. Their paths never change (lessons link them). Their SVG title is "ECG
  rhythm strip NN".
- EXAM strips, `exam/e-NNN.svg`: for exam questions only, never shown by a lesson.
  Numbers were dealt at random once and are fixed, so neither the number nor the
  order reveals the rhythm; each rhythm has at least three, at different rates, with
  different morphology, and with baseline wander, muscle tremor or mains artefact on
  some. Every exam strip has the same SVG title and label, "6-second lead II rhythm
  strip", and no visible text but the lead, the seconds and the scale.
- MONITOR strips, `monitor/m-NN.svg`: the live monitor of case simulations, never a
  lesson's or a question's. Numbers are fixed by the cases spec (MONITOR_STRIPS: strip
  -> rhythm and rate, for the case content tests). Each is a loop that the page
  scrolls (two copies side by side): the trace starts and ends at the same height and
  slope, and the beat across the seam keeps the rhythm's timing. A monitor's look: the
  trace alone in a fixed monitor green (no paper, calibration pulse, time marks or
  text), the neutral title "Monitor lead II", no ids.

Nothing rendered names a rhythm. What each strip shows is kept here, in STRIPS and
MONITOR (rhythm, features) and in the rates measured from the drawn beats: print it as
a Markdown table with `--catalogue` (docs/ECG_STRIPS.md is that table). Question
authors use it to write items; a question's `image_alt` says what the image is
("6-second lead II rhythm strip"), never the findings.

Usage:
    python3 scripts/draw_ecg.py              # writes content/acls/images/ecg/ (all)
    python3 scripts/draw_ecg.py OUTDIR       # writes the same files under OUTDIR
    python3 scripts/draw_ecg.py --catalogue  # prints the catalogue (Markdown)
"""

from __future__ import annotations

import itertools
import math
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

# ---------------------------------------------------------------- paper scale
PX_PER_MM = 5.0
MM_PER_S = 25.0  # paper speed
MM_PER_MV = 10.0  # gain
DURATION_S = 6.0  # strip length
CAL_MM = 10.0  # left margin holding the calibration pulse
GRID_W_MM = CAL_MM + DURATION_S * MM_PER_S  # 160 mm
GRID_H_MM = 40.0
TOP_PX = 28  # white band above the grid: lead label and time marks
BOTTOM_PX = 18  # white band under the grid: paper speed and gain
BASELINE_MM = 22.0  # distance of the isoelectric line from the grid top
SAMPLE_S = 0.002  # 500 Hz
SAMPLES = round(DURATION_S / SAMPLE_S) + 1

WIDTH_PX = GRID_W_MM * PX_PER_MM
GRID_H_PX = GRID_H_MM * PX_PER_MM
HEIGHT_PX = TOP_PX + GRID_H_PX + BOTTOM_PX

LESSON_DIR = "images/ecg"
EXAM_DIR = "images/ecg/exam"
EXAM_TITLE = "6-second lead II rhythm strip"

# ------------------------------------------------------------------ templates
# A template is a list of Gaussian components (offset s, amplitude mV, sigma s)
# relative to the event's time (a QRS: the R peak).
P_WAVE = [(0.0, 0.15, 0.022)]
P_INVERTED = [(0.0, -0.12, 0.018)]
QRS_NARROW = [(-0.028, -0.08, 0.008), (0.0, 1.30, 0.011), (0.024, -0.32, 0.010)]
QRS_TALL = [(-0.026, -0.12, 0.008), (0.0, 1.75, 0.010), (0.023, -0.45, 0.010)]
QRS_SMALL = [(-0.026, -0.05, 0.008), (0.0, 0.70, 0.011), (0.024, -0.22, 0.010)]
QRS_RS = [(-0.02, -0.04, 0.008), (0.0, 0.80, 0.010), (0.026, -0.65, 0.012)]
QRS_RBBB = [
    (-0.03, -0.06, 0.008),
    (0.0, 1.05, 0.012),
    (0.032, -0.22, 0.011),
    (0.062, 0.38, 0.016),
]  # about 0.12-0.13 s, rSR'
QRS_LBBB = [(0.0, 0.70, 0.022), (0.045, 0.85, 0.022), (0.10, -0.10, 0.02)]  # ~0.14 s
QRS_ESCAPE = [(0.0, 0.95, 0.030), (0.070, -0.50, 0.028)]  # wide ventricular escape
QRS_ESCAPE_NEG = [(0.0, -0.85, 0.032), (0.075, 0.40, 0.030)]
QRS_PEA = [(-0.03, -0.05, 0.009), (0.0, 0.85, 0.016), (0.036, -0.25, 0.014)]
QRS_VT = [(0.0, 1.10, 0.034), (0.085, -0.75, 0.038), (0.20, -0.22, 0.045)]
QRS_VT_NEG = [(0.0, -1.25, 0.036), (0.09, 0.45, 0.040), (0.19, 0.18, 0.045)]
QRS_VT_NOTCHED = [(0.0, 0.85, 0.026), (0.055, 0.95, 0.026), (0.14, -0.55, 0.04)]
QRS_PACED = [(0.012, -0.25, 0.012), (0.06, 1.05, 0.034), (0.14, -0.35, 0.035)]
PVC_UP = [(0.0, 1.35, 0.032), (0.075, -0.40, 0.030)]
PVC_DOWN = [(0.0, -1.20, 0.034), (0.07, 0.45, 0.032)]
PVC_BIPHASIC = [(0.0, 0.75, 0.028), (0.07, -0.95, 0.032)]
PACING_SPIKE = [(0.0, 1.7, 0.0016), (0.004, -0.22, 0.003)]

# Ventricular complexes and the T wave that follows them (not the sinus T wave).
PVC_T = {id(PVC_UP): -0.38, id(PVC_DOWN): 0.40, id(PVC_BIPHASIC): 0.30}


def scaled(template, amp=1.0, width=1.0):
    """A template with its amplitude and duration scaled."""
    return [(o * width, a * amp, s * width) for o, a, s in template]


def main_deflection(template) -> float:
    """+1 when the complex is mainly upright, -1 when mainly negative."""
    return 1.0 if max(template, key=lambda c: abs(c[1]))[1] > 0 else -1.0


def t_wave(rr, amp=0.30, qt_scale=1.0, width=1.0):
    """Asymmetric T wave; its position follows the RR interval (Bazett-like)."""
    peak = 0.26 * math.sqrt(max(rr, 0.25)) * qt_scale
    return [
        (peak - 0.035 * width, amp * 0.55, 0.050 * width),
        (peak + 0.010 * width, amp * 0.60, 0.036 * width),
    ]


def t_wave_end(rr, qt_scale=1.0, width=1.0):
    """Time after the R peak at which t_wave() has returned to the baseline."""
    return 0.26 * math.sqrt(max(rr, 0.25)) * qt_scale + 0.010 * width + 0.11 * width


# --------------------------------------------------------------------- strips
class Strip:
    """One 6-second recording: events and continuous signals, sampled at 500 Hz."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)  # noqa: S311 (deterministic drawing, not crypto)
        self.events: list[tuple[float, list]] = []
        self.p_times: list[float] = []  # atrial depolarizations (P or flutter waves)
        self.qrs_times: list[float] = []  # ventricular depolarizations
        self.spike_times: list[float] = []  # pacemaker spikes
        # (R peak, end of its T wave, QT in s) of beats whose T wave is drawn.
        self.t_waves: list[tuple[float, float, float]] = []
        self.signals: list[list[float]] = []  # continuous additions, one per sample
        self.artefacts: list[list[float]] = []  # tremor and mains, likewise
        self.wander = (0.02, 0.23, self.rng.uniform(0, 6.28))
        self.atrial_rate: float | None = None  # flutter/fibrillation, per minute
        self.rate_note = ""  # added to the measured rates in the catalogue
        self.rate_override = ""  # replaces them (a rhythm that changes mid-strip)
        self.notes: list[str] = []  # measured features for the catalogue

    # ---- building blocks
    def add(self, t, template):
        self.events.append((t, template))

    def p(self, t, template=P_WAVE, amp=1.0):
        self.add(t, scaled(template, amp))
        self.p_times.append(t)

    def qrs(self, t, template=QRS_NARROW, scale=1.0):
        self.add(t, scaled(template, scale))
        self.qrs_times.append(t)

    def t(self, t, rr, amp=0.30, qt_scale=1.0, width=1.0, onset=0.04):
        self.add(t, t_wave(rr, amp, qt_scale, width))
        end = t + t_wave_end(rr, qt_scale, width)
        self.t_waves.append((t, end, end - (t - onset)))

    def spike(self, t):
        t = round(t / SAMPLE_S) * SAMPLE_S  # on a sample, so every spike is as tall
        self.add(t, PACING_SPIKE)
        self.spike_times.append(t)

    def beat(
        self,
        t_p,
        pr,
        rr,
        template=QRS_NARROW,
        t_amp=0.30,
        qt_scale=1.0,
        t_width=1.0,
        p_template=P_WAVE,
    ):
        """A conducted beat: P wave, QRS after the PR interval, T wave."""
        self.p(t_p, p_template)
        self.qrs(t_p + pr, template)
        self.t(t_p + pr, rr, t_amp, qt_scale, t_width)

    def ectopic(self, t, template=PVC_UP, t_amp=None):
        """A ventricular ectopic beat (PVC) with its discordant T wave."""
        self.qrs(t, template)
        amp = PVC_T.get(id(template), -0.35) if t_amp is None else t_amp
        self.add(t, [(0.30, amp * 0.7, 0.055), (0.34, amp * 0.5, 0.045)])

    # ---- artefacts
    def set_wander(self, amp, freq=0.25):
        """Baseline wander (breathing, movement): amp mV at about freq Hz."""
        self.wander = (amp, freq, self.rng.uniform(0, 6.28))

    def add_tremor(self, amp=0.05, bursts=3):
        """Muscle tremor: irregular high-frequency noise in bursts, amp mV."""
        rng = self.rng
        raw = [rng.gauss(0.0, 1.0) for _ in range(SAMPLES + 4)]
        smooth = [(raw[i] + raw[i + 1] + raw[i + 2]) / 3 for i in range(SAMPLES + 2)]
        noise = [
            smooth[i + 1] - 0.5 * (smooth[i] + smooth[i + 2]) for i in range(SAMPLES)
        ]
        centres = sorted(rng.uniform(0.3, DURATION_S - 0.3) for _ in range(bursts))
        spans = [rng.uniform(0.5, 1.4) for _ in centres]

        def envelope(t):
            level = 0.35
            for c, w in zip(centres, spans, strict=True):
                level = max(level, math.exp(-0.5 * ((t - c) / (w / 2)) ** 2))
            return level

        self.artefacts.append(
            [amp * 2.2 * envelope(i * SAMPLE_S) * noise[i] for i in range(SAMPLES)]
        )

    def add_mains(self, amp=0.04):
        """60 Hz interference from mains wiring, amp mV."""
        phase = self.rng.uniform(0, 6.28)
        self.artefacts.append(
            [
                amp * math.sin(2 * math.pi * 60 * i * SAMPLE_S + phase)
                for i in range(SAMPLES)
            ]
        )

    def add_signal(self, fn):
        self.signals.append([fn(i * SAMPLE_S) for i in range(SAMPLES)])

    # ---- the recording
    def samples(self, *, events=True, artefacts=True) -> list[float]:
        """The voltage (mV) at each sample from 0 to 6 s; without `events`, no P, QRS
        or T waves; without `artefacts`, no wander, tremor or mains."""
        a, f, ph = self.wander if artefacts else (0.0, 0.0, 0.0)
        values = [
            a * math.sin(2 * math.pi * f * i * SAMPLE_S + ph)
            + 0.35 * a * math.sin(2 * math.pi * 2.7 * f * i * SAMPLE_S + 2 * ph)
            for i in range(SAMPLES)
        ]
        for t0, comps in self.events if events else ():
            for off, amp, sig in comps:
                centre = t0 + off
                lo = max(0, math.floor((centre - 5 * sig) / SAMPLE_S))
                hi = min(SAMPLES - 1, math.ceil((centre + 5 * sig) / SAMPLE_S))
                for i in range(lo, hi + 1):
                    d = (i * SAMPLE_S - centre) / sig
                    values[i] += amp * math.exp(-0.5 * d * d)
        for signal in self.signals + (self.artefacts if artefacts else []):
            for i, v in enumerate(signal):
                values[i] += v
        return values

    def ventricular_rate(self) -> tuple[float, float, float] | None:
        """(mean, lowest, highest) rate per minute from the R-R intervals on the strip."""
        times = sorted(t for t in self.qrs_times if 0 <= t <= DURATION_S)
        if len(times) < 2:
            return None
        rrs = [b - a for a, b in itertools.pairwise(times)]
        mean = (times[-1] - times[0]) / len(rrs)
        return 60 / mean, 60 / max(rrs), 60 / min(rrs)

    def atrial_rate_measured(self) -> float | None:
        if self.atrial_rate:
            return self.atrial_rate
        times = sorted(t for t in self.p_times if 0 <= t <= DURATION_S)
        if len(times) < 2:
            return None
        return 60 * (len(times) - 1) / (times[-1] - times[0])

    def spike_rate(self) -> float | None:
        """Pacing spikes per minute."""
        times = sorted(self.spike_times)
        if len(times) < 2:
            return None
        return 60 * (len(times) - 1) / (times[-1] - times[0])


def chaotic_wave(
    rng: random.Random,
    *,
    half_lo: float,
    half_hi: float,
    amp_lo: float,
    amp_hi: float,
    drift: float = 0.0,
) -> list[float]:
    """Fibrillation: half-waves of random length (half_lo-half_hi s) and height
    (amp_lo-amp_hi mV, under a slowly changing envelope), alternating in sign, so
    neither the timing nor the amplitude repeats. `drift` adds a slow irregular
    shift (mV) that moves the axis of the waves."""
    values = [0.0] * SAMPLES
    env_points = [rng.uniform(0.35, 1.0) for _ in range(13)]

    def envelope(t):
        x = t / DURATION_S * (len(env_points) - 1)
        i = min(int(x), len(env_points) - 2)
        u = x - i
        u = u * u * (3 - 2 * u)
        return env_points[i] * (1 - u) + env_points[i + 1] * u

    t, sign = -rng.uniform(0, half_hi), rng.choice([1, -1])
    while t < DURATION_S:
        half = rng.uniform(half_lo, half_hi)
        height = sign * rng.uniform(amp_lo, amp_hi) * envelope(max(t, 0.0))
        skew = rng.uniform(0.7, 1.6)
        lo = max(0, math.ceil(t / SAMPLE_S))
        hi = min(SAMPLES - 1, math.floor((t + half) / SAMPLE_S))
        for i in range(lo, hi + 1):
            u = (i * SAMPLE_S - t) / half
            values[i] += height * math.sin(math.pi * u**skew)
        t += half
        sign = -sign
    if drift:
        comps = [(rng.uniform(0.4, 1.6), rng.uniform(0, 6.28)) for _ in range(3)]
        for i in range(SAMPLES):
            x = i * SAMPLE_S
            values[i] += (
                drift
                * sum(math.sin(2 * math.pi * f * x + p) for f, p in comps)
                / len(comps)
            )
    return values


# ----------------------------------------------------------------- rendering
def x_of(t):
    return (CAL_MM + t * MM_PER_S) * PX_PER_MM


def y_of(mv):
    return TOP_PX + (BASELINE_MM - mv * MM_PER_MV) * PX_PER_MM


def simplify(points, tol):
    """Ramer-Douglas-Peucker polyline simplification (iterative)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        (x1, y1), (x2, y2) = points[i], points[j]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy) or 1e-9
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            x0, y0 = points[k]
            dist = abs(dy * x0 - dx * y0 + x2 * y1 - y2 * x1) / norm
            if dist > best:
                best, idx = dist, k
        if best > tol and idx > 0:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return [p for p, k in zip(points, keep, strict=True) if k]


def grid_paths():
    minor, major = [], []
    top, bottom = TOP_PX, TOP_PX + GRID_H_PX
    for i in range(int(GRID_W_MM) + 1):
        x = i * PX_PER_MM
        (major if i % 5 == 0 else minor).append(f"M{x:g} {top:g}V{bottom:g}")
    for j in range(int(GRID_H_MM) + 1):
        y = top + j * PX_PER_MM
        (major if j % 5 == 0 else minor).append(f"M0 {y:g}H{WIDTH_PX:g}")
    return "".join(minor), "".join(major)


def time_marks():
    """Ticks above the grid at every second, longer at 0, 3 and 6 s, numbered."""
    ticks, labels = [], []
    for second in range(int(DURATION_S) + 1):
        x = x_of(second)
        long = second % 3 == 0
        ticks.append(f"M{x:g} {TOP_PX - (12 if long else 6):g}V{TOP_PX:g}")
        anchor = "end" if second == DURATION_S else "middle"
        shift = -3 if second == DURATION_S else 0
        labels.append(
            f'  <text x="{x + shift:g}" y="{TOP_PX - 15:g}" font-size="10"'
            f' text-anchor="{anchor}" fill="#374151">{second} s</text>'
        )
    return "".join(ticks), labels


def esc(text):
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def render(strip: Strip, *, title: str, sid: str) -> str:
    values = strip.samples()
    pts = [(x_of(i * SAMPLE_S), y_of(v)) for i, v in enumerate(values)]
    pts = simplify(pts, 0.25)
    trace = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)

    # 1 mV calibration pulse, 5 mm wide, in the left margin
    b, top = y_of(0), y_of(1.0)
    x0, x1, x2, x3 = 1 * PX_PER_MM, 3 * PX_PER_MM, 8 * PX_PER_MM, 9.6 * PX_PER_MM
    cal = f"M{x0:g} {b:.1f}H{x1:g}V{top:.1f}H{x2:g}V{b:.1f}H{x3:g}"

    minor, major = grid_paths()
    ticks, tick_labels = time_marks()
    w, h = WIDTH_PX, HEIGHT_PX
    label = esc(title)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:g} {h:g}"'
        f' width="{w:g}" height="{h:g}" role="img" aria-label="{label}"'
        f' aria-labelledby="title-{sid}" font-family="Arial, Helvetica, sans-serif">',
        f'  <title id="title-{sid}">{label}</title>',
        f'  <defs><clipPath id="paper-{sid}"><rect x="0" y="{TOP_PX}"'
        f' width="{w:g}" height="{GRID_H_PX:g}"/></clipPath></defs>',
        f'  <rect x="0" y="0" width="{w:g}" height="{h:g}" fill="#ffffff"/>',
        f'  <text x="6" y="{TOP_PX - 8:g}" font-size="15" font-weight="bold"'
        ' fill="#111111">II</text>',
        f'  <path d="{ticks}" stroke="#374151" stroke-width="1.2" fill="none"/>',
        *tick_labels,
        f'  <rect x="0" y="{TOP_PX}" width="{w:g}" height="{GRID_H_PX:g}"'
        ' fill="#fff7f5"/>',
        f'  <path d="{minor}" stroke="#f4c7c3" stroke-width="0.5" fill="none"/>',
        f'  <path d="{major}" stroke="#e48f88" stroke-width="1" fill="none"/>',
        f'  <path d="{cal}" stroke="#111111" stroke-width="1.4" fill="none"/>',
        f'  <polyline points="{trace}" stroke="#111111" stroke-width="1.5" fill="none"'
        f' stroke-linejoin="round" stroke-linecap="round"'
        f' clip-path="url(#paper-{sid})"/>',
        f'  <text x="{w - 6:g}" y="{h - 5:g}" font-size="11" text-anchor="end"'
        ' fill="#374151">25 mm/s, 10 mm/mV</text>',
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- rhythms
# Builders take the strip's seed first and return a Strip.


def sinus(
    seed,
    rate,
    pr=0.16,
    template=QRS_NARROW,
    first=0.25,
    jitter=0.015,
    t_amp=0.30,
    p_template=P_WAVE,
):
    """Sinus rhythm at `rate`: P before every QRS, constant PR."""
    s = Strip(seed)
    rr = 60.0 / rate
    tp = first
    while tp < DURATION_S + 0.3:
        s.beat(tp, pr, rr, template, t_amp=t_amp, p_template=p_template)
        tp += rr * (1 + s.rng.uniform(-jitter, jitter))
    return s


def mobitz_1(seed, atrial, prs, first=0.15, template=QRS_NARROW):
    """Wenckebach: PR lengthens over `prs` (None = a P with no QRS), repeating."""
    s = Strip(seed)
    pp = 60.0 / atrial
    tp, k = first, 0
    while tp < DURATION_S + 0.3:
        pr = prs[k % len(prs)]
        s.p(tp)
        if pr is not None:
            s.qrs(tp + pr, template)
            s.t(tp + pr, pp * 0.85, amp=0.24)
        tp += pp
        k += 1
    return s


def mobitz_2(seed, atrial, pattern, pr=0.18, template=QRS_RBBB, first=0.2):
    """Mobitz II: constant PR; the P waves marked False in `pattern` are not
    conducted."""
    s = Strip(seed)
    pp = 60.0 / atrial
    tp, k = first, 0
    while tp < DURATION_S + 0.3:
        s.p(tp)
        if pattern[k % len(pattern)]:
            s.qrs(tp + pr, template)
            s.t(tp + pr, pp, amp=-0.18 if template is not QRS_NARROW else 0.26)
        tp += pp
        k += 1
    return s


def complete_block(
    seed, atrial, ventricular, template=QRS_ESCAPE, first_p=0.10, first_qrs=0.62
):
    """Third-degree AV block: regular P waves and a regular, slower escape rhythm
    that keep no fixed relation."""
    s = Strip(seed)
    pp = 60.0 / atrial
    tp = first_p
    while tp < DURATION_S + 0.3:
        s.p(tp)
        tp += pp
    rr = 60.0 / ventricular
    tq = first_qrs
    wide = template is not QRS_NARROW
    t_amp = -0.30 * main_deflection(template) if wide else 0.28
    while tq < DURATION_S + 0.3:
        s.qrs(tq, template)
        s.t(tq, rr, amp=t_amp, qt_scale=1.15 if wide else 1.0)
        tq += rr
    return s


def atrial_fib(seed, rr_lo, rr_hi, f_amp=0.04, template=QRS_NARROW, first=0.12):
    """Atrial fibrillation: fibrillatory baseline, irregularly irregular QRS."""
    s = Strip(seed)
    rng = s.rng
    s.signals.append(
        chaotic_wave(
            rng, half_lo=0.055, half_hi=0.095, amp_lo=f_amp * 0.4, amp_hi=f_amp
        )
    )
    s.atrial_rate = None
    tq = first
    while tq < DURATION_S + 0.3:
        rr = rng.uniform(rr_lo, rr_hi)
        s.qrs(tq, template)
        s.t(tq, rr, amp=0.20)
        tq += rr
    return s


def flutter(seed, atrial, ratios, amp=0.12, template=QRS_NARROW, first_wave=0.2):
    """Atrial flutter: a sawtooth at `atrial` per minute; a QRS after every n-th
    wave, n taken in turn from `ratios` (e.g. [4] for 4:1, [2, 4] variable)."""
    s = Strip(seed)
    period = 60.0 / atrial

    def saw(t):
        x = ((t - first_wave) / period) % 1.0
        if x < 0.72:
            return amp - 3 * amp * (x / 0.72)  # slow downslope
        u = (x - 0.72) / 0.28
        return -2 * amp + 3 * amp * (u * u * (3 - 2 * u))  # quicker, smooth return

    s.add_signal(saw)
    s.atrial_rate = atrial
    wave = first_wave
    while wave < DURATION_S:
        s.p_times.append(wave)
        wave += period
    tq, k = first_wave + 0.26 * period / 0.2, 0
    while tq < DURATION_S + 0.3:
        n = ratios[k % len(ratios)]
        s.qrs(tq, template)
        s.t(tq, n * period, amp=0.15)
        tq += n * period
        k += 1
    return s


def svt(seed, rate, template=QRS_NARROW, first=0.1, t_amp=0.26):
    """Regular narrow-complex tachycardia, P waves not visible."""
    s = Strip(seed)
    rr = 60.0 / rate
    tq = first
    while tq < DURATION_S + 0.3:
        s.qrs(tq, template)
        s.t(tq, rr, amp=t_amp)
        tq += rr
    return s


def vt(seed, rate, template=QRS_VT, first=0.12, jitter=0.0):
    """Monomorphic VT: regular, wide, identical complexes."""
    s = Strip(seed)
    rr = 60.0 / rate
    tq = first
    while tq < DURATION_S + 0.3:
        s.qrs(tq, template)
        tq += rr * (1 + s.rng.uniform(-jitter, jitter))
    return s


def _polymorphic_run(s, start, rr_lo, rr_hi):
    rng = s.rng
    tq = start
    while tq < DURATION_S + 0.3:
        a = rng.uniform(0.5, 1.35) * rng.choice([1, 1, -1])
        b = rng.uniform(0.2, 0.8) * rng.choice([1, -1])
        w1 = rng.uniform(0.025, 0.040)
        w2 = rng.uniform(0.025, 0.045)
        s.add(tq, [(0.0, a, w1), (rng.uniform(0.065, 0.09), -b, w2)])
        s.qrs_times.append(tq)
        tq += rng.uniform(rr_lo, rr_hi)


def _torsades_run(s, start, rr_lo, rr_hi, twist=2.2, peak=1.5, phase=0.35):
    """A continuous run: broad complexes at rr_lo-rr_hi s whose height swells and
    shrinks in spindles while their points turn from up to down and back (the
    envelope changes sign every half `twist` s)."""
    rng = s.rng
    values = [0.0] * SAMPLES
    knots = [rng.uniform(rr_lo, rr_hi) for _ in range(int(DURATION_S / rr_lo) + 2)]
    cycle = 0.0  # cycles since the start of the run
    next_peak = 0.25
    for i in range(SAMPLES):
        t = i * SAMPLE_S
        if t < start:
            continue
        rr = knots[min(int(cycle), len(knots) - 1)]
        cycle += SAMPLE_S / rr
        if cycle >= next_peak:
            s.qrs_times.append(t)
            next_peak += 1.0
        env = math.cos(2 * math.pi * (t - start) / twist + phase)
        amp = peak * env + (0.12 if env >= 0 else -0.12)
        ramp = min(1.0, (t - start) / 0.05)
        x = 2 * math.pi * cycle
        values[i] = ramp * amp * (math.sin(x) + 0.22 * math.sin(2 * x + 0.6)) / 1.1
    s.signals.append(values)


def _qt_note(s: Strip, sinus_rate: float, run_start: float) -> None:
    """Records the sinus beats' QT and the run's rate for the catalogue."""
    qts = [qt for r, end, qt in s.t_waves if end < run_start]
    rr = 60.0 / sinus_rate
    qt = sum(qts) / len(qts)
    s.notes.append(
        f"QT {qt:.2f} s (QTc {qt / math.sqrt(rr):.2f} s) on the {len(qts)} sinus "
        "beats whose T wave is whole"
    )
    run = sorted(t for t in s.qrs_times if t >= run_start and t <= DURATION_S)
    run_rate = 60 * (len(run) - 1) / (run[-1] - run[0])
    s.rate_override = f"sinus {sinus_rate:.0f}, then a run at about {run_rate:.0f}"


def polymorphic(seed, sinus_rate, beats, run_rr, pvc_first=False, first=0.2):
    """Sinus beats with a normal QT, then polymorphic VT (shapes change at random)."""
    s = Strip(seed)
    rr = 60.0 / sinus_rate
    tp = first
    for _ in range(beats):
        s.beat(tp, 0.16, rr, qt_scale=0.85)
        tp += rr
    # After the last T wave, with a flat stretch so its QT can be measured.
    start = tp + 0.16 - rr + t_wave_end(rr, 0.85) + 0.18
    if pvc_first:
        s.ectopic(start, PVC_UP)
        start += 0.9
    _polymorphic_run(s, start, *run_rr)
    _qt_note(s, sinus_rate, start - 0.001)
    return s


def torsades(
    seed,
    sinus_rate,
    beats,
    qt_scale,
    run_rr,
    long_short=False,
    first=0.2,
    twist=2.2,
):
    """Sinus beats with a long QT (whole T waves, measurable), then torsades: an
    R-on-T beat starts a run whose complexes swell and shrink as their axis turns.
    With `long_short`, a PVC and its pause come before the last sinus beat, whose QT
    is longer still (the usual trigger)."""
    s = Strip(seed)
    rr = 60.0 / sinus_rate
    tp = first
    for _ in range(beats):
        s.beat(tp, 0.16, rr, t_amp=0.34, qt_scale=qt_scale, t_width=1.25)
        tp += rr
    if long_short:
        tq = tp - rr + 0.16  # the last sinus R peak
        pvc = tq + t_wave_end(rr, qt_scale, 1.25) + 0.25
        s.ectopic(pvc, PVC_DOWN)
        tp = pvc + 1.25
        rr_long = 1.25
        s.beat(tp, 0.16, rr_long, t_amp=0.38, qt_scale=qt_scale * 1.08, t_width=1.3)
        tq = tp + 0.16
        start = tq + 0.26 * math.sqrt(rr_long) * qt_scale * 1.08 - 0.02
    else:
        tq = tp - rr + 0.16
        start = tq + 0.26 * math.sqrt(rr) * qt_scale - 0.02  # on the T wave's peak
    _torsades_run(s, start, *run_rr, twist=twist)
    _qt_note(s, sinus_rate, start - 0.001)
    return s


def vfib(seed, coarse=True, drift=0.0):
    """Ventricular fibrillation, chaotic in timing and amplitude: coarse waves
    about 3-10 mm high, fine waves under 3 mm."""
    s = Strip(seed)
    if coarse:
        wave = chaotic_wave(
            s.rng, half_lo=0.05, half_hi=0.19, amp_lo=0.25, amp_hi=1.2, drift=drift
        )
    else:
        wave = chaotic_wave(
            s.rng, half_lo=0.04, half_hi=0.13, amp_lo=0.04, amp_hi=0.24, drift=drift
        )
    s.signals.append(wave)
    return s


def asystole(seed, drift=0.03, p_rate=None):
    """A nearly flat line (slow drift); with p_rate, P waves with no QRS."""
    s = Strip(seed)
    rng = s.rng
    comps = [
        (rng.uniform(0.15, 0.6), rng.uniform(0.5, 1.0) * drift, rng.uniform(0, 6.28))
        for _ in range(3)
    ]
    s.wander = (0.0, 0.0, 0.0)
    s.add_signal(
        lambda t: sum(a * math.sin(2 * math.pi * f * t + ph) for f, a, ph in comps)
    )
    if p_rate:
        tp = 0.4
        while tp < DURATION_S + 0.3:
            s.p(tp)
            tp += 60.0 / p_rate
    return s


def junctional(seed, rate, p_where=None, first=0.3, template=QRS_NARROW):
    """Junctional escape: narrow QRS at 40-60; no P wave, or an inverted P just
    before (short PR) or just after the QRS (`p_where` "before" or "after")."""
    s = Strip(seed)
    rr = 60.0 / rate
    tq = first
    while tq < DURATION_S + 0.3:
        if p_where == "before":
            s.p(tq - 0.08, P_INVERTED)
        elif p_where == "after":
            s.p(tq + 0.10, P_INVERTED)
        s.qrs(tq, template)
        s.t(tq, rr, amp=0.26)
        tq += rr * (1 + s.rng.uniform(-0.01, 0.01))
    return s


def idioventricular(seed, rate, template=QRS_ESCAPE, first=0.5):
    """Ventricular escape: wide QRS at 20-40, no P waves."""
    s = Strip(seed)
    rr = 60.0 / rate
    tq = first
    wide_t = -0.32 * main_deflection(template)
    while tq < DURATION_S + 0.3:
        s.qrs(tq, template)
        s.t(tq, rr, amp=wide_t, qt_scale=1.2, width=1.2)
        tq += rr * (1 + s.rng.uniform(-0.02, 0.02))
    return s


def paced(seed, rate, capture=None, sinus_p=None, first=0.3):
    """Ventricular pacing at `rate`: a spike, then (when it captures) a wide QRS.
    `capture` is a repeating pattern of True/False (None: every spike captures);
    `sinus_p` draws P waves at that rate, unrelated to the spikes."""
    s = Strip(seed)
    rr = 60.0 / rate
    ts, k = first, 0
    while ts < DURATION_S + 0.3:
        s.spike(ts)
        if capture is None or capture[k % len(capture)]:
            s.qrs(ts, QRS_PACED)
            s.t(ts + 0.06, rr, amp=-0.32, qt_scale=1.15, width=1.15)
        ts += rr
        k += 1
    if sinus_p:
        tp = first + 0.21
        while tp < DURATION_S + 0.3:
            s.p(tp)
            tp += 60.0 / sinus_p
    return s


def sinus_with_ectopy(seed, rate, plan, pr=0.16, first=0.25, coupling=0.48):
    """Sinus rhythm in which `plan` (repeating) says what each beat is: "N" a sinus
    beat, or a PVC shape ("up", "down", "bi"). A PVC comes early (`coupling` s after
    the R before it); the sinus P due in its cycle is hidden and not conducted, so a
    full compensatory pause follows. Two PVCs in a row make a couplet."""
    shapes = {"up": PVC_UP, "down": PVC_DOWN, "bi": PVC_BIPHASIC}
    s = Strip(seed)
    rr = 60.0 / rate
    tp = first  # the next sinus P wave
    last_r = tp + pr - rr
    previous = "N"
    for k in range(200):
        kind = plan[k % len(plan)]
        if kind == "N":
            if tp > DURATION_S + 0.3:
                break
            s.beat(tp, pr, rr)
            last_r = tp + pr
            tp += rr * (1 + s.rng.uniform(-0.01, 0.01))
        else:
            at = last_r + (coupling if previous == "N" else coupling * 0.85)
            if at > DURATION_S + 0.3:
                break
            s.ectopic(at, shapes[kind])
            if previous == "N" or at + 0.25 > tp + pr:
                tp += rr  # this cycle's sinus P is not conducted
            last_r = at
        previous = kind
    s.rate_note = f"underlying sinus {rate}"
    return s


def pea(seed, rate, template=QRS_PEA, pr=0.18, t_amp=0.30):
    """An organized rhythm: on a patient without a pulse, PEA."""
    return sinus(
        seed, rate, pr=pr, template=template, first=0.3, jitter=0.01, t_amp=t_amp
    )


def with_artefacts(build, *, wander=0.0, tremor=0.0, mains=0.0, wander_hz=0.25):
    """A builder whose strip also carries the given artefacts (mV)."""

    def built(seed):
        s = build(seed)
        if wander:
            s.set_wander(wander, wander_hz)
        if tremor:
            s.add_tremor(tremor)
        if mains:
            s.add_mains(mains)
        return s

    return built


# ----------------------------------------------------------------- catalogue
RHYTHMS = {
    "sinus-rhythm": "Sinus rhythm (normal)",
    "sinus-bradycardia": "Sinus bradycardia",
    "sinus-tachycardia": "Sinus tachycardia",
    "first-degree-av-block": "First-degree AV block",
    "second-degree-av-block-type-1": "Second-degree AV block type I (Wenckebach)",
    "second-degree-av-block-type-2": "Second-degree AV block type II (Mobitz II)",
    "third-degree-av-block": "Third-degree (complete) AV block",
    "atrial-fibrillation": "Atrial fibrillation",
    "atrial-flutter": "Atrial flutter",
    "svt": "Supraventricular tachycardia (narrow, regular)",
    "monomorphic-vt": "Monomorphic ventricular tachycardia",
    "polymorphic-vt": "Polymorphic VT with a normal QT",
    "torsades": "Torsades de pointes (polymorphic VT with a long QT)",
    "vf-coarse": "Ventricular fibrillation, coarse",
    "vf-fine": "Ventricular fibrillation, fine",
    "asystole": "Asystole",
    "pea": "Organized rhythm for PEA (the stem says there is no pulse)",
    "junctional-escape": "Junctional escape rhythm",
    "idioventricular": "Idioventricular (ventricular escape) rhythm",
    "paced-capture": "Ventricular paced rhythm with capture",
    "paced-failure-to-capture": "Ventricular pacing with failure to capture",
    "pvc-bigeminy": "Sinus rhythm with unifocal PVCs in bigeminy",
    "pvc-multifocal-couplet": "Sinus rhythm with multifocal PVCs and/or a couplet",
}


@dataclass(frozen=True)
class Spec:
    """One strip: where it goes, what it shows, and how to draw it."""

    path: str  # relative to the course folder (content/acls/)
    rhythm: str  # a key of RHYTHMS
    features: str  # what a reader sees besides the rate: intervals, artefacts
    build: Callable[[int], Strip] = field(compare=False)
    seed: int = 1

    @property
    def kind(self) -> str:
        return "exam" if self.path.startswith(EXAM_DIR + "/") else "lesson"

    @property
    def title(self) -> str:
        if self.kind == "exam":
            return EXAM_TITLE
        return f"ECG rhythm strip {int(self.path[-6:-4])}"

    @property
    def sid(self) -> str:
        return os.path.splitext(os.path.basename(self.path))[0]

    def draw(self) -> Strip:
        return self.build(self.seed)

    def svg(self) -> str:
        return render(self.draw(), title=self.title, sid=self.sid)


def L(number, rhythm, features, build, seed):
    return Spec(f"{LESSON_DIR}/strip-{number:02d}.svg", rhythm, features, build, seed)


def E(number, rhythm, features, build, seed=None):
    return Spec(
        f"{EXAM_DIR}/e-{number:03d}.svg", rhythm, features, build, seed or 100 + number
    )


A = with_artefacts

LESSON_STRIPS = [
    L(5, "sinus-rhythm", "P before every QRS, PR 0.16 s, QRS 0.08 s", partial(sinus, rate=75, first=0.35), 11),
    L(12, "sinus-bradycardia", "P before every QRS, PR 0.16 s, narrow QRS", partial(sinus, rate=45, first=0.3), 12),
    L(3, "sinus-tachycardia", "P close to the preceding T, PR 0.14 s, narrow QRS", partial(sinus, rate=125, pr=0.14, first=0.15), 13),
    L(9, "first-degree-av-block", "every P conducted, PR 0.30 s constant", partial(sinus, rate=70, pr=0.30, first=0.2), 14),
    L(14, "second-degree-av-block-type-1", "PR 0.16, 0.25, 0.31 s then a P with no QRS (4:3), groups of three", partial(mobitz_1, atrial=80, prs=[0.16, 0.25, 0.31, None]), 15),
    L(1, "second-degree-av-block-type-2", "PR 0.18 s constant, sudden non-conducted P waves, QRS about 0.12 s", partial(mobitz_2, atrial=90, pattern=[True, True, True, False, True, True, False, True, True, True]), 16),
    L(7, "third-degree-av-block", "P waves and wide QRS unrelated (PR varies), some P hidden in QRS/T", partial(complete_block, atrial=80, ventricular=35), 17),
    L(16, "atrial-fibrillation", "irregularly irregular, no P waves, fine fibrillatory baseline", partial(atrial_fib, rr_lo=0.27, rr_hi=0.56, f_amp=0.07), 18),
    L(4, "atrial-flutter", "sawtooth flutter waves, 4:1 conduction, regular", partial(flutter, atrial=300, ratios=[4]), 19),
    L(11, "svt", "regular narrow complexes, no visible P, T runs into the next QRS", partial(svt, rate=180), 20),
    L(2, "monomorphic-vt", "regular wide (over 0.12 s) identical complexes, no P", partial(vt, rate=160), 21),
    L(13, "polymorphic-vt", "three sinus beats with a normal QT, then wide complexes changing shape beat to beat", partial(polymorphic, sinus_rate=80, beats=3, run_rr=(0.25, 0.31)), 22),
    L(8, "torsades", "three sinus beats with a long QT, the last T wave hit by an early beat (R-on-T), then spindles twisting around the baseline", partial(torsades, sinus_rate=65, beats=3, qt_scale=1.75, run_rr=(0.235, 0.265)), 23),
    L(6, "vf-coarse", "chaotic waves 3-10 mm, irregular in height and timing, no QRS", partial(vfib, coarse=True), 24),
    L(15, "asystole", "almost flat line with slight slow drift, no P, no QRS", asystole, 25),
    L(10, "pea", "organized: P before every QRS, PR 0.18 s, slightly broad QRS", partial(pea, rate=60), 26),
    L(17, "junctional-escape", "narrow QRS, no P waves", partial(junctional, rate=48), 27),
    L(18, "idioventricular", "wide QRS (about 0.16 s), no P waves, slow and regular", partial(idioventricular, rate=34), 28),
    L(19, "paced-capture", "pacing spike before every wide QRS", partial(paced, rate=70), 29),
    L(20, "paced-failure-to-capture", "pacing spikes at a regular rate; every third spike has no QRS after it", partial(paced, rate=72, capture=[True, True, False]), 30),
    L(21, "pvc-bigeminy", "every second beat an early wide PVC of the same shape with a pause after it", partial(sinus_with_ectopy, rate=72, plan=["N", "up"]), 31),
    L(22, "pvc-multifocal-couplet", "PVCs of two different shapes, and a couplet (two PVCs in a row)", partial(sinus_with_ectopy, rate=76, plan=["N", "N", "up", "N", "down", "bi", "N"]), 32),
]  # fmt: skip

# Numbers were dealt at random once (random.Random(14).sample(range(1, 71), 70), in
# this order) and are fixed: never renumber; a new strip takes the next free number.
EXAM_STRIPS = [
    # sinus rhythm
    E(14, "sinus-rhythm", "P before every QRS, PR 0.16 s, narrow QRS; slight baseline wander", A(partial(sinus, rate=64), wander=0.10)),
    E(68, "sinus-rhythm", "PR 0.14 s, tall R waves, small T; muscle tremor", A(partial(sinus, rate=88, pr=0.14, template=QRS_TALL, t_amp=0.18), tremor=0.05)),
    E(32, "sinus-rhythm", "PR 0.18 s, low-voltage QRS; 60 Hz mains artefact", A(partial(sinus, rate=76, pr=0.18, template=QRS_SMALL, t_amp=0.2), mains=0.04)),
    # sinus bradycardia
    E(35, "sinus-bradycardia", "P before every QRS, PR 0.18 s, narrow QRS", partial(sinus, rate=42, pr=0.18, first=0.4)),
    E(33, "sinus-bradycardia", "PR 0.16 s, narrow QRS; baseline wander", A(partial(sinus, rate=50, first=0.5), wander=0.18, wander_hz=0.2)),
    E(38, "sinus-bradycardia", "PR 0.16 s, rS-shaped narrow QRS; muscle tremor", A(partial(sinus, rate=54, template=QRS_RS, t_amp=0.22), tremor=0.04)),
    # sinus tachycardia
    E(10, "sinus-tachycardia", "P before every QRS, PR 0.14 s, narrow QRS", partial(sinus, rate=112, pr=0.14)),
    E(43, "sinus-tachycardia", "PR 0.13 s, P wave close to the preceding T; muscle tremor", A(partial(sinus, rate=136, pr=0.13, first=0.12), tremor=0.05)),
    E(29, "sinus-tachycardia", "PR 0.14 s, tall R waves; baseline wander and 60 Hz mains", A(partial(sinus, rate=124, pr=0.14, template=QRS_TALL, t_amp=0.22), wander=0.12, mains=0.03)),
    # first-degree AV block
    E(20, "first-degree-av-block", "every P conducted, PR 0.26 s constant, narrow QRS", partial(sinus, rate=62, pr=0.26, first=0.3)),
    E(30, "first-degree-av-block", "PR 0.32 s constant; baseline wander", A(partial(sinus, rate=78, pr=0.32), wander=0.14)),
    E(44, "first-degree-av-block", "PR 0.36 s constant, P wave just after the T wave; 60 Hz mains", A(partial(sinus, rate=88, pr=0.36, first=0.1, t_amp=0.24), mains=0.04)),
    # second-degree type I
    E(56, "second-degree-av-block-type-1", "PR 0.16, 0.26, 0.32 s then a dropped beat (4:3), groups of three", partial(mobitz_1, atrial=75, prs=[0.16, 0.26, 0.32, None])),
    E(26, "second-degree-av-block-type-1", "PR 0.18 then 0.30 s then a dropped beat (3:2), pairs of beats; baseline wander", A(partial(mobitz_1, atrial=90, prs=[0.18, 0.30, None], first=0.25), wander=0.12)),
    E(57, "second-degree-av-block-type-1", "PR 0.14, 0.22, 0.27, 0.30 s then a dropped beat (5:4); muscle tremor", A(partial(mobitz_1, atrial=100, prs=[0.14, 0.22, 0.27, 0.30, None], first=0.1), tremor=0.04)),
    # second-degree type II
    E(50, "second-degree-av-block-type-2", "PR 0.18 s constant before and after each dropped beat (4:3), wide QRS (about 0.13 s)", partial(mobitz_2, atrial=80, pattern=[True, True, True, False])),
    E(8, "second-degree-av-block-type-2", "PR 0.16 s constant, 3:2 conduction, wide QRS (about 0.14 s); baseline wander", A(partial(mobitz_2, atrial=96, pattern=[True, True, False], pr=0.16, template=QRS_LBBB), wander=0.12)),
    E(17, "second-degree-av-block-type-2", "PR 0.20 s constant, drops without warning at no fixed ratio, wide QRS; 60 Hz mains", A(partial(mobitz_2, atrial=75, pattern=[True, True, True, False, True, True, False, True, True, True, True, False], pr=0.20), mains=0.04)),
    # third-degree AV block
    E(15, "third-degree-av-block", "regular P waves and regular wide QRS with no relation, PR varies", partial(complete_block, atrial=90, ventricular=38, first_p=0.3, first_qrs=0.9)),
    E(21, "third-degree-av-block", "regular P waves and regular narrow QRS (junctional escape) unrelated; baseline wander", A(partial(complete_block, atrial=75, ventricular=45, template=QRS_NARROW, first_p=0.2, first_qrs=0.55), wander=0.12)),
    E(23, "third-degree-av-block", "regular P waves, very slow wide QRS unrelated; muscle tremor", A(partial(complete_block, atrial=100, ventricular=30, template=QRS_ESCAPE_NEG, first_p=0.05, first_qrs=0.8), tremor=0.04)),
    # atrial fibrillation
    E(53, "atrial-fibrillation", "irregularly irregular, no P waves, coarse fibrillatory waves", partial(atrial_fib, rr_lo=0.62, rr_hi=1.1, f_amp=0.10, first=0.3)),
    E(24, "atrial-fibrillation", "irregularly irregular, no P waves, fine baseline; muscle tremor", A(partial(atrial_fib, rr_lo=0.33, rr_hi=0.62, f_amp=0.04), tremor=0.04)),
    E(41, "atrial-fibrillation", "irregularly irregular, no P waves, tall R waves; baseline wander", A(partial(atrial_fib, rr_lo=0.45, rr_hi=0.82, f_amp=0.06, template=QRS_TALL), wander=0.15)),
    # atrial flutter
    E(47, "atrial-flutter", "regular at 150, flutter waves at 300 half hidden in QRS and T (2:1)", partial(flutter, atrial=300, ratios=[2], amp=0.10)),
    E(34, "atrial-flutter", "sawtooth waves, 4:1 conduction, regular; baseline wander", A(partial(flutter, atrial=280, ratios=[4], amp=0.13, first_wave=0.1), wander=0.10)),
    E(64, "atrial-flutter", "sawtooth waves, variable 2:1 and 4:1 conduction (irregular); 60 Hz mains", A(partial(flutter, atrial=300, ratios=[2, 4, 4, 2, 4], amp=0.12), mains=0.03)),
    # SVT
    E(11, "svt", "regular narrow complexes, no visible P waves", partial(svt, rate=165)),
    E(36, "svt", "regular narrow complexes, no P, T merges with next QRS; baseline wander", A(partial(svt, rate=190, template=QRS_TALL, t_amp=0.2), wander=0.14)),
    E(18, "svt", "regular narrow rS complexes, no P; muscle tremor", A(partial(svt, rate=220, template=QRS_RS, t_amp=0.18), tremor=0.04)),
    # monomorphic VT
    E(63, "monomorphic-vt", "regular wide upright complexes (about 0.16 s), identical, no P", partial(vt, rate=150)),
    E(1, "monomorphic-vt", "regular wide negative complexes, identical; baseline wander", A(partial(vt, rate=180, template=QRS_VT_NEG), wander=0.12)),
    E(5, "monomorphic-vt", "regular wide notched complexes, identical; 60 Hz mains", A(partial(vt, rate=200, template=QRS_VT_NOTCHED), mains=0.04)),
    # polymorphic VT, normal QT
    E(54, "polymorphic-vt", "two sinus beats with a normal QT, then wide complexes of changing shape and height", partial(polymorphic, sinus_rate=82, beats=2, run_rr=(0.23, 0.30))),
    E(22, "polymorphic-vt", "three sinus beats with a normal QT, then polymorphic run; muscle tremor", A(partial(polymorphic, sinus_rate=75, beats=3, run_rr=(0.22, 0.28)), tremor=0.04)),
    E(2, "polymorphic-vt", "two sinus beats with a normal QT, one PVC, then polymorphic run; baseline wander", A(partial(polymorphic, sinus_rate=90, beats=2, run_rr=(0.25, 0.32), pvc_first=True), wander=0.10)),
    # torsades
    E(6, "torsades", "three sinus beats with a long QT, R-on-T on the last T wave, then twisting spindles", partial(torsades, sinus_rate=64, beats=3, qt_scale=1.75, run_rr=(0.24, 0.27))),
    E(46, "torsades", "two sinus beats with a long QT, a PVC and pause, a sinus beat with a longer QT, then torsades; baseline wander", A(partial(torsades, sinus_rate=70, beats=2, qt_scale=1.7, run_rr=(0.23, 0.26), long_short=True, first=0.15), wander=0.08)),
    E(70, "torsades", "three sinus beats with a long QT, then torsades; muscle tremor", A(partial(torsades, sinus_rate=72, beats=3, qt_scale=1.7, run_rr=(0.22, 0.25), twist=1.8), tremor=0.03)),
    # VF coarse
    E(28, "vf-coarse", "chaotic waves 3-10 mm, irregular in height and timing, no QRS", partial(vfib, coarse=True)),
    E(13, "vf-coarse", "chaotic waves on a slowly shifting axis, no QRS", partial(vfib, coarse=True, drift=0.25)),
    E(60, "vf-coarse", "chaotic waves, no QRS; 60 Hz mains", A(partial(vfib, coarse=True), mains=0.04)),
    # VF fine
    E(19, "vf-fine", "small chaotic waves under 3 mm, irregular, no QRS", partial(vfib, coarse=False)),
    E(52, "vf-fine", "small chaotic waves, slow drift, no QRS", partial(vfib, coarse=False, drift=0.08)),
    E(61, "vf-fine", "small chaotic waves, no QRS; muscle tremor", A(partial(vfib, coarse=False), tremor=0.02)),
    # asystole
    E(4, "asystole", "flat line with slow drift, no P, no QRS", partial(asystole, drift=0.04)),
    E(51, "asystole", "P waves at about 40 with no QRS (P-wave asystole)", partial(asystole, drift=0.03, p_rate=40)),
    E(42, "asystole", "flat line, no P, no QRS; 60 Hz mains", A(partial(asystole, drift=0.02), mains=0.03)),
    # PEA
    E(25, "pea", "organized, sinus-looking: P before every QRS, narrow QRS; 60 Hz mains", A(partial(pea, rate=72, template=QRS_NARROW, pr=0.16), mains=0.03)),
    E(31, "pea", "organized, wide slow complexes without P waves", partial(idioventricular, rate=38)),
    E(48, "pea", "organized, narrow and fast with P waves; baseline wander", A(partial(pea, rate=125, template=QRS_NARROW, pr=0.13, t_amp=0.22), wander=0.10)),
    # junctional escape
    E(12, "junctional-escape", "narrow QRS, no P waves", partial(junctional, rate=44)),
    E(45, "junctional-escape", "narrow QRS, inverted P just before each QRS (PR 0.08 s)", partial(junctional, rate=52, p_where="before")),
    E(55, "junctional-escape", "narrow QRS, inverted P just after each QRS; baseline wander", A(partial(junctional, rate=58, p_where="after"), wander=0.12)),
    # idioventricular
    E(16, "idioventricular", "wide QRS (about 0.16 s), no P waves", partial(idioventricular, rate=32)),
    E(9, "idioventricular", "wide negative QRS, no P waves; muscle tremor", A(partial(idioventricular, rate=38, template=QRS_ESCAPE_NEG), tremor=0.04)),
    E(40, "idioventricular", "very slow wide QRS, no P waves; baseline wander", A(partial(idioventricular, rate=26, first=0.8), wander=0.10)),
    # paced with capture
    E(49, "paced-capture", "spike before every wide QRS", partial(paced, rate=60, first=0.5)),
    E(65, "paced-capture", "spike before every wide QRS, P waves unrelated", partial(paced, rate=70, sinus_p=88)),
    E(37, "paced-capture", "spike before every wide QRS; baseline wander", A(partial(paced, rate=80, first=0.2), wander=0.12)),
    # paced, failure to capture
    E(59, "paced-failure-to-capture", "regular spikes, every second spike without a QRS", partial(paced, rate=70, capture=[True, False])),
    E(62, "paced-failure-to-capture", "regular spikes never followed by a QRS, P waves unrelated, no QRS at all", partial(paced, rate=60, capture=[False], sinus_p=66, first=0.4)),
    E(69, "paced-failure-to-capture", "spikes at a regular rate, two capture then one does not; muscle tremor", A(partial(paced, rate=72, capture=[True, True, False]), tremor=0.03)),
    # PVCs: unifocal bigeminy
    E(7, "pvc-bigeminy", "sinus beat and early wide PVC alternate, PVCs identical", partial(sinus_with_ectopy, rate=70, plan=["N", "up"])),
    E(3, "pvc-bigeminy", "bigeminy with negative PVCs; baseline wander", A(partial(sinus_with_ectopy, rate=80, plan=["N", "down"], coupling=0.45), wander=0.12)),
    E(58, "pvc-bigeminy", "bigeminy with upright PVCs; muscle tremor", A(partial(sinus_with_ectopy, rate=64, plan=["N", "up"], coupling=0.52), tremor=0.04)),
    # PVCs: multifocal / couplet
    E(66, "pvc-multifocal-couplet", "isolated PVCs of two different shapes (multifocal)", partial(sinus_with_ectopy, rate=75, plan=["N", "N", "up", "N", "N", "down"])),
    E(39, "pvc-multifocal-couplet", "a couplet (two PVCs in a row, same shape)", partial(sinus_with_ectopy, rate=80, plan=["N", "N", "N", "up", "up", "N", "N"])),
    E(27, "pvc-multifocal-couplet", "a couplet and an isolated PVC of another shape; baseline wander", A(partial(sinus_with_ectopy, rate=72, plan=["N", "N", "down", "bi", "N", "up", "N"]), wander=0.10)),
    E(67, "pvc-multifocal-couplet", "two PVC shapes, one couplet of different shapes; 60 Hz mains", A(partial(sinus_with_ectopy, rate=68, plan=["N", "up", "N", "N", "bi", "down", "N"]), mains=0.03)),
]  # fmt: skip

STRIPS = LESSON_STRIPS + EXAM_STRIPS


# ------------------------------------------------------------- monitor strips
# Case simulations (issue 16) show a live monitor. The page puts two copies of a strip
# side by side and slides them left, so a monitor strip is a loop: time runs on a
# circle, the trace ends at the height and slope it starts with, and the interval from
# the last beat to the first (across the seam) is one of the rhythm's own. A loop is
# 6 s, or the whole number of beats closest to it when 6 s does not hold a whole number
# (125 per minute: 13 beats in 6.24 s). The look is a monitor's: no paper, no
# calibration pulse, no time marks, no text but the neutral title, and the trace drawn
# in a monitor's green.
MONITOR_DIR = "images/ecg/monitor"
MONITOR_TITLE = "Monitor lead II"
# The viewBox keeps paper's proportions (25 mm/s, 10 mm/mV): 100 units per second, so
# its width is the loop's length (600 = 6 s), and 40 per mV; the height is fixed.
MONITOR_PX_PER_S = 100.0
MONITOR_PX_PER_MV = 40.0
MONITOR_HEIGHT = 160.0
MONITOR_BASELINE = 88.0  # y of 0 mV: 2.2 mV of room above, 1.8 mV below
# The trace's colour. The page shows a strip with <img> (a course image is content, and
# content is never inlined into a page), where `currentColor` would draw black: the
# green is fixed here instead, chosen for the case monitor's dark screen (#0b1311 in
# static/css/cases.css: contrast 10.8:1; WCAG asks 3:1 of a graphic).
MONITOR_TRACE = "#4ade80"


class LoopStrip(Strip):
    """A monitor strip: `duration` seconds that repeat without a seam. An event near
    one end also shows at the other (Gaussians wrap around the circle) and continuous
    signals are built periodic. No wander, tremor or mains: a monitor filters them."""

    def __init__(self, seed: int, duration: float):
        super().__init__(seed)
        self.n = round(duration / SAMPLE_S)
        self.duration = self.n * SAMPLE_S  # on the sample grid, so the loop is exact
        self.wander = (0.0, 0.0, 0.0)

    def add_signal(self, fn):
        self.signals.append([fn(i * SAMPLE_S) for i in range(self.n)])

    def samples(self, *, events=True, artefacts=True) -> list[float]:
        """The voltage (mV) at n + 1 samples from 0 to `duration` s; the last is the
        first (the loop closes). `artefacts` is accepted for Strip's signature."""
        n = self.n
        values = [0.0] * n
        for t0, comps in self.events if events else ():
            for off, amp, sig in comps:
                centre = (t0 + off) % self.duration
                lo = math.floor((centre - 5 * sig) / SAMPLE_S)
                hi = math.ceil((centre + 5 * sig) / SAMPLE_S)
                for i in range(lo, hi + 1):
                    d = (i * SAMPLE_S - centre) / sig
                    values[i % n] += amp * math.exp(-0.5 * d * d)
        for signal in self.signals:
            for i, v in enumerate(signal):
                values[i] += v
        return [*values, values[0]]

    def on_loop(self, times) -> list[float]:
        """`times` as positions on the loop, sorted."""
        return sorted(t % self.duration for t in times)

    def loop_intervals(self, times) -> list[float]:
        """Intervals between successive `times`, the last one across the seam."""
        ts = self.on_loop(times)
        return [b - a for a, b in itertools.pairwise(ts)] + [
            ts[0] + self.duration - ts[-1]
        ]

    def ventricular_rate(self) -> tuple[float, float, float] | None:
        """(mean, lowest, highest) per minute over the loop, seam included."""
        if len(self.qrs_times) < 2:
            return None
        rrs = self.loop_intervals(self.qrs_times)
        return 60 * len(rrs) / self.duration, 60 / max(rrs), 60 / min(rrs)

    def atrial_rate_measured(self) -> float | None:
        if self.atrial_rate:
            return self.atrial_rate
        if len(self.p_times) < 2:
            return None
        return 60 * len(self.p_times) / self.duration

    def spike_rate(self) -> float | None:
        if len(self.spike_times) < 2:
            return None
        return 60 * len(self.spike_times) / self.duration

    def seam_to_quietest(self, window=0.02) -> None:
        """Moves the loop's start to where the trace changes least over +-`window` s
        (on the baseline between beats where there is one), so the seam of the two
        copies falls where the eye would not look for it."""
        values = self.samples()
        n, w = self.n, round(window / SAMPLE_S)
        step = [abs(values[i + 1] - values[i]) for i in range(n)]
        best, k = math.inf, 0
        for i in range(n):
            total = sum(step[(i + j) % n] for j in range(-w, w))
            if total < best - 1e-12:
                best, k = total, i
        shift, loop = k * SAMPLE_S, self.duration
        self.events = [(t - shift, comps) for t, comps in self.events]
        self.p_times = [(t - shift) % loop for t in self.p_times]
        self.qrs_times = [(t - shift) % loop for t in self.qrs_times]
        self.spike_times = [(t - shift) % loop for t in self.spike_times]
        self.t_waves = [(r - shift, end - shift, qt) for r, end, qt in self.t_waves]
        self.signals = [signal[k:] + signal[:k] for signal in self.signals]


def loop_intervals(rng, count, duration, lo=1.0, hi=1.0) -> list[float]:
    """`count` intervals drawn from lo-hi and scaled to add up to `duration` exactly,
    so the interval across the seam is one of them."""
    raw = [rng.uniform(lo, hi) for _ in range(count)]
    scale = duration / sum(raw)
    return [r * scale for r in raw]


def loop_chaotic_wave(rng, strip: LoopStrip, *, half_lo, half_hi, amp_lo, amp_hi):
    """chaotic_wave() on the loop: an even number of half-waves (so the signs alternate
    across the seam too) whose lengths fill the loop, under a circular envelope."""
    loop, n = strip.duration, strip.n
    count = round(loop / ((half_lo + half_hi) / 2) / 2) * 2
    halves = loop_intervals(rng, count, loop, half_lo, half_hi)
    env_points = [rng.uniform(0.35, 1.0) for _ in range(12)]

    def envelope(t):
        x = t / loop * len(env_points)
        i = int(x)
        u = x - i
        u = u * u * (3 - 2 * u)
        a, b = env_points[i % len(env_points)], env_points[(i + 1) % len(env_points)]
        return a * (1 - u) + b * u

    values = [0.0] * n
    t, sign = 0.0, rng.choice([1, -1])
    for half in halves:
        height = sign * rng.uniform(amp_lo, amp_hi) * envelope(t)
        skew = rng.uniform(0.7, 1.6)
        _add_lobe(values, t, half, height, skew)
        t += half
        sign = -sign
    return values


def _add_lobe(values, start, length, height, skew=1.0):
    """A half-sine `height` mV high from `start` for `length` s (skewed by `skew`)."""
    lo = math.ceil(start / SAMPLE_S)
    hi = min(len(values) - 1, math.floor((start + length) / SAMPLE_S))
    for i in range(lo, hi + 1):
        u = min(max((i * SAMPLE_S - start) / length, 0.0), 1.0)
        values[i] += height * math.sin(math.pi * u**skew)


def lobe_run(s: LoopStrip, cycles, *, rr_lo, rr_hi, size, tilt, split=0.0, skew=0.0):
    """A continuous ventricular run filling the loop: `cycles` complexes of rr_lo-rr_hi
    s (scaled to fill it), each a half-sine up then a half-sine down, so the signs
    always alternate and no two lobes merge. size(t, k) is complex k's size (mV);
    tilt(t, k), from -1 to 1, says which lobe is the big one (1: the complex points
    up, -1: down). `split` varies where the first lobe ends (0.5 +- split of the
    complex) and `skew` the lobes' shape (1 +- skew)."""
    rng = s.rng
    values = [0.0] * s.n
    t = 0.0
    for k, rr in enumerate(loop_intervals(rng, cycles, s.duration, rr_lo, rr_hi)):
        h, g = size(t, k), tilt(t, k)
        first = rr * rng.uniform(0.5 - split, 0.5 + split)
        up, down = h * (0.62 + 0.38 * g), h * (0.62 - 0.38 * g)
        _add_lobe(values, t, first, up, rng.uniform(1 - skew, 1 + skew))
        _add_lobe(values, t + first, rr - first, -down, rng.uniform(1 - skew, 1 + skew))
        s.qrs_times.append(t + first)  # the complex's middle, between its lobes
        t += rr
    s.signals.append(values)


# Builders take the seed first and return a LoopStrip; the loop holds `beats` beats at
# `rate` (its length follows).
def m_sinus(seed, rate, beats, pr=0.16, template=QRS_NARROW, t_amp=0.30, st=None):
    """Sinus rhythm with a little beat-to-beat variation; `st`: components added
    after each R peak (ST elevation)."""
    s = LoopStrip(seed, beats * 60.0 / rate)
    rr = 60.0 / rate
    tp = 0.0
    for interval in loop_intervals(s.rng, beats, s.duration, 0.985, 1.015):
        s.beat(tp, pr, rr, template, t_amp=t_amp)
        if st:
            s.add(tp + pr, st)
        tp += interval
    return s


def m_regular(seed, rate, beats, template=QRS_NARROW, t_amp=0.26, wide_t=False):
    """A regular ventricular rhythm without P waves (SVT, junctional, idioventricular);
    `wide_t`: the T wave of a wide complex (discordant, later and broader)."""
    s = LoopStrip(seed, beats * 60.0 / rate)
    rr = 60.0 / rate
    for k in range(beats):
        tq = k * s.duration / beats
        s.qrs(tq, template)
        if wide_t:
            s.t(tq, rr, amp=-0.32 * main_deflection(template), qt_scale=1.2, width=1.2)
        else:
            s.t(tq, rr, amp=t_amp)
    return s


def m_vt(seed, rate, beats, template=QRS_VT):
    """Monomorphic VT: regular, wide, identical complexes."""
    s = LoopStrip(seed, beats * 60.0 / rate)
    for k in range(beats):
        s.qrs(k * s.duration / beats, template)
    return s


def m_paced(seed, rate, beats):
    """Ventricular pacing with capture: a spike, then a wide QRS, every beat."""
    s = LoopStrip(seed, beats * 60.0 / rate)
    rr = 60.0 / rate
    for k in range(beats):
        ts = k * s.duration / beats
        s.spike(ts)
        s.qrs(ts, QRS_PACED)
        s.t(ts + 0.06, rr, amp=-0.32, qt_scale=1.15, width=1.15)
    return s


def m_complete_block(seed, p_waves, beats, duration, template=QRS_ESCAPE):
    """Third-degree AV block: `p_waves` regular P waves and `beats` regular escape
    complexes in the loop, unrelated (their counts share no factor, so the PR differs
    beat to beat)."""
    s = LoopStrip(seed, duration)
    pp, rr = s.duration / p_waves, s.duration / beats
    for k in range(p_waves):
        s.p(0.1 + k * pp)
    t_amp = -0.30 * main_deflection(template)
    for k in range(beats):
        s.qrs(0.62 + k * rr, template)
        s.t(0.62 + k * rr, rr, amp=t_amp, qt_scale=1.15)
    return s


def m_two_to_one(seed, atrial, p_waves, pr=0.18, template=QRS_RBBB):
    """Second-degree AV block type II with 2:1 conduction: constant PR, every second
    P wave not conducted, wide QRS."""
    s = LoopStrip(seed, p_waves * 60.0 / atrial)
    pp = s.duration / p_waves
    for k in range(p_waves):
        s.p(k * pp)
        if k % 2 == 0:
            s.qrs(k * pp + pr, template)
            s.t(k * pp + pr, 2 * pp, amp=-0.18)
    return s


def m_flutter(seed, atrial, waves, ratio, amp=0.10):
    """Atrial flutter: a sawtooth at `atrial` per minute, a QRS after every `ratio`-th
    wave; the loop holds `waves` whole waves."""
    s = LoopStrip(seed, waves * 60.0 / atrial)
    period = s.duration / waves

    def saw(t):
        x = (t / period) % 1.0
        if x < 0.72:
            return amp - 3 * amp * (x / 0.72)
        u = (x - 0.72) / 0.28
        return -2 * amp + 3 * amp * (u * u * (3 - 2 * u))

    s.add_signal(saw)
    s.atrial_rate = atrial
    s.p_times = [k * period for k in range(waves)]
    for k in range(0, waves, ratio):
        tq = (k + 1.3) * period
        s.qrs(tq, QRS_NARROW)
        s.t(tq, ratio * period, amp=0.15)
    return s


def m_afib(seed, beats, duration, rr_lo, rr_hi, f_amp=0.06):
    """Atrial fibrillation: fibrillatory baseline, irregularly irregular QRS."""
    s = LoopStrip(seed, duration)
    s.signals.append(
        loop_chaotic_wave(
            s.rng, s, half_lo=0.055, half_hi=0.095, amp_lo=f_amp * 0.4, amp_hi=f_amp
        )
    )
    tq = 0.0
    for rr in loop_intervals(s.rng, beats, s.duration, rr_lo, rr_hi):
        s.qrs(tq, QRS_NARROW)
        s.t(tq, rr, amp=0.20)
        tq += rr
    return s


def m_vf(seed, coarse, duration=6.0):
    """Ventricular fibrillation on the loop (the same waves as vfib())."""
    s = LoopStrip(seed, duration)
    if coarse:
        wave = loop_chaotic_wave(
            s.rng, s, half_lo=0.05, half_hi=0.19, amp_lo=0.25, amp_hi=1.2
        )
    else:
        wave = loop_chaotic_wave(
            s.rng, s, half_lo=0.035, half_hi=0.14, amp_lo=0.04, amp_hi=0.24
        )
    s.signals.append(wave)
    return s


def m_asystole(seed, duration=6.0, drift=0.03):
    """A nearly flat line: slow drift made of whole cycles of the loop."""
    s = LoopStrip(seed, duration)
    rng = s.rng
    comps = [
        (k / s.duration, rng.uniform(0.5, 1.0) * drift, rng.uniform(0, 6.28))
        for k in (1, 2, 3)
    ]
    s.add_signal(
        lambda t: sum(a * math.sin(2 * math.pi * f * t + ph) for f, a, ph in comps)
    )
    return s


def m_torsades(seed, cycles, duration=6.0, twists=2, peak=1.35):
    """Torsades de pointes as a monitor shows it during the arrhythmia: a continuous
    run, no sinus beats; the complexes swell and shrink in spindles while their points
    turn from up to down and back (`twists` whole turns per loop)."""
    s = LoopStrip(seed, duration)

    def turn(t):
        return math.cos(2 * math.pi * twists * t / s.duration + 0.4)

    lobe_run(
        s,
        cycles,
        rr_lo=0.93,
        rr_hi=1.07,
        size=lambda t, _: 0.22 + peak * abs(turn(t)),
        tilt=lambda t, _: math.tanh(turn(t) / 0.25),
    )
    return s


def m_polymorphic(seed, cycles, duration=6.0):
    """Polymorphic VT: a continuous run whose complexes change size, shape and
    direction from beat to beat, at a slightly irregular rate."""
    s = LoopStrip(seed, duration)
    rng = s.rng
    lobe_run(
        s,
        cycles,
        rr_lo=0.85,
        rr_hi=1.15,
        size=lambda *_: rng.uniform(0.5, 1.4),
        tilt=lambda *_: rng.choice([1, -1]) * rng.uniform(0.35, 1.0),
        split=0.1,
        skew=0.3,
    )
    return s


# ST elevation after the J point, convex into the T wave (lead II in an inferior STEMI).
QRS_STEMI = [(-0.028, -0.08, 0.008), (0.0, 1.25, 0.011), (0.022, -0.05, 0.008)]
ST_ELEVATION = [(0.12, 0.30, 0.080)]  # about 2 mm at the J point

# The rhythm enum of case files (docs/CONTENT_FORMAT.md, "Case simulations").
MONITOR_RHYTHMS = {
    "sinus": "Sinus rhythm",
    "sinus-brady": "Sinus bradycardia",
    "sinus-tachy": "Sinus tachycardia",
    "sinus-stemi": "Sinus rhythm with ST elevation",
    "svt": "Supraventricular tachycardia (narrow, regular)",
    "afib": "Atrial fibrillation",
    "aflutter": "Atrial flutter",
    "vt-mono": "Monomorphic ventricular tachycardia",
    "vt-poly": "Polymorphic ventricular tachycardia",
    "torsades": "Torsades de pointes",
    "vf-coarse": "Ventricular fibrillation, coarse",
    "vf-fine": "Ventricular fibrillation, fine",
    "asystole": "Asystole",
    "av-block-2-ii": "Second-degree AV block type II (Mobitz II)",
    "av-block-3": "Third-degree (complete) AV block",
    "junctional": "Junctional escape rhythm",
    "idioventricular": "Idioventricular (ventricular escape) rhythm",
    "paced": "Ventricular paced rhythm with capture",
}


@dataclass(frozen=True)
class MonitorSpec:
    """One monitor strip: its number, the rhythm (case enum) and rate it shows."""

    number: int
    rhythm: str  # a key of MONITOR_RHYTHMS
    rate: int | None  # per minute, the spec's table (vitals.hr when there is a pulse)
    features: str
    build: Callable[[int], LoopStrip] = field(compare=False)

    kind = "monitor"
    title = MONITOR_TITLE

    @property
    def sid(self) -> str:
        return f"m-{self.number:02d}"

    @property
    def path(self) -> str:
        return f"{MONITOR_DIR}/{self.sid}.svg"

    @property
    def seed(self) -> int:
        return 500 + self.number

    def draw(self) -> LoopStrip:
        strip = self.build(self.seed)
        strip.seam_to_quietest()
        return strip

    def svg(self) -> str:
        return render_monitor(self.draw(), title=self.title)


def render_monitor(strip: LoopStrip, *, title: str) -> str:
    """The loop as a bare trace: one polyline in the monitor's green from x = 0 to the
    loop's length. No ids, and preserveAspectRatio="none" with a non-scaling stroke,
    so the page can size the box to the monitor and two copies side by side still meet
    edge to edge."""
    values = strip.samples()
    pts = [
        (i * SAMPLE_S * MONITOR_PX_PER_S, MONITOR_BASELINE - v * MONITOR_PX_PER_MV)
        for i, v in enumerate(values)
    ]
    trace = " ".join(f"{x:.1f},{y:.1f}" for x, y in simplify(pts, 0.25))
    w, h = strip.n * SAMPLE_S * MONITOR_PX_PER_S, MONITOR_HEIGHT
    label = esc(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.1f} {h:g}"'
        f' width="{w:.1f}" height="{h:g}" preserveAspectRatio="none" role="img"'
        f' aria-label="{label}">\n'
        f"  <title>{label}</title>\n"
        f'  <polyline points="{trace}" fill="none" stroke="{MONITOR_TRACE}"'
        ' stroke-width="2" stroke-linejoin="round" stroke-linecap="round"'
        ' vector-effect="non-scaling-stroke"/>\n'
        "</svg>\n"
    )


M = MonitorSpec

# The spec's table (CASES_SPEC.md, "Monitor strips"): numbers are fixed, case files
# name them. A PEA strip is an organized rhythm; the case says there is no pulse.
MONITOR = [
    M(1, "av-block-3", 38, "regular P waves and regular wide escape complexes unrelated, PR varies, some P hidden in QRS or T", partial(m_complete_block, p_waves=9, beats=4, duration=6.5)),
    M(2, "sinus", 80, "P before every QRS, PR 0.16 s, narrow QRS", partial(m_sinus, rate=80, beats=8)),
    M(3, "vf-fine", None, "small chaotic waves under 3 mm, no QRS", partial(m_vf, coarse=False)),
    M(4, "svt", 180, "regular narrow complexes, no visible P", partial(m_regular, rate=180, beats=18)),
    M(5, "asystole", None, "almost flat line with slight slow drift, no P, no QRS", m_asystole),
    M(6, "sinus-tachy", 125, "P close to the preceding T, PR 0.14 s, narrow QRS", partial(m_sinus, rate=125, beats=13, pr=0.14, t_amp=0.26)),
    M(7, "vt-mono", 170, "regular wide identical complexes, no P", partial(m_vt, rate=170, beats=17)),
    M(8, "sinus-brady", 40, "P before every QRS, PR 0.18 s, narrow QRS", partial(m_sinus, rate=40, beats=4, pr=0.18)),
    M(9, "afib", 140, "irregularly irregular narrow QRS, no P waves, fibrillatory baseline", partial(m_afib, beats=14, duration=6.0, rr_lo=0.7, rr_hi=1.35)),
    M(10, "vf-coarse", None, "chaotic waves 3-10 mm, irregular in height and timing, no QRS", partial(m_vf, coarse=True)),
    M(11, "junctional", 45, "narrow QRS, no P waves", partial(m_regular, rate=45, beats=5)),
    M(12, "torsades", 240, "continuous run, no sinus beats: spindles whose points turn from up to down and back", partial(m_torsades, cycles=24)),
    M(13, "sinus-stemi", 90, "P before every QRS, narrow QRS, ST elevation (about 2 mm at the J point) rising into the T wave", partial(m_sinus, rate=90, beats=9, template=QRS_STEMI, t_amp=0.42, st=ST_ELEVATION)),
    M(14, "av-block-2-ii", 45, "P waves at 90, every second one not conducted (2:1), PR 0.18 s constant, wide QRS", partial(m_two_to_one, atrial=90, p_waves=10)),
    M(15, "idioventricular", 30, "wide QRS, no P waves, slow and regular", partial(m_regular, rate=30, beats=3, template=QRS_ESCAPE, wide_t=True)),
    M(16, "aflutter", 150, "flutter waves at 300, every second one conducted (2:1), regular", partial(m_flutter, atrial=300, waves=30, ratio=2)),
    M(17, "vt-poly", 210, "continuous run, no sinus beats: wide complexes changing size, shape and direction beat to beat", partial(m_polymorphic, cycles=21)),
    M(18, "paced", 70, "pacing spike before every wide QRS", partial(m_paced, rate=70, beats=7)),
    M(19, "sinus", 60, "organized rhythm for PEA (the case says there is no pulse): P before every QRS, PR 0.18 s, slightly broad QRS", partial(m_sinus, rate=60, beats=6, pr=0.18, template=QRS_PEA)),
    M(20, "sinus-tachy", 105, "P before every QRS, PR 0.15 s, narrow QRS", partial(m_sinus, rate=105, beats=11, pr=0.15)),
]  # fmt: skip

#: Strip -> (rhythm enum, rate per minute or None), for the case content tests.
MONITOR_STRIPS = {spec.sid: (spec.rhythm, spec.rate) for spec in MONITOR}


def rate_text(strip: Strip, rhythm: str) -> str:
    """The rates a reader can measure on the strip (per minute)."""
    if strip.rate_override:
        return strip.rate_override
    if rhythm.startswith("vf") or rhythm == "asystole":
        atrial = strip.atrial_rate_measured()
        return f"no QRS; P waves {atrial:.0f}" if atrial else "no QRS"
    rates = strip.ventricular_rate()
    parts = []
    if rates:
        mean, low, high = rates
        if high - low > 0.12 * mean:
            parts.append(f"{mean:.0f} (irregular, {low:.0f}-{high:.0f})")
        else:
            parts.append(f"{mean:.0f}")
    atrial = None if strip.rate_note else strip.atrial_rate_measured()
    if atrial and rates and abs(atrial - rates[0]) > 0.06 * rates[0]:
        parts.append(f"atrial {atrial:.0f}")
    if strip.spike_times:
        parts.append(f"pacing spikes {strip.spike_rate():.0f}")
    if strip.rate_note:
        parts.append(strip.rate_note)
    return "; ".join(parts)


CATALOGUE_HEAD = """\
# ECG rhythm strips (ACLS)

Written by `python3 scripts/draw_ecg.py --catalogue` from the script's data; do not
edit by hand (tests/curriculum/test_ecg_strips.py checks it is current). Paths are
relative to `content/acls/`.

- Every lesson and exam strip: 6 seconds of lead II ("II" top left), 25 mm/s,
  10 mm/mV, a 1 mV calibration pulse at the left, time marks every second (longer at
  0, 3 and 6 s). One small box 0.04 s, one large box 0.20 s; QRS count on the strip
  x 10 = rate.
- **Lesson** strips (`images/ecg/strip-NN.svg`) are shown by lessons with a caption.
  Never use one in a question.
- **Exam** strips (`images/ecg/exam/e-NNN.svg`) are for questions only; no lesson may
  show one. The number says nothing about the rhythm. A question's `image_alt` says
  what the image is ("6-second lead II rhythm strip"), never a finding; the stem gives
  the patient (a PEA strip is an organized rhythm: the stem must say there is no
  pulse).
- **Monitor** strips (`images/ecg/monitor/m-NN.svg`) are for case simulations only:
  never a lesson or a question (the content test refuses both). Each is a loop that
  the case's monitor scrolls: the trace only (no paper, calibration, time marks or
  text), in a monitor's green for its dark screen, 6 s long or the whole number of beats closest to it;
  the numbers are fixed by the cases spec (CASES_SPEC.md) and the case files use
  them. Their rhythm column uses the case files' rhythm names.
- Rates are measured on the drawn beats (per minute): "irregular" gives the range of
  the beat-to-beat rate; "atrial" when P (or flutter) waves run at another rate.

"""


def catalogue() -> str:
    """The strips as a Markdown document: path, kind, rhythm, rates, features."""
    rows = [
        CATALOGUE_HEAD.rstrip("\n"),
        "",
        "| path | kind | rhythm | rate per minute | features |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in sorted(STRIPS, key=lambda s: (s.kind != "lesson", s.rhythm, s.path)):
        strip = spec.draw()
        rows.append(
            f"| `{spec.path}` | {spec.kind} | {RHYTHMS[spec.rhythm]} | "
            f"{rate_text(strip, spec.rhythm)} | "
            f"{'; '.join([spec.features, *strip.notes])} |"
        )
    for spec in MONITOR:
        strip = spec.draw()
        rows.append(
            f"| `{spec.path}` | {spec.kind} | {MONITOR_RHYTHMS[spec.rhythm]} | "
            f"{rate_text(strip, spec.rhythm)} | "
            f"{spec.features}; loops every {strip.duration:.2f} s |"
        )
    return "\n".join(rows) + "\n"


def draw_all(course_dir: str) -> list[str]:
    """Writes every strip under `course_dir` (the course folder); returns the paths."""
    written = []
    for spec in STRIPS + MONITOR:
        path = os.path.join(course_dir, *spec.path.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(spec.svg())
        written.append(path)
    return written


def main(argv):
    if argv[1:] == ["--catalogue"]:
        sys.stdout.write(catalogue())
        return
    here = os.path.dirname(os.path.abspath(__file__))
    course = os.path.join(here, os.pardir, "content", "acls")
    if len(argv) > 1:
        # OUTDIR receives images/ecg/... as under the course folder.
        course = argv[1]
    for path in draw_all(os.path.abspath(course)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv)
