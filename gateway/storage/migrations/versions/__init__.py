"""Schema revisions; Alembic skips this file."""
