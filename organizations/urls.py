from django.urls import path, re_path

from .views import api_tokens, roster, seats, skills

app_name = "organizations"

# /organizations/invitations/<token>/ and /organizations/join/<token>/ are e-mailed
# and shared: keep them stable.
urlpatterns = [
    path("", roster.memberships, name="memberships"),
    path(
        "invitations/<int:pk>/accept/", roster.invitation_accept_listed, name="accept"
    ),
    path("invitations/<str:token>/", roster.invitation, name="invitation"),
    path("join/<str:token>/", roster.join, name="join"),
    path("memberships/<int:pk>/consent/", roster.consent, name="consent"),
    path("memberships/<int:pk>/leave/", roster.leave, name="leave"),
    path("seats/", seats.seat_redeem, name="seat_redeem"),
    path("<slug:slug>/", roster.dashboard, name="dashboard"),
    re_path(
        r"^(?P<slug>[-\w]+)/export\.(?P<fmt>csv|xlsx)$", roster.export, name="export"
    ),
    path("<slug:slug>/members/<int:pk>/", roster.member, name="member"),
    path("<slug:slug>/invitations/", roster.invitations, name="invitations"),
    path(
        "<slug:slug>/invitations/<int:pk>/revoke/",
        roster.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<slug:slug>/join-links/", roster.join_links, name="join_links"),
    path(
        "<slug:slug>/join-links/<int:pk>/deactivate/",
        roster.join_link_deactivate,
        name="join_link_deactivate",
    ),
    path("<slug:slug>/requirements/", roster.requirements, name="requirements"),
    path(
        "<slug:slug>/requirements/<int:pk>/remove/",
        roster.requirement_remove,
        name="requirement_remove",
    ),
    path("<slug:slug>/api-tokens/", api_tokens.api_tokens, name="api_tokens"),
    path(
        "<slug:slug>/api-tokens/<int:pk>/revoke/",
        api_tokens.api_token_revoke,
        name="api_token_revoke",
    ),
    path("<slug:slug>/seats/", seats.seats, name="seats"),
    path("<slug:slug>/seats/<int:pk>/revoke/", seats.seat_revoke, name="seat_revoke"),
    path("<slug:slug>/skills/", skills.skills, name="skills"),
    path(
        "<slug:slug>/skills/<int:pk>/<slug:course>/record/",
        skills.skills_record,
        name="skills_record",
    ),
    path(
        "<slug:slug>/skills/checks/<int:pk>/revoke/",
        skills.skills_revoke,
        name="skills_revoke",
    ),
]
