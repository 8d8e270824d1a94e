"""The item-quality gates (exams.quality) over a bank as stored: what the admin shows
on an exam's page and after a question is saved."""

from __future__ import annotations

from django.db.models import Prefetch

from .. import quality
from ..models import Choice, Exam, Question


def _bank_name(exam: Exam) -> str:
    """As the content checks name banks: "bls/final", "bls/adult-cpr"."""
    part = exam.module.slug if exam.module_id else "final"
    return f"{exam.course.slug}/{part}"


def exam_bank_findings(*, exam: Exam) -> list[quality.Finding]:
    """The gate findings of `exam`'s bank (its active questions), near-duplicate stems
    against the other active banks of its course included (three queries)."""
    exams = list(
        Exam.objects.filter(course_id=exam.course_id)
        .filter(is_active=True)
        .select_related("course", "module")
    )
    if all(other.pk != exam.pk for other in exams):
        exams.append(exam)
    questions = Question.objects.filter(
        exam__in=[e.pk for e in exams], is_active=True
    ).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
    )
    items: dict[int, list[quality.Item]] = {e.pk: [] for e in exams}
    for question in questions:
        items[question.exam_id].append(
            quality.Item(
                id=question.key,
                stem=question.text_md,
                choices=tuple((c.text, c.is_correct) for c in question.choices.all()),
            )
        )
    banks = {
        e.pk: quality.Bank(
            _bank_name(e), items[e.pk], is_final=e.kind == Exam.Kind.FINAL
        )
        for e in exams
    }
    return quality.bank_findings(banks[exam.pk], course_banks=list(banks.values()))
