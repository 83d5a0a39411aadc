"""The complaint-handling engine: pure domain and use cases; no Flask, no SQL.

The table of contents: each use case is one function, dependencies keyword-only and last.
"""

from engine.audit.chain_heads import check_chain_heads, export_chain_heads
from engine.audit.disclosure import view_case, view_task
from engine.audit.privacy import erase_personal_data, log_personal_data_view
from engine.audit.reports import sla_report
from engine.audit.verification import (
    case_history,
    count_cases,
    history_rows,
    replay_against_draft,
    verify_case,
    verify_cases,
)
from engine.casework.cases import (
    complete_task,
    list_work_items,
    open_task,
    process_diagram,
    show_case,
    start_case,
)
from engine.casework.status import check_status, record_status_request, status_answer
from engine.casework.timers import fire_due_timers
from engine.casework.worklist import Filters, claim_task, task_list
from engine.correspondence.inbound import (
    attachment,
    inbound_message,
    list_quarantine,
    receive_email,
    receive_intake_message,
)
from engine.correspondence.outbox import (
    list_undelivered_messages,
    mark_message_handled,
    next_work_at,
    retry_message,
    send_due_messages,
)
from engine.kernel import errors, model  # the vocabulary every caller shares: engine.model, engine.errors
from engine.kernel.users import add_user, get_user, list_users, set_password
from engine.process_models.diff import compare_versions, diff_versions
from engine.process_models.drafts import (
    deploy_draft,
    discard_draft,
    get_draft,
    list_drafts,
    open_draft,
    save_draft,
    upload_draft,
)
from engine.process_models.migration import migrate_cases, parse_mapping
from engine.process_models.versions import check_upload, deploy_process_version, list_versions

__all__ = [
    "errors",
    "model",
    "compare_versions",
    "deploy_draft",
    "diff_versions",
    "discard_draft",
    "get_draft",
    "list_drafts",
    "migrate_cases",
    "open_draft",
    "parse_mapping",
    "save_draft",
    "upload_draft",
    "case_history",
    "check_chain_heads",
    "count_cases",
    "export_chain_heads",
    "erase_personal_data",
    "history_rows",
    "log_personal_data_view",
    "replay_against_draft",
    "sla_report",
    "verify_case",
    "verify_cases",
    "attachment",
    "check_status",
    "inbound_message",
    "list_quarantine",
    "receive_email",
    "receive_intake_message",
    "Filters",
    "claim_task",
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
    "view_case",
    "view_task",
]
