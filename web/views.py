"""What every page shares: times in Baku, working-day countdowns, SLA badges, labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from markupsafe import Markup

from engine.casework import deadlines
from engine.kernel import access, model
from engine.records import history
from web.deps import services
from web.i18n import LANGUAGES, locale

CHANNELS = {
    "live_chat": lazy_gettext("Live chat"), "call_centre": lazy_gettext("Call centre *1313"),
    "social": lazy_gettext("Social media"), "email": lazy_gettext("E-mail"),
    "store_book": lazy_gettext("Store complaints book"),
}  # fmt: skip
MESSAGE_NAMES = {
    "acknowledgement": lazy_gettext("Acknowledgement"), "clarification_request": lazy_gettext("Clarification request"),
    "delay_notice": lazy_gettext("Delay notice"), "written_response": lazy_gettext("Written response"),
}  # fmt: skip
MESSAGE_STATES = {
    "pending": lazy_gettext("waiting to be sent"), "sent": lazy_gettext("sent"), "failed": lazy_gettext("failed"),
    "handled": lazy_gettext("told another way"), "obsolete": lazy_gettext("not sent: no longer needed"),
}  # fmt: skip
SLA = {
    "overdue": lazy_gettext("Overdue"),
    "at_risk": lazy_gettext("At risk"),
    "on_time": lazy_gettext("On time"),
}
DEADLINE_STATES = {
    "met": lazy_gettext("Met"), "missed": lazy_gettext("Missed"), "cancelled": lazy_gettext("Not needed"),
    "passed": lazy_gettext("Passed"), "pending": lazy_gettext("Pending"), "moved": lazy_gettext("Moved"),
}  # fmt: skip


def now() -> datetime:
    return services().clock.now()


def local(moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment as staff in Baku read it."""
    if moment is None:
        return "—"
    return moment.astimezone(services().policy.calendar.zone).strftime(fmt)


def countdown(due: datetime | None) -> str:
    """ "in 3 working days", "today", "overdue by 2 working days"."""
    if due is None:
        return ""
    days = services().policy.calendar.working_days_between(now(), due)
    if due < now():
        late = -days
        return _("overdue by %(n)s working day(s)", n=late) if late else _("overdue since %(t)s", t=local(due, "%H:%M"))
    if days == 0:
        return _("due today at %(t)s", t=local(due, "%H:%M"))
    return _("in %(n)s working day(s)", n=days)


def sla(due: datetime | None) -> str:
    if "sla_now" not in g:  # one "now" and one at-risk threshold per page
        g.sla_now = now()
        g.sla_risk = services().policy.calendar.deadline(g.sla_now, services().policy.at_risk_margin)
    return deadlines.sla_state(due, g.sla_now, g.sla_risk)


def deadline_line(deadline: model.Deadline, case: model.Case) -> tuple[str, str, str]:
    """(badge, state, detail) of one of a case's deadlines as its page shows it."""
    state = deadline.state(now())
    if state in ("met", "missed", "cancelled") or deadline.kind in ("warning", "wait"):
        badge = {"missed": "overdue", "passed": "at_risk"}.get(state, "on_time")
        return badge, str(DEADLINE_STATES[state]), countdown(deadline.due) if state == "pending" else ""
    moved = deadlines.moved_due(deadline, case.deadlines)
    if moved != deadline.due:
        return "on_time", str(DEADLINE_STATES["moved"]), _("new date %(d)s", d=local(moved, "%d.%m.%Y"))
    badge = sla(deadline.due)
    return badge, str(SLA[badge]), countdown(deadline.due)


def free_text(value: Any, commitment: bool = False) -> Any:
    """Free text as the reader may see it: a sealed value they may not see arrives as its commitment."""
    if not history.is_masked(value):
        return value
    if commitment:
        return Markup('<span class="masked muted">{}</span>').format(_("sealed, SHA-256 %(h)s", h=value["sealed"]))
    return Markup('<span class="masked muted">{}</span>').format(_("hidden (personal data)"))


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local")
    app.add_template_filter(free_text, "free_text")
    app.add_template_filter(countdown, "countdown")
    app.add_template_filter(sla, "sla")
    app.add_template_global(deadline_line, "deadline_line")

    @app.context_processor
    def shared() -> dict[str, Any]:
        return {
            "CHANNELS": CHANNELS,
            "SLA": SLA,
            "MESSAGE_NAMES": MESSAGE_NAMES,
            "MESSAGE_STATES": MESSAGE_STATES,
            "MESSAGE_ROLES": access.MESSAGES,
            "LANGUAGES": LANGUAGES,
            "current_locale": locale,
            "clock_now": now,
            "has_role": has_role,
            "STAFF_ROLES": access.STAFF,
        }


def has_role(*roles: str) -> bool:
    """Whether the signed-in user holds one of `roles` (for navigation links)."""
    return bool(current_user.is_authenticated and current_user.roles & set(roles))
