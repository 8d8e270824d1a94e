from django.urls import path, re_path

from . import views

app_name = "organizations"

# /organizations/invitations/<token>/ and /organizations/join/<token>/ are e-mailed
# and shared: keep them stable.
urlpatterns = [
    path("", views.memberships, name="memberships"),
    path("invitations/<int:pk>/accept/", views.invitation_accept_listed, name="accept"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("join/<str:token>/", views.join, name="join"),
    path("memberships/<int:pk>/consent/", views.consent, name="consent"),
    path("memberships/<int:pk>/leave/", views.leave, name="leave"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    re_path(
        r"^(?P<slug>[-\w]+)/export\.(?P<fmt>csv|xlsx)$", views.export, name="export"
    ),
    path("<slug:slug>/members/<int:pk>/", views.member, name="member"),
    path("<slug:slug>/invitations/", views.invitations, name="invitations"),
    path(
        "<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<slug:slug>/join-links/", views.join_links, name="join_links"),
    path(
        "<slug:slug>/join-links/<int:pk>/deactivate/",
        views.join_link_deactivate,
        name="join_link_deactivate",
    ),
    path("<slug:slug>/requirements/", views.requirements, name="requirements"),
    path(
        "<slug:slug>/requirements/<int:pk>/remove/",
        views.requirement_remove,
        name="requirement_remove",
    ),
]
