"""The error model: a stable code, the user's sentence, and problem details."""

from __future__ import annotations

from core.errors import Conflict, LifelineError, NotAllowed


def test_refusal_renders_as_rfc9457_problem_details():
    error = NotAllowed(
        "Advanced Cardiovascular Life Support requires a current certificate in Basic "
        "Life Support.",
        code="enrollment.prerequisite_missing",
    )
    assert error.as_problem(instance="/api/v1/enrollments") == {
        "type": "urn:lifeline:problem:enrollment.prerequisite_missing",
        "title": "Not allowed",
        "status": 403,
        "detail": error.message,
        "code": "enrollment.prerequisite_missing",
        "instance": "/api/v1/enrollments",
    }


def test_each_kind_answers_with_its_own_status_and_a_default_code():
    assert Conflict("Already decided.").as_problem()["status"] == 409
    assert Conflict("Already decided.").code == "conflict"
    assert LifelineError("No.").as_problem()["status"] == 400
    assert str(NotAllowed("Not yet.")) == "Not yet."
