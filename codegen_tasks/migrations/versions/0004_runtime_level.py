"""validation results: the runtime level

Revision ID: 0004_runtime
Revises: 0003
Create Date: 2026-12-01 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_runtime"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("validation_results", sa.Column("runtime_passed", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("validation_results", "runtime_passed")
