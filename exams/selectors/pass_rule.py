"""The pass rule in words: how many questions a learner may miss and still pass.

Grading passes an attempt when correct * 100 >= pass_mark * questions (exact, no
rounding: exams.services.grading), so the questions needed are
ceil(pass_mark * questions / 100) and the rest may be missed: 10 at 80% needs 8 (2 may
be missed), 25 at 84% needs 21 (4), 20 at 84% needs 17 (16.8 rounded up; 3).
"""

from __future__ import annotations

from ..models import Exam


def correct_needed(*, questions: int, pass_mark: int) -> int:
    """The fewest correct answers that pass: ceil(pass_mark * questions / 100)."""
    return -(-pass_mark * questions // 100)


def misses_allowed(*, questions: int, pass_mark: int) -> int:
    return questions - correct_needed(questions=questions, pass_mark=pass_mark)


def may_miss_sentence(*, questions: int, pass_mark: int) -> str:
    """ "You may miss up to 2 of 10 questions and still pass." (or that none may be)."""
    if questions < 1:
        return ""
    allowed = misses_allowed(questions=questions, pass_mark=pass_mark)
    noun = "question" if questions == 1 else "questions"
    if allowed == 0:
        if questions == 1:
            return "You must answer the question correctly to pass."
        return f"You must answer all {questions} {noun} correctly to pass."
    return f"You may miss up to {allowed} of {questions} {noun} and still pass."


def exam_draw_count(*, exam: Exam, active_questions: int) -> int:
    """How many questions an attempt of `exam` will ask: the blueprint's total (what
    the draw follows, whatever draw_size was edited to) or its draw size, at most the
    active bank."""
    wanted = sum(exam.blueprint_quotas.values()) or exam.draw_size or active_questions
    return min(wanted, active_questions)
