"""Writes of certificates, outside cards and renewal reminders, by subdomain.

Views, admin actions, Celery tasks, event handlers and commands call these; nothing
else changes Certificate, ExternalCertificate or RenewalReminder rows. Every function
is safe to call twice with the same input: the second call finds the work done and
does nothing. Each decision that matters to a credential is recorded in the audit
trail (audit.services.audit_record) inside the deciding transaction.

- `issuing`: certificate row, PDF, issue e-mail; the missing-legal-name request.
- `revocation`: staff revoke a certificate.
- `external`: outside cards submitted, reviewed, their decision e-mailed.
- `reminders`: renewal reminders, once each.
- `sweeper`: queues the work whose own task was lost.
- `emails`: how every e-mail above is built and sent once (claim, send, mark).
"""
