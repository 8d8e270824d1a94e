from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    # Attempts and statistics first: a course slug never shadows them.
    path("attempts/<int:attempt_id>/", views.play, name="play"),
    path("attempts/<int:attempt_id>/act/", views.act, name="act"),
    path("attempts/<int:attempt_id>/abandon/", views.abandon, name="abandon"),
    path("attempts/<int:attempt_id>/debrief/", views.debrief, name="debrief"),
    path("statistics/<int:case_id>/", views.statistics, name="statistics"),
    path("<slug:course>/", views.course_cases, name="list"),
    path("<slug:course>/<slug:case>/", views.briefing, name="briefing"),
    path("<slug:course>/<slug:case>/start/", views.start, name="start"),
]
