"""one name per value: runs.force_regenerate, generation_history.request_hash (indexed, as
llm_calls.request_hash: a generation joins the LLM call that answered it)

Revision ID: 0005_rules
Revises: 0004_runtime
Create Date: 2026-12-01 19:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005_rules"
down_revision = "0004_runtime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("force", new_column_name="force_regenerate")
    with op.batch_alter_table("generation_history") as batch:
        batch.alter_column("prompt_hash", new_column_name="request_hash")
    op.create_index("ix_generation_history_request_hash", "generation_history", ["request_hash"])
    op.create_index("ix_llm_calls_request_hash", "llm_calls", ["request_hash"])


def downgrade() -> None:
    op.drop_index("ix_llm_calls_request_hash", "llm_calls")
    op.drop_index("ix_generation_history_request_hash", "generation_history")
    with op.batch_alter_table("generation_history") as batch:
        batch.alter_column("request_hash", new_column_name="prompt_hash")
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("force_regenerate", new_column_name="force")
