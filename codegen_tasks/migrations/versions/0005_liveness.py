"""liveness: node heartbeats and re-dispatch counts; the run's job options

Revision ID: 0005_liveness
Revises: 0005_rules
Create Date: 2026-12-01 19:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_liveness"
down_revision = "0005_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run_nodes", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "run_nodes",
        sa.Column("redispatches", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("runs", sa.Column("mode", sa.String(length=16), nullable=True))
    op.add_column("runs", sa.Column("stream", sa.Boolean(), nullable=True))
    op.add_column("runs", sa.Column("ai_review", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("ai_review")
        batch.drop_column("stream")
        batch.drop_column("mode")
    with op.batch_alter_table("run_nodes") as batch:
        batch.drop_column("redispatches")
        batch.drop_column("heartbeat_at")
