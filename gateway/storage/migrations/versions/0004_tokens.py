"""API tokens: owner, role, SHA-256 of the secret, revocation.

Revision ID: 0004_tokens
Revises: 0003_alerts
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_tokens"
down_revision: str | None = "0003_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("alerts", "members", "read", "admin")


def upgrade() -> None:
    allowed = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="token_role", native_enum=False, create_constraint=False, length=16),
            nullable=False,
        ),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN ({allowed})", name=op.f("ck_api_token_token_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_token_key_id")),
    )


def downgrade() -> None:
    op.drop_table("api_token")
