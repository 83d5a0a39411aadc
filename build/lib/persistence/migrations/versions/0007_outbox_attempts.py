"""The outbox is sent with retries: when a pending message is next due, found through an index.

Revision ID: i5a_01
Revises: i5b_01
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "i5a_01"  # kept from before the files were renamed: databases store it
down_revision = "i5b_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_status_next_attempt", ["status", "next_attempt_at"])
    op.execute("UPDATE outbox SET next_attempt_at = created_at WHERE status = 'pending'")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_next_attempt")
        batch_op.drop_column("next_attempt_at")
