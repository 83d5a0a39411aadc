"""Inbound messages (e-mail, chat, social media) and their attachments; quarantine of bad mail.

Revision ID: i5b_01
Revises: i7_01
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "i5b_01"  # kept from before the files were renamed: databases store it
down_revision = "i7_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(1000), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=True),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external_id"),
    )
    op.create_index("ix_inbound_case", "inbound_messages", ["case_id"])
    op.create_index("ix_inbound_outcome_received", "inbound_messages", ["outcome", "received_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("inbound_id", sa.String(32), sa.ForeignKey("inbound_messages.id"), nullable=False),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_attachments_case", "attachments", ["case_id"])


def downgrade() -> None:
    op.drop_table("attachments")
    op.drop_table("inbound_messages")
