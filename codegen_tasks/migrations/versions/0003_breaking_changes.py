"""breaking-change report of a run

Revision ID: 0003
Revises: 0002_budget
Create Date: 2026-12-01 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_budget"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: not computed yet (the run is not closed); [] when there was nothing to report
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("breaking_changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("breaking_changes")
