from django.urls import path

from . import views

app_name = "certificates"

# /verify/ and /certificates/<code>/pdf/ are printed on certificates and in e-mails, and
# /credentials/ is written into every Open Badges credential:
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
    path(
        "certificates/<str:code>/credential/",
        views.certificate_credential,
        name="credential",
    ),
    # Open Badges 3.0: named inside every credential ever issued; never move them.
    path("credentials/issuer/", views.issuer_profile, name="issuer_profile"),
    path("credentials/keys/", views.public_keys, name="public_keys"),
    path("credentials/keys/<str:thumbprint>/", views.public_key, name="public_key"),
    path("credentials/status/<int:number>/", views.status_list, name="status_list"),
]
