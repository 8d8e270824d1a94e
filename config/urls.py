from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import health

# The admin signs in through allauth: its rate limits and two-factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Lifeline administration"
admin.site.site_title = "Lifeline admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("certificates.urls")),
    path("exams/", include("exams.urls")),
    path("organizations/", include("organizations.urls")),
    path("cases/", include("cases.urls")),
    path("", include("courses.urls")),
]
