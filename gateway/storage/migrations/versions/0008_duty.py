"""The duty officer's alert and the report afterwards: nearest first (a rank on outbox rows, in the claim's index),
the template an alert was written from, the establishments each number stood for, and the inbox's handled and
pushed marks.

Revision ID: 0008_duty
Revises: 0006_establishments
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_duty"
down_revision: str | None = "0006_establishments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CLAIM = ["state", "priority", "created_at", "id"]
NEW_CLAIM = ["state", "priority", "created_at", "rank", "id"]


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rank", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.drop_index("ix_outbox_message_claim")
        batch_op.create_index("ix_outbox_message_claim", NEW_CLAIM, unique=False)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=True))
    with op.batch_alter_table("alert_recipient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("stop_suspected", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_column("forwarded_at")
        batch_op.drop_column("stop_suspected")
        batch_op.drop_column("handled_by")
        batch_op.drop_column("handled_at")
    with op.batch_alter_table("alert_recipient", schema=None) as batch_op:
        batch_op.drop_column("member_ids")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("template")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_claim")
        batch_op.create_index("ix_outbox_message_claim", OLD_CLAIM, unique=False)
        batch_op.drop_column("rank")
