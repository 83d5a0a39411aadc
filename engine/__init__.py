"""The complaint-handling engine: pure domain and use cases; no Flask, no SQL.

The table of contents: each use case is one function, dependencies keyword-only and last.
"""

from engine.cases import (
    complete_task,
    list_work_items,
    open_task,
    process_diagram,
    record_status_request,
    show_case,
    start_case,
    status_answer,
)
from engine.outbox import (
    list_undelivered_messages,
    mark_message_handled,
    next_work_at,
    retry_message,
    send_due_messages,
)
from engine.timers import fire_due_timers
from engine.users import add_user, get_user, list_users, set_password
from engine.versions import check_upload, deploy_process_version, list_versions
from engine.worklist import Filters, claim_task, sla_state, task_list

__all__ = [
    "Filters",
    "claim_task",
    "sla_state",
    "task_list",
    "add_user",
    "get_user",
    "list_users",
    "set_password",
    "check_upload",
    "complete_task",
    "open_task",
    "process_diagram",
    "deploy_process_version",
    "fire_due_timers",
    "list_versions",
    "list_work_items",
    "list_undelivered_messages",
    "mark_message_handled",
    "next_work_at",
    "retry_message",
    "send_due_messages",
    "record_status_request",
    "show_case",
    "start_case",
    "status_answer",
]
