"""Append-only audit log: who did what, when, to what, and how many (imports, renewals, withdrawals, alerts)."""

from gateway.audit.log import AuditError, entries, record
from gateway.audit.models import AuditEntry

__all__ = ["AuditEntry", "AuditError", "entries", "record"]
