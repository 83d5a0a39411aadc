"""Auditing: who viewed whose personal data (an access log), and cases found by moment of receipt.

Revision ID: i7_01
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "i7_01"  # kept from before the files were renamed: databases store it
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_data_views",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("personal_data_id", sa.String(length=32), nullable=False),
        sa.Column("viewer", sa.String(length=100), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personal_data_views", schema=None) as batch_op:
        batch_op.create_index("ix_personal_data_views_case", ["case_id", "viewed_at"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_received_at")
    with op.batch_alter_table("personal_data_views", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_data_views_case")
    op.drop_table("personal_data_views")
