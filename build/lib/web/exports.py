"""The exports auditors take away, the same from the audit pages and the CLI: a case history as
JSON or CSV, the SLA report as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import engine


def history_json(record: Any) -> dict[str, Any]:
    """The JSON export of a case history (also served by the audit pages)."""
    c, check = record.case, record.check
    return {
        "reference": c.reference, "case_id": c.id, "process_version": record.version.number,
        "version_id": c.version_id, "channel": c.channel, "received_at": c.received_at.isoformat(),
        "status": c.status, "personal_data_erased": record.erased,
        "chain": {"whole": check.broken is None, "broken_at": check.broken.seq if check.broken else None,
                  "reason": check.broken.reason if check.broken else None, "key_id": check.key_id},
        "replay": {"identical": check.divergence is None,
                   "diverges_at": check.divergence.seq if check.divergence else None,
                   "what": check.divergence.what if check.divergence else None},
        "sla": [{"stage": p.stage, "working_days": p.working_days, "due": p.due.isoformat(), "state": p.state,
                 "done_at": p.done_at.isoformat() if p.done_at else None, "late_working_days": p.late_days,
                 "new_date": p.new_date.isoformat() if p.new_date else None}
                for p in record.checkpoints],
        "events": [{"seq": e.seq, "type": e.type, "actor": e.actor, "at": e.at.isoformat(), "data": e.data,
                    "prev_hash": e.prev_hash, "hash": e.hash, "key_id": e.key_id} for e in record.events],
        "personal_data_views": [{"viewer": v.viewer, "at": v.viewed_at.isoformat(), "place": v.place}
                                for v in record.views],
    }  # fmt: skip


def history_csv(record: Any) -> str:
    """The CSV export: one row per event."""
    rows = engine.history_rows(record)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["reference"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def report_csv(report: Any) -> str:
    """Rows per stage and channel, then the totals per stage, as CSV."""
    rows = [r.as_dict() for r in report.rows + report.totals]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
