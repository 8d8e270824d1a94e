from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import http_date
from django.views.decorators.http import condition, require_POST

from accounts.learner_pages import kept_learner_page
from accounts.models import Profession
from accounts.selectors import staff_verified
from core.errors import LifelineError
from core.issuer import issuer

from . import selectors, services
from .models import Bundle, CourseImage, Enrollment
from .outline import content_version
from .pages import page_refresh, page_sections
from .steps import StepKind, continue_from, lesson_ends_module, lesson_key


def info_page(request: HttpRequest, slug: str) -> HttpResponse:
    """About, accreditation, privacy, terms, contact: who stands behind the credential
    (the issuer and signer come from settings, the words from content/pages/)."""
    page = selectors.info_page_published(slug=slug)
    if request.path != page.get_absolute_url():
        return redirect(page, permanent=True)
    return render(
        request,
        "courses/info_page.html",
        {"page": page, "issuer": issuer()},
    )


def catalog(request: HttpRequest) -> HttpResponse:
    """All published courses, with "which certification do I need?" by profession."""
    courses = list(selectors.courses_for_catalog())
    profession = request.GET.get("profession")
    if profession is None and request.user.is_authenticated:
        profession = request.user.profession
    if profession not in Profession.values:
        profession = ""
    recommended = selectors.courses_recommended(courses=courses, profession=profession)
    return render(
        request,
        "courses/catalog.html",
        {
            "courses": courses,
            "bundles": selectors.bundles_for_catalog(),
            "professions": Profession.choices,
            "profession": profession,
            "profession_label": Profession(profession).label if profession else "",
            "recommended": recommended,
        },
    )


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.course_for_viewer(slug=slug, as_staff=staff_verified(request))
    modules = selectors.modules_with_lessons(course=course)
    context = {
        "course": course,
        "modules": modules,
        "lesson_count": sum(len(m.visible_lessons) for m in modules),
        "panel": selectors.enrolment_panel_for(user=request.user, course=course),
    }
    return render(request, "courses/course_detail.html", context)


@login_required
@require_POST
def enroll(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.course_for_viewer(slug=slug, as_staff=staff_verified(request))
    try:
        enrollment = services.enrollment_create(user=request.user, course=course)
    except services.EnrollmentRefused as refused:
        messages.error(request, refused.message)
        return redirect(course)
    messages.success(request, f"You are enrolled in {course.title}.")
    if enrollment.status == Enrollment.Status.WAITING:
        return redirect("courses:dashboard")
    return redirect("courses:home", slug=course.slug)


@login_required
@require_POST
def bundle_enroll(request: HttpRequest, slug: str) -> HttpResponse:
    bundle = get_object_or_404(Bundle, slug=slug, is_published=True)
    try:
        services.bundle_enroll(user=request.user, bundle=bundle)
    except services.EnrollmentRefused as refused:
        messages.error(request, refused.message)
        return redirect("courses:catalog")
    messages.success(request, f"You are enrolled in {bundle.title}.")
    return redirect("courses:dashboard")


def _require_enrollment(request: HttpRequest, course) -> Enrollment | None:
    """The learner's open enrollment, or None after queueing a message."""
    return _active_or_message(
        request, course, selectors.enrollment_open(user=request.user, course=course)
    )


def _active_or_message(
    request: HttpRequest, course, enrollment: Enrollment | None
) -> Enrollment | None:
    """`enrollment` if it is active, or None after queueing a message."""
    if enrollment is None:
        messages.info(request, f"Enroll in {course.title} to study it.")
    elif enrollment.status == Enrollment.Status.WAITING:
        messages.info(
            request,
            f"{course.title} opens as soon as you hold its prerequisite certificate.",
        )
        return None
    return enrollment


def _content(request: HttpRequest) -> str | None:
    """What a kept learner page is drawn from besides the learner's records: the
    content version (None: unknown, the page is drawn afresh)."""
    return content_version()


@login_required
@kept_learner_page(variant=_content)
def course_home(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.course_for_viewer(slug=slug, as_staff=staff_verified(request))
    # What higher apps bring up to date for a returning learner, before anything is
    # read (courses.pages): exams grades the attempts whose time is up.
    notices = page_refresh("course_home", user=request.user, course=course)
    for notice in notices:
        messages.info(request, notice)
    # With the learner's progress and attempts (one query), read after the refresh.
    enrollment = selectors.enrollment_open_with_state(user=request.user, course=course)
    if enrollment is None:
        # Completed (a closed final may just have completed it): review mode.
        completed = selectors.enrollment_for_review(user=request.user, course=course)
        if completed is not None:
            return _course_home_review(request, course, completed)
    if enrollment is not None and enrollment.waits_to_complete:
        return _course_home_waiting(request, course, enrollment)
    enrollment = _active_or_message(request, course, enrollment)
    if enrollment is None:
        return redirect(course)
    modules = selectors.modules_with_lessons(course=course)
    plan = selectors.course_plan_for(
        user=request.user, enrollment=enrollment, modules=modules, detail=True
    )
    return render(
        request,
        "courses/course_home.html",
        {
            "course": course,
            "enrollment": enrollment,
            "plan": plan,
            # What higher apps add (courses.pages): the case simulations' link.
            **page_sections(
                "course_home", user=request.user, course=course, enrollment=enrollment
            ),
        },
    )


def _course_home_review(request: HttpRequest, course, enrollment) -> HttpResponse:
    """A completed course's home: every lesson open to reread (read-only, nothing
    is recorded), its certificate, and when renewal opens."""
    modules = selectors.modules_with_lessons(course=course)
    return render(
        request,
        "courses/course_home.html",
        {
            "course": course,
            "enrollment": enrollment,
            "plan": selectors.course_plan_for(
                user=request.user, enrollment=enrollment, modules=modules
            ),
            "review": True,
            "panel": selectors.enrolment_panel_for(user=request.user, course=course),
        },
    )


def _course_home_waiting(request: HttpRequest, course, enrollment) -> HttpResponse:
    """The course home of an enrollment whose final was passed while a prerequisite
    was no longer current: what it waits for; nothing to study or take meanwhile."""
    modules = selectors.modules_with_lessons(course=course)
    return render(
        request,
        "courses/course_home.html",
        {
            "course": course,
            "enrollment": enrollment,
            "plan": selectors.course_plan_for(
                user=request.user, enrollment=enrollment, modules=modules
            ),
            "waiting_for": selectors.prerequisites_missing(
                user=request.user, course=course
            ),
        },
    )


@login_required
# Kept too: a lesson opened again with nothing changed since writes nothing
# (services.lesson_open), and any write to the learner's records (a failure moving
# the lesson-views mark included) moves their state version: the page is drawn
# again, and the opening recorded, exactly when it would write.
@kept_learner_page(variant=_content)
def lesson_detail(
    request: HttpRequest, slug: str, module: str, lesson: str
) -> HttpResponse:
    as_staff = staff_verified(request)
    course = selectors.course_for_viewer(slug=slug, as_staff=as_staff)
    modules = selectors.modules_with_lessons(course=course, include_drafts=as_staff)
    # Looked up once, with the learner's completed lessons (one query), and with
    # the exams' and cases' state where "continue" needs the whole plan: from a
    # module's last lesson (its quiz follows). Elsewhere the plan is built only
    # when every later lesson of the module is done (its sources then read it).
    enrollment = selectors.enrollment_open_with_state(
        user=request.user,
        course=course,
        steps=lesson_ends_module(
            modules=modules, module_slug=module, lesson_slug=lesson
        ),
    )
    active = enrollment is not None and enrollment.status == Enrollment.Status.ACTIVE
    # Read-only: staff previewing, or a learner rereading a course they completed.
    staff_preview = as_staff and not active
    review = None
    if not active and not staff_preview:
        review = selectors.enrollment_for_review(user=request.user, course=course)
        if review is None:
            _active_or_message(request, course, enrollment)
            return redirect(course)
    current = selectors.lesson_for_viewer(
        course=course, module_slug=module, lesson_slug=lesson, as_staff=as_staff
    )
    place = selectors.lesson_neighbours(modules=modules, lesson=current)
    done_ids: set[int] = set()
    following = None
    if active:
        services.lesson_open(enrollment=enrollment, lesson=current)
        done_ids = selectors.completed_lesson_ids(enrollment=enrollment)
        following = continue_from(
            user=request.user,
            enrollment=enrollment,
            modules=modules,
            lesson=current,
            done_ids=done_ids,
        )
    return render(
        request,
        "courses/lesson_detail.html",
        {
            "course": course,
            "module": place.lesson.module,
            "lesson": current,
            "previous": place.previous,
            "next": place.next,
            "done_ids": done_ids,
            "is_done": current.pk in done_ids,
            "staff_preview": staff_preview,
            "review": review,
            "following": following,
        },
    )


@login_required
@require_POST
def lesson_complete(
    request: HttpRequest, slug: str, module: str, lesson: str
) -> HttpResponse:
    course = selectors.course_for_viewer(slug=slug, as_staff=staff_verified(request))
    enrollment = _require_enrollment(request, course)
    if enrollment is None:
        return redirect(course)
    current = selectors.lesson_for_viewer(
        course=course,
        module_slug=module,
        lesson_slug=lesson,
        as_staff=staff_verified(request),
    )
    try:
        services.lesson_complete(enrollment=enrollment, lesson=current)
    except LifelineError as error:
        messages.error(request, error.message)
        return redirect(current)
    # "Mark complete" without moving on posts next=stay.
    if request.POST.get("next") == "stay":
        messages.success(request, f"“{current.title}” marked complete.")
        return redirect("courses:home", slug=course.slug)
    modules = selectors.modules_with_lessons(course=course)
    plan = selectors.course_plan_for(
        user=request.user, enrollment=enrollment, modules=modules
    )
    following = plan.following(lesson_key(current))
    if following is None or not following.url:
        messages.success(request, f"“{current.title}” marked complete.")
        return redirect("courses:home", slug=course.slug)
    if following.kind != StepKind.LESSON:
        messages.success(
            request, f"“{current.title}” marked complete. Up next: {following.title}."
        )
    return redirect(following.url)


def _image_etag(request: HttpRequest, slug: str, path: str) -> str | None:
    images = CourseImage.objects.filter(course__slug=slug, path=f"images/{path}")
    if not staff_verified(request):
        images = images.filter(course__is_published=True)
    sha = images.values_list("sha256", flat=True).first()
    return f'"{sha}"' if sha else None


@condition(etag_func=_image_etag)
def course_image(request: HttpRequest, slug: str, path: str) -> HttpResponse:
    """A course figure or ECG strip. Public like the course page it belongs to."""
    image = get_object_or_404(
        CourseImage.objects.select_related("course"),
        course__slug=slug,
        path=f"images/{path}",
    )
    if not image.course.is_published and not staff_verified(request):
        raise Http404("No such image.")
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    # A draft course's figures are for staff only: no shared cache may keep them.
    published = image.course.is_published
    response["Cache-Control"] = f"{'public' if published else 'private'}, max-age=3600"
    response["Last-Modified"] = http_date(image.updated_at.timestamp())
    # An SVG opened on its own must not run anything, whatever an author put in it.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@login_required
@kept_learner_page(variant=_content)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = selectors.dashboard_for(
        user=request.user, as_staff=staff_verified(request)
    )
    return render(request, "courses/dashboard.html", context)
