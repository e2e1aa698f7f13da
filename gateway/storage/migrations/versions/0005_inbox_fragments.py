"""Parts of concatenated incoming SMS waiting for the others.

Revision ID: 0005_inbox_fragments
Revises: 0004_tokens
Create Date: 2026-11-28 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_inbox_fragments"
down_revision: str | None = "0004_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_fragment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("modem_id", sa.String(length=32), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("total", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("units", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_fragment")),
    )
    with op.batch_alter_table("inbox_fragment", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_fragment_message", ["modem_id", "sender", "reference", "total"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox_fragment", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_fragment_message")
    op.drop_table("inbox_fragment")
