"""Certificates and outside cards in the admin.

Both are evidence: nothing here edits or deletes them. Staff act through the services:
revoke a certificate, approve or reject an outside card; each asks for a reason or a
note on an intermediate page, and the service records who did it and when (on the row
and in the audit trail). A card page lists every decision taken on it. The Open Badges
signing keys and status lists are shown read-only.
"""

from . import certificates, credentials, external  # noqa: F401  (registers them)
