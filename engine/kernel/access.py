"""Who may see and do what: the one authorization rule that web routes and CLI commands both ask.

Roles (engine/kernel/users.py): intake, officer, quality, supervisor (staff, by lane), process_owner,
auditor, dpo. Personal data is the customer's record (name, contacts, description, files,
messages) and every free-text value staff typed (sealed in the history, engine/records/history.py):
it may repeat the customer's name. Only the staff who need it see it (POLICY.md §5.6), and
showing it is logged; everyone else reads the hashed commitment of each sealed value.
"""

from __future__ import annotations

from engine.kernel import model
from engine.kernel.errors import Forbidden
from engine.kernel.policy import Policy

STAFF = frozenset({"intake", "officer", "quality", "supervisor"})  # open cases, task lists
PERSONAL_DATA = frozenset({"intake", "officer", "supervisor"})  # talk to customers: need to see them
STATUS_REQUESTS = frozenset({"intake", "officer", "supervisor"})  # answer customers who ask by phone or in a store
MESSAGES = frozenset({"officer", "supervisor"})  # see undelivered messages to customers and act on them
QUARANTINE = frozenset({"intake", "supervisor"})  # take held mail in (it is personal data)
AUDIT = frozenset({"auditor"})  # read histories (commitments, never clear text) and SLA reports
ERASURE = frozenset({"dpo"})  # erase a closed case's personal data
PROCESS_OWNERS = frozenset({"process_owner"})

HIDDEN = "[personal data hidden]"  # what a reader without the right sees instead of free text


def sees_personal_data(actor: model.Actor) -> bool:
    """Whether the actor may be shown a customer's record and the free text about the case."""
    return bool(actor.roles & PERSONAL_DATA)


def require_personal_data(actor: model.Actor) -> None:
    if not sees_personal_data(actor):
        raise Forbidden(f"{actor.id} may not see customers' personal data (only intake, officers and supervisors).")


def require_status_requests(actor: model.Actor) -> None:
    if not actor.roles & STATUS_REQUESTS:
        raise Forbidden(f"{actor.id} may not record status requests (only intake, officers and supervisors).")


def require_messages(actor: model.Actor) -> None:
    if not actor.roles & MESSAGES:
        raise Forbidden("Only officers and supervisors act on messages to customers.")


def require_quarantine(actor: model.Actor) -> None:
    if not actor.roles & QUARANTINE:
        raise Forbidden("Only intake operators and supervisors open quarantined mail.")


def require_erasure(actor: model.Actor) -> None:
    if not actor.roles & ERASURE:
        raise Forbidden("Only data-protection officers may erase personal data.")


def require_lane(actor: model.Actor, item: model.WorkItem, policy: Policy) -> None:
    """A task is worked on by the role its lane maps to."""
    if policy.roles_for_lane(item.lane) not in actor.roles:
        raise Forbidden(f"Task '{item.name}' belongs to the {item.lane} lane; you are not in it.")
