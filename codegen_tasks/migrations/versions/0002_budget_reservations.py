"""budget reservations and error codes

Revision ID: 0002_budget
Revises: 0001
Create Date: 2026-12-01 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_budget"
down_revision = "0001"
branch_labels = None
depends_on = None

ERROR_COLUMNS = ("generation_history", "run_nodes")


def upgrade() -> None:
    op.create_table(
        "budget_locks",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("project_id", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("amount_usd", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("budget_reservations", schema=None) as batch_op:
        for column in ("run_id", "user_id", "project_id", "expires_at"):
            batch_op.create_index(batch_op.f(f"ix_budget_reservations_{column}"), [column])
    for table in ERROR_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("error_code", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("error_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ERROR_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("error_status")
            batch_op.drop_column("error_code")
    with op.batch_alter_table("budget_reservations", schema=None) as batch_op:
        for column in ("expires_at", "project_id", "user_id", "run_id"):
            batch_op.drop_index(batch_op.f(f"ix_budget_reservations_{column}"))
    op.drop_table("budget_reservations")
    op.drop_table("budget_locks")
