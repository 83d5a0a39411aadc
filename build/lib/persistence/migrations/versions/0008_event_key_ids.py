"""Keyed history: the id of the history key that signed each event (NULL: recorded before keys).

Revision ID: event_key_ids
Revises: i5a_01
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "event_key_ids"  # kept from before the files were renamed: databases store it
down_revision = "i5a_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
