"""The schema, as SQLAlchemy Core tables; Alembic migrations create it (never create_all)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the database layer")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


process_versions = Table(
    "process_versions", metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the process key, the BPMN and its forms
    Column("process_key", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("process_id", String(200), nullable=False),
    Column("name", String(500), nullable=False),
    Column("bpmn_xml", LargeBinary, nullable=False),
    Column("forms", JSON, nullable=False),
    Column("spec", JSON, nullable=False),
    Column("user_tasks", JSON, nullable=False),
    Column("deployed_by", String(100), nullable=False),
    Column("deployed_at", UtcDateTime, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    UniqueConstraint("process_key", "number", name="uq_process_versions_key_number"),
)  # fmt: skip

cases = Table(
    "cases", metadata,
    Column("id", String(32), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("process_key", String(100), nullable=False),
    Column("version_id", String(64), ForeignKey("process_versions.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("stage", String(500), nullable=False),
    Column("state", LargeBinary, nullable=False),  # compressed JSON of the instance, no spec
    Column("next_timer_at", UtcDateTime, nullable=True),
    Column("deadlines", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("revision", Integer, nullable=False),  # optimistic lock
    Column("error", Text, nullable=True),
    Column("event_seq", Integer, nullable=False),  # head of the history chain
    Column("event_hash", String(64), nullable=False),
    Index("ix_cases_next_timer_at", "next_timer_at"),
    Index("ix_cases_received_at", "received_at"),
)  # fmt: skip

personal_data = Table(
    "personal_data", metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False, unique=True),
    Column("surname", String(100), nullable=False),
    Column("given_name", String(100), nullable=False),
    Column("patronymic", String(100), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("email", String(254), nullable=False),
    Column("employee", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("erased_at", UtcDateTime, nullable=True),
)  # fmt: skip

personal_data_views = Table(
    "personal_data_views", metadata,  # who saw whose personal data, when, where (no data itself)
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("personal_data_id", String(32), nullable=False),
    Column("viewer", String(100), nullable=False),
    Column("viewed_at", UtcDateTime, nullable=False),
    Column("place", String(40), nullable=False),
    Index("ix_personal_data_views_case", "case_id", "viewed_at"),
)  # fmt: skip

work_items = Table(
    "work_items", metadata,
    Column("case_id", String(32), ForeignKey("cases.id"), primary_key=True),
    Column("task_id", String(36), primary_key=True),
    Column("bpmn_id", String(200), nullable=False),
    Column("name", String(500), nullable=False),
    Column("lane", String(100), nullable=False),
    Column("form", String(200), nullable=True),
    Column("reference", String(32), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("assignee", String(100), nullable=True),
    Index("ix_work_items_lane_due", "lane", "due_at", "created_at"),
    Index("ix_work_items_lane_channel_due", "lane", "channel", "due_at", "created_at"),
)  # fmt: skip

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("data", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("key_id", String(40), nullable=True),  # the history key that signed it; NULL: plain SHA-256
    UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
)  # fmt: skip

outbox = Table(
    "outbox", metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("message", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),  # set while pending
    Index("ix_outbox_status_created", "status", "created_at"),
    Index("ix_outbox_case", "case_id"),
    Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
)  # fmt: skip

reference_counters = Table(
    "reference_counters", metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)  # fmt: skip

users = Table(
    "users", metadata,
    Column("username", String(100), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("roles", String(500), nullable=False),  # space-separated
    Column("password_hash", String(500), nullable=False),
)  # fmt: skip

process_drafts = Table(
    "process_drafts", metadata,
    Column("id", String(32), primary_key=True),
    Column("process_key", String(100), nullable=False, index=True),
    Column("bpmn_xml", LargeBinary, nullable=False),
    Column("forms", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("based_on", String(64), nullable=True),
    Column("comment", Text, nullable=False),
    Column("problems", JSON, nullable=False),
)  # fmt: skip

inbound_messages = Table(
    "inbound_messages", metadata,
    Column("id", String(32), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(500), nullable=False),  # Message-ID / integration message id
    Column("received_at", UtcDateTime, nullable=False),
    Column("outcome", String(12), nullable=False),  # opened | attached | quarantined
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=True),
    Column("sender", String(320), nullable=False),
    Column("subject", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary, nullable=True),  # kept only while quarantined
    Column("attachments", JSON, nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external_id"),
    Index("ix_inbound_case", "case_id"),
    Index("ix_inbound_outcome_received", "outcome", "received_at"),
)  # fmt: skip

attachments = Table(
    "attachments", metadata,
    Column("id", String(32), primary_key=True),
    Column("inbound_id", String(32), ForeignKey("inbound_messages.id"), nullable=False),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_attachments_case", "case_id"),
)  # fmt: skip
