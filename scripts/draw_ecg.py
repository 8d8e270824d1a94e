#!/usr/bin/env python3
"""Draw the ACLS rhythm strips as SVG files (standard library only).

Each strip is a 6-second single-lead recording drawn on standard ECG paper:
25 mm/s, 10 mm/mV, 1 mm minor and 5 mm major grid lines, with a 1 mV
calibration pulse at the left edge. A rhythm is described by a list of events
(P waves, QRS complexes, T waves) built from per-beat waveform templates, plus
an optional continuous "baseline" signal (fibrillatory waves, flutter waves,
ventricular fibrillation).

The strips are also used in "what is this rhythm?" exam questions, so the
rendered SVG carries NO rhythm name or description: no visible label, and a
neutral <title>/aria-label ("ECG rhythm strip 7"). The file name is the only
place the rhythm appears. Each strip's name and a description of what it shows
are kept below (name, description) for the people who write the lessons and the
image_alt texts of questions; lessons name the rhythm in a caption under the
image, and question alt texts describe the visible features without naming it.

Usage:
    python3 scripts/draw_ecg.py            # writes content/acls/images/ecg/*.svg
    python3 scripts/draw_ecg.py OUTDIR     # writes to another folder

The output is deterministic (seeded random numbers), so running the script
again produces identical files.
"""

import math
import os
import random
import sys

# ---------------------------------------------------------------- paper scale
PX_PER_MM = 5.0
MM_PER_S = 25.0  # paper speed
MM_PER_MV = 10.0  # gain
DURATION_S = 6.0  # strip length
CAL_MM = 10.0  # left margin holding the calibration pulse
GRID_W_MM = CAL_MM + DURATION_S * MM_PER_S  # 160 mm
GRID_H_MM = 40.0
LABEL_H_PX = 22  # white band above the grid holding the scale note
BASELINE_MM = 22.0  # distance of the isoelectric line from the grid top
SAMPLE_S = 0.002  # 500 Hz

WIDTH_PX = GRID_W_MM * PX_PER_MM
HEIGHT_PX = LABEL_H_PX + GRID_H_MM * PX_PER_MM

# ------------------------------------------------------------------ templates
# Each template is a list of Gaussian components (offset s, amplitude mV, sigma s)
# relative to the event's fiducial time.
P_WAVE = [(0.0, 0.15, 0.022)]
QRS_NARROW = [(-0.028, -0.08, 0.008), (0.0, 1.30, 0.011), (0.024, -0.32, 0.010)]
QRS_RBBB = [
    (-0.03, -0.06, 0.008),
    (0.0, 1.05, 0.012),
    (0.032, -0.22, 0.011),
    (0.062, 0.38, 0.016),
]  # about 120-130 ms, rSR'
QRS_ESCAPE = [(0.0, 0.95, 0.030), (0.070, -0.50, 0.028)]  # wide ventricular escape
QRS_PEA = [(-0.03, -0.05, 0.009), (0.0, 0.85, 0.016), (0.036, -0.25, 0.014)]
QRS_VT = [(0.0, 1.10, 0.034), (0.085, -0.75, 0.038), (0.20, -0.22, 0.045)]


def t_wave(rr, amp=0.30, qt_scale=1.0):
    """Asymmetric T wave; its position follows the RR interval (Bazett-like)."""
    peak = 0.26 * math.sqrt(max(rr, 0.25)) * qt_scale
    return [(peak - 0.035, amp * 0.55, 0.050), (peak + 0.010, amp * 0.60, 0.036)]


def gauss_sum(t, comps):
    v = 0.0
    for off, amp, sig in comps:
        d = t - off
        if abs(d) < 5 * sig:
            v += amp * math.exp(-0.5 * (d / sig) ** 2)
    return v


class Strip:
    def __init__(self, slug, number, name, description, seed=1):
        self.slug = slug
        self.number = number  # neutral label: "ECG rhythm strip <number>"
        self.name = name  # NOT rendered (answer key for authors)
        self.description = (
            description  # NOT rendered (basis for captions and alt texts)
        )
        self.events = []  # (time, comps)
        self.baseline = None  # function t -> mV
        self.rng = random.Random(seed)  # noqa: S311 (deterministic drawing, not crypto)
        self.wander = (0.02, 0.23, self.rng.uniform(0, 6.28))

    @property
    def label(self):
        return f"ECG rhythm strip {self.number}"

    # ---- building blocks
    def p(self, t, amp=1.0):
        self.events.append((t, [(o, a * amp, s) for o, a, s in P_WAVE]))

    def qrs(self, t, template=QRS_NARROW, scale=1.0):
        self.events.append((t, [(o, a * scale, s) for o, a, s in template]))

    def t(self, t, rr, amp=0.30, qt_scale=1.0):
        self.events.append((t, t_wave(rr, amp, qt_scale)))

    def conducted_beat(self, t_p, pr, rr, template=QRS_NARROW, t_amp=0.30):
        self.p(t_p)
        self.qrs(t_p + pr, template)
        self.t(t_p + pr, rr, t_amp)

    # ---- signal
    def value(self, t):
        a, f, ph = self.wander
        v = a * math.sin(2 * math.pi * f * t + ph)
        if self.baseline:
            v += self.baseline(t)
        for t0, comps in self.events:
            d = t - t0
            if -0.4 < d < 0.8:
                v += gauss_sum(d, comps)
        return v


# ----------------------------------------------------------------- rendering
def x_of(t):
    return (CAL_MM + t * MM_PER_S) * PX_PER_MM


def y_of(mv):
    return LABEL_H_PX + (BASELINE_MM - mv * MM_PER_MV) * PX_PER_MM


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
    w = GRID_W_MM * PX_PER_MM
    top = LABEL_H_PX
    bottom = LABEL_H_PX + GRID_H_MM * PX_PER_MM
    for i in range(int(GRID_W_MM) + 1):
        x = i * PX_PER_MM
        (major if i % 5 == 0 else minor).append(f"M{x:g} {top:g}V{bottom:g}")
    for j in range(int(GRID_H_MM) + 1):
        y = top + j * PX_PER_MM
        (major if j % 5 == 0 else minor).append(f"M0 {y:g}H{w:g}")
    return "".join(minor), "".join(major)


def esc(text):
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def render(strip):
    n = int(DURATION_S / SAMPLE_S) + 1
    pts = [(x_of(i * SAMPLE_S), y_of(strip.value(i * SAMPLE_S))) for i in range(n)]
    pts = simplify(pts, 0.25)
    trace = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)

    # 1 mV calibration pulse, 5 mm wide, in the left margin
    b = y_of(0)
    top = y_of(1.0)
    x0, x1, x2, x3 = 1 * PX_PER_MM, 3 * PX_PER_MM, 8 * PX_PER_MM, 9.6 * PX_PER_MM
    cal = f"M{x0:g} {b:.1f}H{x1:g}V{top:.1f}H{x2:g}V{b:.1f}H{x3:g}"

    minor, major = grid_paths()
    w, h = WIDTH_PX, HEIGHT_PX
    sid = f"strip-{strip.number:02d}"
    label = esc(strip.label)
    grid_h = GRID_H_MM * PX_PER_MM
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:g} {h:g}"'
        f' width="{w:g}" height="{h:g}" role="img" aria-label="{label}"'
        f' aria-labelledby="title-{sid}" font-family="Arial, Helvetica, sans-serif">',
        f'  <title id="title-{sid}">{label}</title>',
        f'  <rect x="0" y="0" width="{w:g}" height="{LABEL_H_PX}" fill="#ffffff"/>',
        f'  <text x="{w - 8:g}" y="15" font-size="11" text-anchor="end"'
        ' fill="#6b7280">25 mm/s, 10 mm/mV, 6 s</text>',
        f'  <rect x="0" y="{LABEL_H_PX}" width="{w:g}" height="{grid_h:g}"'
        ' fill="#fff7f5"/>',
        f'  <path d="{minor}" stroke="#f4c7c3" stroke-width="0.5" fill="none"/>',
        f'  <path d="{major}" stroke="#e48f88" stroke-width="1" fill="none"/>',
        f'  <path d="{cal}" stroke="#111111" stroke-width="1.4" fill="none"/>',
        f'  <polyline points="{trace}" stroke="#111111" stroke-width="1.5" fill="none"'
        ' stroke-linejoin="round" stroke-linecap="round"/>',
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- rhythms
def regular_sinus(strip, rate, pr=0.16, template=QRS_NARROW, first=0.25, jitter=0.015):
    rr = 60.0 / rate
    tp = first
    while tp < DURATION_S + 0.3:
        strip.conducted_beat(tp, pr, rr, template)
        tp += rr * (1 + strip.rng.uniform(-jitter, jitter))


def normal_sinus():
    s = Strip(
        "normal-sinus-rhythm",
        5,
        "Normal sinus rhythm",
        (
            "Regular rhythm at about 75 per minute; an upright P wave before every "
            "QRS; constant PR interval of about 0.16 s; narrow QRS complexes (about "
            "0.08 s)."
        ),
        seed=11,
    )
    regular_sinus(s, 75, first=0.35)
    return s


def sinus_brady():
    s = Strip(
        "sinus-bradycardia",
        12,
        "Sinus bradycardia",
        (
            "Regular rhythm at about 45 per minute; an upright P wave before every "
            "QRS; constant PR interval of about 0.16 s; narrow QRS complexes."
        ),
        seed=12,
    )
    regular_sinus(s, 45, first=0.3)
    return s


def sinus_tachy():
    s = Strip(
        "sinus-tachycardia",
        3,
        "Sinus tachycardia",
        (
            "Regular rhythm at about 125 per minute; an upright P wave before every "
            "QRS, sitting close to the end of the preceding T wave; constant PR "
            "interval of about 0.14 s; narrow QRS complexes."
        ),
        seed=13,
    )
    regular_sinus(s, 125, pr=0.14, first=0.15)
    return s


def first_degree():
    s = Strip(
        "first-degree-av-block",
        9,
        "First-degree AV block",
        (
            "Regular rhythm at about 70 per minute; every P wave is followed by a "
            "narrow QRS; the PR interval is constant at about 0.30 s."
        ),
        seed=14,
    )
    regular_sinus(s, 70, pr=0.30, first=0.2)
    return s


def mobitz_1():
    s = Strip(
        "second-degree-av-block-type-1",
        14,
        "Second-degree AV block type I (Mobitz I, Wenckebach)",
        (
            "Regular P waves at about 80 per minute; in each cycle the PR interval "
            "is about 0.16 s, then 0.25 s, then 0.31 s, and the next P wave has no "
            "QRS after it; the cycle repeats, so the narrow QRS complexes come in "
            "groups of three separated by pauses (ventricular rate about 60 per "
            "minute)."
        ),
        seed=15,
    )
    pp = 60.0 / 80
    prs = [0.16, 0.25, 0.31, None]
    tp, k = 0.15, 0
    while tp < DURATION_S + 0.3:
        pr = prs[k % 4]
        s.p(tp)
        if pr is not None:
            s.qrs(tp + pr)
            s.t(tp + pr, pp * 0.8, amp=0.24)
        tp += pp
        k += 1
    return s


def mobitz_2():
    s = Strip(
        "second-degree-av-block-type-2",
        1,
        "Second-degree AV block type II (Mobitz II)",
        (
            "Regular P waves at about 90 per minute; the PR interval is the same "
            "(about 0.18 s) in every conducted beat, before and after the pauses; "
            "now and then a P wave has no QRS after it; QRS complexes about 0.12 s "
            "wide; ventricular rate about 70 per minute."
        ),
        seed=16,
    )
    pp = 60.0 / 90
    pattern = [True, True, True, False, True, True, False, True, True, True]
    tp, k = 0.2, 0
    while tp < DURATION_S + 0.3:
        s.p(tp)
        if pattern[k % len(pattern)]:
            s.qrs(tp + 0.18, QRS_RBBB)
            s.t(tp + 0.18, pp, amp=-0.18)
        tp += pp
        k += 1
    return s


def third_degree():
    s = Strip(
        "third-degree-av-block",
        7,
        "Third-degree (complete) AV block",
        (
            "Regular P waves at about 80 per minute; regular, slow, wide QRS "
            "complexes at about 35 per minute; the PR interval differs from beat to "
            "beat because P waves and QRS complexes keep no fixed relation; some P "
            "waves fall on QRS complexes or T waves."
        ),
        seed=17,
    )
    pp = 60.0 / 80
    tp = 0.10
    while tp < DURATION_S + 0.3:
        s.p(tp)
        tp += pp
    rr = 60.0 / 35
    tq = 0.62
    while tq < DURATION_S + 0.3:
        s.qrs(tq, QRS_ESCAPE)
        s.t(tq, rr, amp=-0.30, qt_scale=1.15)
        tq += rr
    return s


def atrial_fib():
    s = Strip(
        "atrial-fibrillation",
        16,
        "Atrial fibrillation",
        (
            "Irregularly irregular rhythm, no two RR intervals alike; average "
            "ventricular rate about 145-150 per minute; narrow QRS complexes; no P "
            "waves; a fine, irregular, wavy baseline between the complexes."
        ),
        seed=18,
    )
    rng = s.rng
    comps = [
        (rng.uniform(4.8, 7.8), rng.uniform(0.025, 0.045), rng.uniform(0, 6.28))
        for _ in range(5)
    ]

    def fwaves(t):
        env = 0.8 + 0.3 * math.sin(2 * math.pi * 0.4 * t)
        return env * sum(a * math.sin(2 * math.pi * f * t + ph) for f, a, ph in comps)

    s.baseline = fwaves
    tq = 0.12
    while tq < DURATION_S + 0.3:
        rr = rng.uniform(0.27, 0.56)
        s.qrs(tq)
        s.t(tq, rr, amp=0.20)
        tq += rr
    return s


def atrial_flutter():
    s = Strip(
        "atrial-flutter",
        4,
        "Atrial flutter with 4:1 conduction",
        (
            "Regular atrial waves at about 300 per minute forming a continuous "
            "sawtooth line with no flat baseline; a narrow QRS follows every fourth "
            "atrial wave, so the ventricular rhythm is regular at about 75 per "
            "minute."
        ),
        seed=19,
    )
    period = 0.2

    def saw(t):
        x = (t / period) % 1.0
        if x < 0.72:
            v = 0.12 - 0.36 * (x / 0.72)  # slow downslope
        else:
            u = (x - 0.72) / 0.28
            v = -0.24 + 0.36 * (u * u * (3 - 2 * u))  # quicker, smooth return
        return v

    s.baseline = saw
    tq = 0.2 + 0.26
    while tq < DURATION_S + 0.3:
        s.qrs(tq)
        s.t(tq, 0.8, amp=0.15)
        tq += 4 * period
    return s


def svt():
    s = Strip(
        "supraventricular-tachycardia",
        11,
        "Supraventricular tachycardia (SVT)",
        (
            "Regular narrow-complex rhythm at about 180 per minute; no P waves "
            "visible; each T wave runs into the next QRS complex."
        ),
        seed=20,
    )
    rr = 60.0 / 180
    tq = 0.1
    while tq < DURATION_S + 0.3:
        s.qrs(tq)
        s.t(tq, rr, amp=0.26)
        tq += rr
    return s


def mono_vt():
    s = Strip(
        "monomorphic-vt",
        2,
        "Monomorphic ventricular tachycardia",
        (
            "Regular wide-complex rhythm at about 160 per minute; every QRS is wide "
            "(well over 0.12 s) and identical in shape; no P waves seen."
        ),
        seed=21,
    )
    rr = 60.0 / 160
    tq = 0.12
    while tq < DURATION_S + 0.3:
        s.qrs(tq, QRS_VT)
        tq += rr
    return s


def poly_vt():
    s = Strip(
        "polymorphic-vt",
        13,
        "Polymorphic ventricular tachycardia",
        (
            "One narrow beat with a P wave and a normal QT, then a fast, irregular "
            "run of wide complexes at about 210 per minute whose shape, height and "
            "direction change from beat to beat without a regular pattern."
        ),
        seed=22,
    )
    rng = s.rng
    # one normal sinus beat with a normal QT, then the run
    s.conducted_beat(0.12, 0.16, 0.9)
    tq = 0.80
    while tq < DURATION_S + 0.3:
        a = rng.uniform(0.5, 1.35) * rng.choice([1, 1, -1])
        b = rng.uniform(0.2, 0.8) * rng.choice([1, -1])
        w1 = rng.uniform(0.025, 0.040)
        w2 = rng.uniform(0.025, 0.045)
        s.events.append((tq, [(0.0, a, w1), (rng.uniform(0.065, 0.09), -b, w2)]))
        tq += rng.uniform(0.25, 0.31)
    return s


def torsades():
    s = Strip(
        "torsades-de-pointes",
        8,
        "Torsades de pointes",
        (
            "One narrow beat with a very long QT interval, then a fast run of wide "
            "complexes at about 240 per minute whose height grows and shrinks in "
            "spindle-shaped groups while their main direction turns from upward to "
            "downward and back."
        ),
        seed=23,
    )
    rng = s.rng
    # sinus beat with a long QT (T wave peaking late) and an R-on-T trigger
    s.conducted_beat(0.10, 0.16, 1.6, t_amp=0.22)
    s.events[-1] = (0.26, [(o * 1.45, a, sg * 1.3) for o, a, sg in t_wave(1.0, 0.22)])
    tq = 0.26 + 0.50
    start = tq
    twist = 2.6  # seconds per full twist cycle
    while tq < DURATION_S + 0.3:
        env = math.cos(2 * math.pi * (tq - start) / twist + 0.35)
        amp = 1.5 * env + (0.1 if env >= 0 else -0.1)
        s.events.append((tq, [(0.0, amp, 0.036), (0.10, -0.30 * amp, 0.040)]))
        tq += rng.uniform(0.235, 0.265)
    return s


def vfib():
    s = Strip(
        "ventricular-fibrillation",
        6,
        "Ventricular fibrillation (coarse)",
        (
            "No P waves, QRS complexes or T waves; only chaotic, irregular, fairly "
            "large deflections of varying shape, height and width."
        ),
        seed=24,
    )
    rng = s.rng
    comps = [
        (rng.uniform(3.6, 6.8), rng.uniform(0.18, 0.38), rng.uniform(0, 6.28))
        for _ in range(6)
    ]
    mods = [(rng.uniform(0.25, 0.7), rng.uniform(0, 6.28)) for _ in range(2)]

    def vf(t):
        env = (
            0.75
            + 0.25 * math.sin(2 * math.pi * mods[0][0] * t + mods[0][1])
            + 0.15 * math.sin(2 * math.pi * mods[1][0] * t + mods[1][1])
        )
        return env * sum(a * math.sin(2 * math.pi * f * t + ph) for f, a, ph in comps)

    s.baseline = vf
    return s


def asystole():
    s = Strip(
        "asystole",
        15,
        "Asystole",
        (
            "An almost flat line with slight, slow drift; no P waves and no QRS "
            "complexes."
        ),
        seed=25,
    )
    rng = s.rng
    comps = [
        (rng.uniform(0.15, 0.6), rng.uniform(0.015, 0.03), rng.uniform(0, 6.28))
        for _ in range(3)
    ]
    s.wander = (0.0, 0.0, 0.0)
    s.baseline = lambda t: sum(
        a * math.sin(2 * math.pi * f * t + ph) for f, a, ph in comps
    )
    return s


def pea():
    s = Strip(
        "pea",
        10,
        "Pulseless electrical activity (PEA) when no pulse is palpable",
        (
            "Regular rhythm at about 60 per minute; an upright P wave before every "
            "QRS; constant PR interval of about 0.18 s; QRS complexes slightly "
            "broader than normal. (The strip alone cannot show whether there is a "
            "pulse.)"
        ),
        seed=26,
    )
    regular_sinus(s, 60, pr=0.18, template=QRS_PEA, first=0.3, jitter=0.01)
    return s


RHYTHMS = [
    normal_sinus,
    sinus_brady,
    sinus_tachy,
    first_degree,
    mobitz_1,
    mobitz_2,
    third_degree,
    atrial_fib,
    atrial_flutter,
    svt,
    mono_vt,
    poly_vt,
    torsades,
    vfib,
    asystole,
    pea,
]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, os.pardir, "content", "acls", "images", "ecg")
    out = os.path.abspath(argv[1] if len(argv) > 1 else default)
    os.makedirs(out, exist_ok=True)
    for build in RHYTHMS:
        strip = build()
        # Neutral file names: the image URL must not give the rhythm away in exams.
        path = os.path.join(out, f"strip-{strip.number:02d}.svg")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(render(strip))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv)
