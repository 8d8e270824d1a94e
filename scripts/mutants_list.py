"""The single-site mutants of scripts/mutants.py: one rule each, with the tests that
must notice. `find` must occur in `path`; the `nth` occurrence is replaced."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    rule: str
    path: str
    find: str
    replace: str
    tests: tuple[str, ...]
    nth: int = 1


MUTANTS: list[Mutant] = [
    # Exam and enrolment rules (docs/TESTING.md lists the test that kills each).
    Mutant(
        id="exams-m1",
        rule="key leaked in a data- attribute",
        path="templates/exams/attempt_take.html",
        find='<fieldset class="question" id="question-{{ item.position }}"',
        replace='<fieldset class="question" data-answer="{{ item.correct_key }}" id="question-{{ item.position }}"',
        tests=("tests/exams/test_taking.py",),
    ),
    Mutant(
        id="exams-m2",
        rule="renewal window 90 -> 100 days",
        path="courses/selectors.py",
        find="RENEWAL_WINDOW_DAYS = 90",
        replace="RENEWAL_WINDOW_DAYS = 100",
        tests=("tests/courses/test_enrollment.py",),
    ),
    Mutant(
        id="exams-m2b",
        rule="renewal edge > -> >=",
        path="courses/selectors.py",
        find="return opens if opens > timezone.localdate() else None",
        replace="return opens if opens >= timezone.localdate() else None",
        tests=("tests/courses/test_enrollment.py",),
    ),
    Mutant(
        id="exams-m3",
        rule="answer service skips validation",
        path="exams/services/answers.py",
        find="    items = list(locked.items.all())\n    validate_answers(items, answers)\n    now = timezone.now()\n    if time_is_up",
        replace="    items = list(locked.items.all())\n    now = timezone.now()\n    if time_is_up",
        tests=("tests/exams/test_taking.py",),
    ),
    Mutant(
        id="exams-m3b",
        rule="submit service skips validation",
        path="exams/services/grading.py",
        find="    items = list(locked.items.all())\n    validate_answers(items, answers)\n    if not locked.is_open:",
        replace="    items = list(locked.items.all())\n    if not locked.is_open:",
        tests=("tests/exams/test_taking.py",),
    ),
    Mutant(
        id="exams-m4",
        rule="answers shown while a retake is open",
        path="exams/selectors/results.py",
        find=".filter(Exists(revoked) | Exists(retake_open))",
        replace=".filter(Exists(revoked))",
        tests=("tests/exams/test_grading.py",),
    ),
    Mutant(
        id="exams-m5",
        rule="enrollment_complete completes twice",
        path="courses/services.py",
        find="        pk=enrollment.pk, status=Enrollment.Status.ACTIVE\n    )",
        replace="        pk=enrollment.pk\n    )",
        tests=("tests/courses/test_enrollment.py",),
    ),
    Mutant(
        id="exams-m6",
        rule="lessons completable in a waiting enrollment",
        path="courses/services.py",
        find="    if enrollment.status != Enrollment.Status.ACTIVE:\n        raise Conflict(",
        replace="    if enrollment.status == Enrollment.Status.COMPLETED:\n        raise Conflict(",
        tests=("tests/courses/test_study.py",),
    ),
    Mutant(
        id="exams-m7",
        rule="deadline allowance 10 -> 25 s",
        path="exams/selectors/attempts.py",
        find="DEADLINE_GRACE = timedelta(seconds=10)",
        replace="DEADLINE_GRACE = timedelta(seconds=25)",
        tests=("tests/exams/test_grading.py",),
    ),
    Mutant(
        id="exams-m8",
        rule="activate_waiting skips the prerequisite check",
        path="courses/services.py",
        find="        if not prerequisites_missing(user=user, course=enrollment.course):\n            _activate(enrollment)",
        replace="        if True:\n            _activate(enrollment)",
        tests=("tests/courses/test_enrollment.py",),
    ),
    Mutant(
        id="exams-m8b",
        rule="enrollment_create opens a waiting one without the check",
        path="courses/services.py",
        find="if existing.status == Enrollment.Status.WAITING and not missing:",
        replace="if existing.status == Enrollment.Status.WAITING:",
        tests=("tests/courses/test_enrollment.py",),
    ),
    Mutant(
        id="exams-m8c",
        rule="bundle_enroll opens a waiting one without the check",
        path="courses/services.py",
        find="if existing.status == Enrollment.Status.WAITING and not missing:",
        replace="if existing.status == Enrollment.Status.WAITING:",
        tests=("tests/courses/test_enrollment.py",),
        nth=2,
    ),
    Mutant(
        id="exams-m9",
        rule="late submit dated at the submit",
        path="exams/services/grading.py",
        find="        now = attempt_closes_at(locked)\n",
        replace="        pass\n",
        tests=("tests/exams/test_grading.py", "tests/exams/test_completion.py"),
    ),
    Mutant(
        id="exams-m10",
        rule="completion without the prerequisite re-check",
        path="courses/services.py",
        find="    if missing:\n        if active.update",
        replace="    if False:\n        if active.update",
        tests=("tests/exams/test_completion.py",),
    ),
    Mutant(
        id="exams-m11",
        rule="revoked enrollment's answers shown",
        path="exams/selectors/results.py",
        find=".filter(Exists(revoked) | Exists(retake_open))",
        replace=".filter(Exists(retake_open))",
        tests=("tests/exams/test_grading.py",),
    ),
    Mutant(
        id="exams-m12",
        rule="answers stamped after the cutoff count",
        path="exams/services/grading.py",
        find="        and item.answered_at <= attempt_closes_at(attempt) + DEADLINE_GRACE\n",
        replace="",
        tests=("tests/exams/test_grading.py",),
    ),
    Mutant(
        id="exams-m13",
        rule="completion on BLS arrival dropped",
        path="courses/services.py",
        find="    if completion_requirements_met(enrollment=enrollment):\n        enrollment_complete(enrollment=enrollment)\n",
        replace="",
        tests=("tests/exams/test_completion.py",),
    ),
    # Issue 10 fixes: each mutant plants back the hole it closed.
    Mutant(
        id="certs-reminder-unique",
        rule="the unique (certificate, kind) reminder row",
        path="certificates/models.py",
        find='            models.UniqueConstraint(\n                fields=["certificate", "kind"], name="reminder_once_per_kind"\n            )\n',
        replace="",
        tests=(
            "tests/certificates/test_reminders.py",
            "tests/certificates/test_email_once.py",
        ),
    ),
    Mutant(
        id="certs-email-claim",
        rule="an e-mail is sent only by the worker that claimed it",
        path="certificates/services/issuing.py",
        find=".update(email_claimed_at=now)\n        == 1",
        replace=".update(email_claimed_at=now)\n        >= 0",
        tests=("tests/certificates/test_email_once.py",),
    ),
    Mutant(
        id="content-sync-atomic",
        rule="content_sync is all or nothing",
        path="curriculum/services/sync.py",
        find="    with transaction.atomic():\n        try:\n            return applier.apply()",
        replace="    if True:\n        try:\n            return applier.apply()",
        tests=("tests/curriculum/test_content.py",),
    ),
    Mutant(
        id="content-nofollow-dirs",
        rule="content folders are opened without following links",
        path="curriculum/reader.py",
        find="_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC",
        replace="_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC",
        tests=("tests/curriculum/test_content_safety.py",),
    ),
    Mutant(
        id="content-nofollow-files",
        rule="content files are opened without following links",
        path="curriculum/reader.py",
        find="os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC",
        replace="os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC",
        tests=("tests/curriculum/test_content_safety.py",),
    ),
    Mutant(
        id="content-duplicate-keys",
        rule="duplicate YAML keys are refused",
        path="curriculum/reader.py",
        find="        if key in mapping:\n            raise yaml.constructor.ConstructorError(",
        replace="        if False:\n            raise yaml.constructor.ConstructorError(",
        tests=("tests/curriculum/test_content.py",),
    ),
    Mutant(
        id="content-image-percent",
        rule="image paths may not contain %",
        path="courses/images.py",
        find='_FORBIDDEN_CHARACTERS = ("%", "\\\\", "?", "#")',
        replace='_FORBIDDEN_CHARACTERS = ("\\\\", "?", "#")',
        tests=(
            "tests/courses/test_markdown.py",
            "tests/curriculum/test_content_safety.py",
        ),
    ),
    Mutant(
        id="content-export-symlink",
        rule="export never writes through a symbolic link",
        path="curriculum/services/export.py",
        find="        if here.is_symlink():",
        replace="        if False:",
        tests=("tests/curriculum/test_content_safety.py",),
    ),
    Mutant(
        id="auth-totp-once",
        rule="a TOTP code is accepted once",
        path="accounts/services.py",
        find="last_step__lt=step",
        replace="last_step__lte=step",
        tests=("tests/accounts/test_totp.py",),
    ),
    Mutant(
        id="auth-staff-totp",
        rule="staff privileges need a session that passed two-factor",
        path="accounts/selectors.py",
        find="    return user.is_staff and session_passed_mfa(request) and user_has_totp(user=user)",
        replace="    return user.is_staff and user_has_totp(user=user)",
        tests=(
            "tests/accounts/test_staff_mfa.py",
            "tests/accounts/test_staff_verified_everywhere.py",
        ),
    ),
    Mutant(
        id="auth-signup-hash",
        rule="a taken address costs a password hash too",
        path="accounts/forms.py",
        find='            make_password(self.cleaned_data.get("password1"))',
        replace="            pass",
        tests=("tests/accounts/test_signup_enumeration.py",),
    ),
    Mutant(
        id="auth-invisible-chars",
        rule="profile text refuses format characters (bidi overrides)",
        path="accounts/text.py",
        find='REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})',
        replace='REFUSED_CATEGORIES = frozenset({"Cc", "Co", "Cs", "Zl", "Zp"})',
        tests=("tests/accounts/test_accounts.py",),
    ),
    Mutant(
        id="ops-body-limit",
        rule="oversized bodies refused by Content-Length",
        path="config/middleware.py",
        find="        if length <= limit:\n            return None",
        replace="        if True:\n            return None",
        tests=("tests/config/test_request_limits.py",),
    ),
    Mutant(
        id="ops-pdf-scripts",
        rule="PDF cards with JavaScript are refused",
        path="certificates/forms.py",
        find="                    if key in _PDF_SCRIPT_KEYS:",
        replace="                    if False:",
        tests=("tests/certificates/test_external.py",),
    ),
    Mutant(
        id="ops-readyz-workers",
        rule="only staff or the token may ping workers",
        path="config/health.py",
        find="    if staff_verified(request):\n        return True",
        replace="    if request.user.is_authenticated:\n        return True",
        tests=("tests/config/test_health_and_settings.py",),
    ),
    Mutant(
        id="ops-ratelimit-fallback",
        rule="verification survives a Redis outage",
        path="core/ratelimit.py",
        find="        except (RedisError, OSError) as error:",
        replace="        except ValueError as error:",
        tests=("tests/certificates/test_views.py",),
    ),
]
