"""Establishments: a member is one establishment (SIRET), grouped under its business (SIREN).

Each existing member becomes one establishment known by its SIREN only (no SIRET yet): its id, numbers,
reminders and audit history stay as they are. The SIREN is no longer unique (a business may register
several establishments); a SIRET is unique; at most one establishment per SIREN has no SIRET, so that a
SIREN alone still names one establishment.

SQLite rebuilds the table to drop the SIREN's unique constraint: ``gateway.storage.migrate`` turns foreign
keys off around migrations (SQLite's documented procedure), otherwise dropping the old table would cascade
to the numbers.

Revision ID: 0006_establishments
Revises: 0005_inbox_fragments
Create Date: 2026-11-28 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_establishments"
down_revision: str | None = "0005_inbox_fragments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHOUT_SIRET = sa.text("siret IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("registry_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("siret", sa.String(length=14), nullable=True))
        batch_op.drop_constraint("uq_registry_member_siren", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_registry_member_siret"), ["siret"])
        batch_op.create_index(batch_op.f("ix_registry_member_siren"), ["siren"], unique=False)
        batch_op.create_index(
            "uq_registry_member_siren_without_siret",
            ["siren"],
            unique=True,
            sqlite_where=WITHOUT_SIRET,
            postgresql_where=WITHOUT_SIRET,
        )


def downgrade() -> None:
    # Only possible while every business has one establishment: the unique SIREN comes back.
    with op.batch_alter_table("registry_member", schema=None) as batch_op:
        batch_op.drop_index("uq_registry_member_siren_without_siret")
        batch_op.drop_index(batch_op.f("ix_registry_member_siren"))
        batch_op.drop_constraint(batch_op.f("uq_registry_member_siret"), type_="unique")
        batch_op.create_unique_constraint("uq_registry_member_siren", ["siren"])
        batch_op.drop_column("siret")
