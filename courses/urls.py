from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", views.course_detail, name="detail"),
    path("courses/<slug:slug>/enroll/", views.enroll, name="enroll"),
    path("courses/<slug:slug>/images/<path:path>", views.course_image, name="image"),
    # About, accreditation, privacy, terms, contact (content/pages/).
    path("about/", views.info_page, {"slug": "about"}, name="about"),
    path("about/<slug:slug>/", views.info_page, name="info_page"),
    path("bundles/<slug:slug>/enroll/", views.bundle_enroll, name="bundle_enroll"),
    path("learn/<slug:slug>/", views.course_home, name="home"),
    path(
        "learn/<slug:slug>/<slug:module>/<slug:lesson>/",
        views.lesson_detail,
        name="lesson",
    ),
    path(
        "learn/<slug:slug>/<slug:module>/<slug:lesson>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
]
