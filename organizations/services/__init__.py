"""Writes of organizations, by subdomain. Views, the admin, tasks and commands call
these; nothing else changes an organization's rows. Each is safe to call twice
(the second call finds the work done) and records its decision in the audit trail
inside its transaction.

- `memberships`: joining, consent, leaving; roles (site staff).
- `invitations`: one address, a roster validated as a whole, join links, accepting.
- `requirements`: job roles and required courses.
- `digest`: the weekly digest to administrators, once per ISO week.
- `seats`: prepaid seats issued by staff, given to members with a code, redeemed.
- `skills`: instructors' hands-on skills checks, attached to the certificate.
- `api_tokens`: the keys an organization's systems call the API with.
"""

from .api_tokens import (
    ApiTokenCreated,
    api_token_create,
    api_token_revoke,
    api_token_touch,
)
from .digest import weekly_digest_send, weekly_digest_week
from .invitations import (
    INVITATION_VALID_DAYS,
    Invited,
    JoinLinkCreated,
    RosterImport,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    invitations_import,
    join_link_create,
    join_link_deactivate,
    join_link_join,
    roster_validate,
)
from .memberships import (
    membership_add_by_staff,
    membership_consent_set,
    membership_join,
    membership_leave,
    membership_update_by_staff,
    organization_save,
    require_admin,
)
from .requirements import job_role_add, requirement_add, requirement_remove
from .seats import (
    SeatAssigned,
    SeatRedeemed,
    seat_assign,
    seat_assignment_revoke,
    seat_redeem,
    seats_issue,
)
from .skills import (
    ATTESTATION,
    attestation_for,
    require_instructor,
    skills_check_record,
    skills_check_revoke,
)

__all__ = [
    "ATTESTATION",
    "INVITATION_VALID_DAYS",
    "ApiTokenCreated",
    "Invited",
    "JoinLinkCreated",
    "RosterImport",
    "SeatAssigned",
    "SeatRedeemed",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "attestation_for",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "invitations_import",
    "job_role_add",
    "join_link_create",
    "join_link_deactivate",
    "join_link_join",
    "membership_add_by_staff",
    "membership_consent_set",
    "membership_join",
    "membership_leave",
    "membership_update_by_staff",
    "organization_save",
    "require_admin",
    "require_instructor",
    "requirement_add",
    "requirement_remove",
    "roster_validate",
    "seat_assign",
    "seat_assignment_revoke",
    "seat_redeem",
    "seats_issue",
    "skills_check_record",
    "skills_check_revoke",
    "weekly_digest_send",
    "weekly_digest_week",
]
