from django.urls import path

from . import views

app_name = "certificates"

# /verify/ and /certificates/<code>/pdf/ are printed on certificates and in e-mails:
# keep them stable.
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
    path("certificates/outside/", views.external_upload, name="external_upload"),
    path(
        "certificates/outside/<int:pk>/file/",
        views.external_file,
        name="external_file",
    ),
    path("certificates/<str:code>/pdf/", views.certificate_pdf, name="pdf"),
]
