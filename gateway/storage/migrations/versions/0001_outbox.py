"""Outbox, inbox and SIM budget tables.

Types are spelled as plain SQLAlchemy types (not the application's TypeDecorators) so that this
revision stays valid whatever later code does. Priority is a small integer (0 alert, 1 operational,
2 reminder); states are short strings checked by the application.

Revision ID: 0001_outbox
Revises:
Create Date: 2026-11-28 01:06:20.795670
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_outbox"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("modem_id", sa.String(length=32), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Enum("reply", "stop", name="inboxkind", native_enum=False, length=8), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("linked_alert_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_message")),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_message_pending", ["handled", "stored_at"], unique=False)
        batch_op.create_index("ix_inbox_message_sender", ["sender"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "sending",
                "sent",
                "delivered",
                "failed",
                "dead",
                "cancelled",
                name="messagestate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modem_id", sa.String(length=32), nullable=True),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("message_refs", sa.String(length=200), nullable=True),
        sa.Column("segments", sa.SmallInteger(), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_alert_id", ["alert_id"], unique=False)
        batch_op.create_index("ix_outbox_message_campaign_id", ["campaign_id"], unique=False)
        batch_op.create_index("ix_outbox_message_claim", ["state", "priority", "created_at", "id"], unique=False)
        batch_op.create_index("ix_outbox_message_expiry", ["state", "expires_at"], unique=False)
        batch_op.create_index("ix_outbox_message_recipient", ["recipient", "sent_at"], unique=False)
        batch_op.create_index("ix_outbox_message_worker", ["state", "worker_id", "claimed_at"], unique=False)

    op.create_table(
        "sim_recipient",
        sa.Column("imsi", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("imsi", "month", "number", name=op.f("pk_sim_recipient")),
    )
    with op.batch_alter_table("sim_recipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sim_recipient_number"), ["number"], unique=False)

    op.create_table(
        "sim_usage",
        sa.Column("imsi", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("imsi", "day", name=op.f("pk_sim_usage")),
    )
    op.create_table(
        "outbox_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("part_no", sa.SmallInteger(), nullable=False),
        sa.Column("modem_id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_outbox_part_message_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_part")),
    )
    with op.batch_alter_table("outbox_part", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_part_match", ["modem_id", "reference", "submitted_at"], unique=False)
        batch_op.create_index("ix_outbox_part_message_id", ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_part", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_part_message_id")
        batch_op.drop_index("ix_outbox_part_match")

    op.drop_table("outbox_part")
    op.drop_table("sim_usage")
    with op.batch_alter_table("sim_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sim_recipient_number"))

    op.drop_table("sim_recipient")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_worker")
        batch_op.drop_index("ix_outbox_message_recipient")
        batch_op.drop_index("ix_outbox_message_expiry")
        batch_op.drop_index("ix_outbox_message_claim")
        batch_op.drop_index("ix_outbox_message_campaign_id")
        batch_op.drop_index("ix_outbox_message_alert_id")

    op.drop_table("outbox_message")
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_message_sender")
        batch_op.drop_index("ix_inbox_message_pending")

    op.drop_table("inbox_message")
