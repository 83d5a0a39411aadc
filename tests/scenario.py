"""A scenario builder: drive cases through the engine as staff and the timer worker would."""

from __future__ import annotations

from typing import Any

import engine
from engine.casework import workflows
from engine.kernel import model
from engine.kernel.clock import SettableClock
from engine.kernel.policy import Policy
from tests.conftest import BPMN_FILE, bundled_forms

COMPLETE_INTAKE = {
    "channel": "call_centre", "surname": "Məmmədova", "given_name": "Aysel", "patronymic": "Rauf qızı",
    "phone": "+994 50 555 12 34", "description": "The headphones I bought stopped working after a week.",
}  # fmt: skip
ACTORS = {
    lane: model.Actor(lane, frozenset({lane})) for lane in ("intake", "officer", "quality", "supervisor")
}
OWNER = model.Actor("owner", frozenset({"process_owner"}))


class Scenario:
    """One deployment of a process, a clock, and helpers to act on its cases."""

    def __init__(self, uow: Any, clock: SettableClock, policy: Policy, *, cold: bool = False,
                 bpmn: bytes | None = None, forms: dict[str, bytes] | None = None):  # fmt: skip
        self.uow, self.clock, self.policy, self.cold = uow, clock, policy, cold
        self.version, _ = engine.deploy_process_version(
            policy.process_key, bpmn or BPMN_FILE.read_bytes(), bundled_forms() if forms is None else forms,
            actor=OWNER, uow=uow, clock=clock, policy=policy,
        )  # fmt: skip

    @property
    def deps(self) -> dict[str, Any]:
        if self.cold:  # every step restores the workflow from its stored state
            workflows._live.clear()
        return {"uow": self.uow, "clock": self.clock, "policy": self.policy}

    def start(self, **intake: Any) -> engine.casework.cases.Progress:
        data = dict(COMPLETE_INTAKE, **intake)
        return engine.start_case(
            {k: v for k, v in data.items() if v is not None}, actor=ACTORS["intake"], **self.deps
        )

    def ready(self, case_id: str) -> dict[str, model.WorkItem]:
        return {i.bpmn_id: i for i in engine.show_case(case_id, uow=self.uow).work_items}

    def complete(
        self, case_id: str, bpmn_id: str, data: dict[str, Any] | None = None, *, lane: str | None = None
    ) -> engine.casework.cases.Progress:
        item = self.ready(case_id)[bpmn_id]
        who = ACTORS[lane or item.lane]
        return engine.complete_task(case_id, item.task_id, data or {}, actor=who, **self.deps)

    def advance(self, **delta: float) -> int:
        self.clock.advance(**delta)
        return engine.fire_due_timers(**self.deps)

    def move_to(self, moment: Any) -> int:
        self.clock.set(moment)
        return engine.fire_due_timers(**self.deps)

    def view(self, case_id: str) -> model.CaseView:
        return engine.show_case(case_id, uow=self.uow)

    # the usual steps ------------------------------------------------------------------
    def review(self, case_id: str, *, clarify: str | None = None) -> None:
        data = {"review_notes": "Checked the receipt and the product."}
        if clarify:
            data.update(clarify=True, question=clarify)
        self.complete(case_id, "Task_Review", data)

    def analyse(self, case_id: str, decision: str = "upheld", corrective: bool = False) -> None:
        data = {"findings": "Manufacturing defect confirmed.", "decision": decision,
                "measures": "Replacement headphones.", "corrective_needed": corrective}  # fmt: skip
        self.complete(case_id, "Task_Analyse", data)

    def respond_in_writing(self, case_id: str) -> None:
        self.complete(
            case_id, "Task_Respond", {"response_mode": "written", "response_text": "We will replace them."}
        )
