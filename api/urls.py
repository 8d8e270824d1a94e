from django.urls import path

from .v1 import api as v1

# /api/v1/ is the contract employers' systems are written against: keep it stable;
# a change that breaks a client is a /api/v2/.
urlpatterns = [
    path("v1/", v1.urls),
]
