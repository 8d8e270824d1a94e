from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("<int:exam_id>/", views.detail, name="detail"),
    path("<int:exam_id>/start/", views.start, name="start"),
    path("<int:exam_id>/history/", views.history, name="history"),
    path("<int:exam_id>/statistics/", views.statistics, name="statistics"),
    path("attempts/<int:attempt_id>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:attempt_id>/answer/", views.answer, name="answer"),
]
