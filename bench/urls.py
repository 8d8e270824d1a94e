"""The site's URLs plus two reference pages the scale benchmark measures beside the
learner pages (issue 19: "a plain Django template page with 3 queries" and "the
same page extending the site's base.html", the practical ceiling the learner
pages' targets were set from). Never mounted by the site itself (config.urls)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from certificates.models import Certificate
from config.urls import urlpatterns as site_urlpatterns
from courses.models import Course, Enrollment


def _reference(template_name: str):
    @login_required
    def view(request):
        # Three small queries, written as a plain Django view would write them.
        return render(
            request,
            template_name,
            {
                "courses": list(
                    Course.objects.filter(is_published=True).values_list(
                        "title", "code"
                    )
                ),
                "enrollments": Enrollment.objects.filter(user=request.user).count(),
                "certificates": Certificate.objects.filter(user=request.user).count(),
            },
        )

    return view


urlpatterns = [
    path("bench/reference/plain/", _reference("bench/reference_plain.html")),
    path("bench/reference/base/", _reference("bench/reference_base.html")),
    *site_urlpatterns,
]
