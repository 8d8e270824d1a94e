"""Pages of organizations, by subdomain; urls.py names each view by its module.

- `roster`: the learner's invitations and memberships; the administrator's
  compliance dashboard, member history, export, invitations, join links and
  required courses.
- `api_tokens`: the administrator's API tokens (created, shown once, revoked).
"""
