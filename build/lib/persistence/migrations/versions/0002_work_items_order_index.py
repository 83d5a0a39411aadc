"""Task lists order by (due_at, created_at) within a lane: one index serves filter and order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_items_lane_due")
        batch_op.create_index("ix_work_items_lane_due", ["lane", "due_at", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_items_lane_due")
        batch_op.create_index("ix_work_items_lane_due", ["lane", "due_at"], unique=False)
