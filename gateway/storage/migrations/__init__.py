"""Alembic environment and revisions of the gateway's schema (run through ``gateway.storage.migrate``)."""
