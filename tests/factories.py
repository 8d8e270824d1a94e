"""factory_boy factories for every model tests build."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import encrypt
from django.utils import timezone

from accounts.models import Profession, User
from certificates.models import Certificate, ExternalCertificate
from courses.models import (
    Bundle,
    BundleCourse,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
)
from exams.models import Choice, Exam, Question
from organizations.models import JobRole, Membership, Organization, Requirement

PASSWORD = "correct horse battery staple"
# Every StaffFactory user's authenticator app holds this TOTP secret (base32).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = STAFF_TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` now (or at Unix time `at`)."""
    import time

    from allauth.mfa import app_settings

    step = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, step))


def login_with_mfa(client, user) -> None:
    """Signs `user` in on the test client as if they had typed the password AND a code
    from their authenticator app: force_login, then the record allauth 65.21 keeps in
    the session when a second factor is passed (allauth.account.internal.flows.login
    record_authentication: AUTHENTICATION_METHODS_SESSION_KEY holds a list of
    {"method": "mfa", "at", "id", "type"} entries, valid for the user whose id is under
    _AUTHENTICATION_METHODS_USER_SESSION_KEY). accounts.selectors.staff_verified reads
    exactly that; a plain force_login is a password-only session (treated as a
    learner wherever staff privileges are granted)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    client.force_login(user)
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {
            "method": "mfa",
            "at": time.time(),
            "id": authenticator.pk if authenticator else None,
            "type": "totp",
        },
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.org")
    legal_name = factory.Faker("name")
    profession = Profession.NURSE
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """A verified primary e-mail (allauth), unless verified=False is passed."""
        if create:
            EmailAddress.objects.create(
                user=obj, email=obj.email, primary=True, verified=extracted is not False
            )


class StaffFactory(UserFactory):
    """A staff member as the admin requires them: with an authenticator app (TOTP,
    secret STAFF_TOTP_SECRET). Pass totp=False for one who has not set it up yet."""

    is_staff = True
    is_superuser = True

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            Authenticator.objects.create(
                user=obj,
                type=Authenticator.Type.TOTP,
                data={"secret": encrypt(STAFF_TOTP_SECRET)},
            )


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    code = factory.Sequence(lambda n: f"C{n}")
    summary = "A course."
    hours = Decimal("4.5")
    validity_months = 24
    is_published = True
    recommended_for = factory.LazyFunction(lambda: ["nurse"])
    description_md = "About this course."

    @factory.post_generation
    def prerequisites(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.prerequisites.set(extracted)


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    order = factory.Sequence(lambda n: n)
    summary_md = "What this module covers."


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.SelfAttribute("module.course")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n)
    minutes = 10
    body_md = "## Do this\n\nPush hard and fast.\n\n## Key points\n\n- Push hard"


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"bundle-{n}")
    title = "BLS + ACLS"
    summary = "Both, in order."
    is_published = True

    @factory.post_generation
    def courses(obj, create, extracted, **kwargs):
        for order, course in enumerate(extracted or []):
            BundleCourse.objects.create(bundle=obj, course=course, order=order)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    status = Enrollment.Status.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    enrollment = factory.SubFactory(EnrollmentFactory)
    lesson = factory.SubFactory(LessonFactory)
    completed_at = factory.LazyFunction(timezone.now)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    enrollment = factory.SubFactory(
        EnrollmentFactory,
        status=Enrollment.Status.COMPLETED,
        completed_at=factory.LazyFunction(timezone.now),
    )
    user = factory.SelfAttribute("enrollment.user")
    course = factory.SelfAttribute("enrollment.course")
    code = factory.Sequence(lambda n: f"TST-{n:04d}-AAAA-BBBB")
    holder_name = factory.SelfAttribute("user.legal_name")
    course_title = factory.SelfAttribute("course.title")
    course_code = factory.SelfAttribute("course.code")
    hours = factory.SelfAttribute("course.hours")
    guidelines = factory.SelfAttribute("course.guidelines")
    issued_on = factory.LazyFunction(timezone.localdate)
    expires_on = factory.LazyAttribute(lambda o: o.issued_on + timedelta(days=730))


class ExternalCertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalCertificate

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    issuer = "American Heart Association training center"
    card_number = factory.Sequence(lambda n: f"EXT{n:06d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + timedelta(days=600)
    )
    file = factory.django.FileField(filename="card.pdf", data=b"%PDF-1.4\n%%EOF\n")
    content_type = "application/pdf"
    status = ExternalCertificate.Status.PENDING


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    course = factory.SubFactory(CourseFactory)
    module = None
    kind = Exam.Kind.FINAL
    title = "Final exam"
    pass_mark = 80
    draw_size = None


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question with four choices; the first created is the correct one."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    exam = factory.SubFactory(ExamFactory)
    key = factory.Sequence(lambda n: f"q-{n}")
    text_md = factory.Sequence(lambda n: f"Question {n}?")
    explanation_md = "Because."
    topic = factory.Sequence(lambda n: f"Topic {n % 5}")
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def choices(obj, create, extracted, **kwargs):
        if not create:
            return
        texts = extracted or ["Right", "Wrong A", "Wrong B", "Wrong C"]
        Choice.objects.bulk_create(
            Choice(question=obj, text=text, is_correct=(i == 0), order=i)
            for i, text in enumerate(texts)
        )


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Mercy Hospital {n}")
    slug = factory.Sequence(lambda n: f"mercy-{n}")
    contact_email = "education@mercy.example.org"


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRole

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Role {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """An active member who shares their status (pass consent_given_at=None for
    one who does not)."""

    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    joined_at = factory.LazyFunction(timezone.now)
    consent_given_at = factory.LazyFunction(timezone.now)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    organization = factory.SubFactory(OrganizationFactory)
    course = factory.SubFactory(CourseFactory)
    job_role = None
    due_within_days = 30
