"""A small, fixed curriculum for the browser tests, built with the factories.

CPR/AED for anyone; BLS (two modules, a module exam on the first, a final exam); ACLS,
which requires a current BLS certificate. Small enough to study in a test, real enough
to screenshot. Every question has exactly one correct choice (the first listed; each
attempt shuffles them) and names the lesson to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from courses.models import Course, Lesson
from exams.models import Exam
from tests import factories

RECOGNITION_MD = """\
Cardiac arrest is recognised in seconds, not minutes.

## Check the scene

Make sure the scene is safe for you and the person. Then tap the person and shout
"Are you OK?"

## Check breathing and pulse

- Look at the chest for breathing: **no breathing or only gasping** counts as no
  breathing.
- At the same time, feel for a carotid pulse.
- Take **at least 5 but no more than 10 seconds**.

No normal breathing and no definite pulse: start CPR, beginning with compressions,
and send someone for an AED.
"""

COMPRESSIONS_MD = """\
High-quality compressions are what keep blood flowing to the brain and heart.

## Hand position

Place the heel of one hand on the lower half of the breastbone, the other hand on top.

## Rate and depth

| Measure | Adult |
| --- | --- |
| Rate | 100 to 120 per minute |
| Depth | at least 2 inches (5 cm), not more than 2.4 inches (6 cm) |
| Ratio, one rescuer | 30 compressions to 2 breaths |

## Key points

- Allow **full chest recoil** after each compression; do not lean on the chest.
- Keep interruptions under **10 seconds**.
- Switch compressors about every 2 minutes, before fatigue sets in.
"""

AED_MD = """\
An AED can restore a normal rhythm in ventricular fibrillation. Use it **as soon as it
arrives**.

## Steps

1. Turn the AED on and follow its prompts.
2. Attach the pads to the bare chest as pictured on them.
3. **Stay clear** while the AED analyses the rhythm.
4. If a shock is advised, make sure nobody touches the person, then press *Shock*.
5. Resume CPR at once, starting with compressions.
"""

ACLS_VF_MD = """\
Ventricular fibrillation and pulseless ventricular tachycardia are the shockable
rhythms of cardiac arrest.

## Priorities

- High-quality CPR without interruption.
- Defibrillate as soon as possible.
- Epinephrine after the second shock; amiodarone or lidocaine for refractory VF/pVT.
"""

CPR_MD = """\
Anyone can save a life: call for help, push hard and fast, and use an AED.

## Call, push, shock

1. Call your emergency number.
2. Push hard and fast in the centre of the chest.
3. Use an AED as soon as one arrives.
"""

# (key, topic, review lesson slug, question, [correct, wrong, wrong, wrong])
MODULE_QUESTIONS = [
    (
        "bls-cpr-rate",
        "Compression rate",
        "adult-compressions",
        "What compression rate is recommended for an adult in cardiac arrest?",
        [
            "100 to 120 per minute",
            "At least 80 per minute",
            "60 to 80 per minute",
            "More than 140 per minute",
        ],
    ),
    (
        "bls-cpr-depth",
        "Compression depth",
        "adult-compressions",
        "How deep should chest compressions be for an adult?",
        [
            "At least 2 inches (5 cm), not more than 2.4 inches (6 cm)",
            "About 1 inch (2.5 cm)",
            "At least 3 inches (7.5 cm)",
            "As deep as you can push",
        ],
    ),
    (
        "bls-recognition-time",
        "Recognition",
        "recognising-arrest",
        "How long should you take to check for breathing and a pulse?",
        [
            "No more than 10 seconds",
            "About 30 seconds",
            "At least 20 seconds",
            "Until help arrives",
        ],
    ),
]
FINAL_QUESTIONS = [
    (
        "bls-final-ratio",
        "Compression-to-ventilation ratio",
        "adult-compressions",
        "What is the compression-to-ventilation ratio for one rescuer and an adult?",
        ["30:2", "15:2", "30:1", "5:1"],
    ),
    (
        "bls-final-aed-when",
        "When to use the AED",
        "using-an-aed",
        "When should you use an AED on an adult in cardiac arrest?",
        [
            "As soon as it is available",
            "After 5 minutes of CPR",
            "Only if the person is still breathing",
            "Only once the ambulance has arrived",
        ],
    ),
    (
        "bls-final-aed-clear",
        "AED safety",
        "using-an-aed",
        "What should everyone do while the AED analyses the rhythm?",
        [
            "Stay clear of the person",
            "Keep doing compressions",
            "Give two rescue breaths",
            "Check for a pulse",
        ],
    ),
    (
        "bls-final-after-shock",
        "After the shock",
        "using-an-aed",
        "What do you do right after the AED delivers a shock?",
        [
            "Resume CPR at once, starting with compressions",
            "Check for a pulse for 10 seconds",
            "Let the AED analyse again straight away",
            "Give two rescue breaths first",
        ],
    ),
    (
        "bls-final-recoil",
        "Chest recoil",
        "adult-compressions",
        "What should you allow between compressions?",
        [
            "Full chest recoil",
            "A pause of 5 seconds",
            "Partial recoil, to save time",
            "A rescue breath after each compression",
        ],
    ),
]


@dataclass
class Curriculum:
    cpr: Course
    bls: Course
    acls: Course
    # BLS's published lessons in study order.
    bls_lessons: list[Lesson]
    module_exam: Exam
    final_exam: Exam
    acls_lesson: Lesson


def _questions(exam: Exam, lessons: dict[str, Lesson], bank: list) -> None:
    for order, (key, topic, lesson_slug, text, choices) in enumerate(bank):
        factories.QuestionFactory(
            exam=exam,
            key=key,
            topic=topic,
            review_lesson=lessons[lesson_slug],
            text_md=text,
            explanation_md=f"See the lesson “{lessons[lesson_slug].title}”.",
            order=order,
            choices=choices,
        )


def build_curriculum() -> Curriculum:
    cpr = factories.CourseFactory(
        slug="cpr-aed",
        title="CPR, AED and First Aid",
        code="CPR",
        summary="Adult, child and infant CPR, the AED and first aid, for anyone.",
        audience="Teachers, coaches, parents, workplace responders",
        recommended_for=["educator", "other"],
        hours=Decimal("3.0"),
        order=1,
        description_md=CPR_MD,
    )
    bls = factories.CourseFactory(
        slug="bls",
        title="Basic Life Support",
        code="BLS",
        summary="High-quality CPR, the AED and team resuscitation for healthcare "
        "providers.",
        audience="Nurses, physicians, paramedics, medical and dental staff",
        recommended_for=["nurse", "physician", "paramedic", "dental"],
        hours=Decimal("4.5"),
        order=2,
        guidelines="2025 AHA Guidelines for CPR and ECC",
        description_md="The BLS course for healthcare providers: recognise cardiac "
        "arrest, give high-quality CPR and use an AED.",
    )
    acls = factories.CourseFactory(
        slug="acls",
        title="Advanced Cardiovascular Life Support",
        code="ACLS",
        summary="Rhythms, drugs and team leadership in cardiac arrest and "
        "peri-arrest care.",
        audience="Nurses, physicians and paramedics in acute care",
        recommended_for=["nurse", "physician", "paramedic"],
        hours=Decimal("8.0"),
        order=3,
        guidelines="2025 AHA Guidelines for CPR and ECC",
        prerequisites=[bls],
        description_md="ACLS builds on BLS: a current BLS certificate is required.",
    )

    cpr_module = factories.ModuleFactory(
        course=cpr, slug="cpr-basics", title="CPR basics", order=1
    )
    factories.LessonFactory(
        module=cpr_module,
        slug="call-push-shock",
        title="Call, push, shock",
        order=1,
        body_md=CPR_MD,
    )

    adult = factories.ModuleFactory(
        course=bls, slug="adult-cpr", title="Adult CPR", order=1
    )
    aed = factories.ModuleFactory(course=bls, slug="aed", title="Using an AED", order=2)
    lessons = [
        factories.LessonFactory(
            module=adult,
            slug="recognising-arrest",
            order=1,
            minutes=8,
            title="Recognising cardiac arrest",
            body_md=RECOGNITION_MD,
        ),
        factories.LessonFactory(
            module=adult,
            slug="adult-compressions",
            order=2,
            minutes=12,
            title="High-quality chest compressions",
            body_md=COMPRESSIONS_MD,
        ),
        factories.LessonFactory(
            module=aed,
            slug="using-an-aed",
            order=1,
            minutes=10,
            title="Using an AED",
            body_md=AED_MD,
        ),
    ]
    by_slug = {lesson.slug: lesson for lesson in lessons}
    module_exam = factories.ExamFactory(
        course=bls,
        module=adult,
        kind=Exam.Kind.MODULE,
        title="Adult CPR check",
        pass_mark=80,
    )
    _questions(module_exam, by_slug, MODULE_QUESTIONS)
    final_exam = factories.ExamFactory(
        course=bls, kind=Exam.Kind.FINAL, title="BLS final exam", pass_mark=80
    )
    _questions(final_exam, by_slug, FINAL_QUESTIONS)

    rhythms = factories.ModuleFactory(
        course=acls, slug="arrest-rhythms", title="Cardiac arrest rhythms", order=1
    )
    acls_lesson = factories.LessonFactory(
        module=rhythms,
        slug="vf-pvt",
        order=1,
        minutes=15,
        title="Shockable rhythms: VF and pulseless VT",
        body_md=ACLS_VF_MD,
    )
    return Curriculum(
        cpr=cpr,
        bls=bls,
        acls=acls,
        bls_lessons=lessons,
        module_exam=module_exam,
        final_exam=final_exam,
        acls_lesson=acls_lesson,
    )
