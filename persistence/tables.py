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
    Column("id", String(64), primary_key=True),  # sha256 of the BPMN and its forms
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
