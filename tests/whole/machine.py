"""The whole product driven as its users and time drive it, with the promises that live between
its capabilities checked after every step (a Hypothesis state machine).

Each step is one thing people or time do (drawn by weight from `ACTIONS`, among what is possible
then, so no action is ever switched off for a whole run): intake on every channel (also back-dated), completing any
waiting task with good and bad data through the web, clarification loops, the customer's reply
by e-mail, "told another way", status requests by staff and by the customer, clock jumps over
weekends and holidays with the worker firing timers and sending letters over SMTP, a process
owner deploying a shorter SLA and migrating, a data-protection officer erasing closed cases.

After every step, for the cases the step touched (every case after a clock jump):
- every case verifies: its chain is whole and its replay reaches the stored state;
- no page of any role answers 5xx, and roles without personal data never receive a customer's
  name, phone, e-mail or complaint text, nor free text typed with the customer's name in it;
- the SLA state shown (task list, case page, status page) is the one the audit's checkpoints give;
- the task-list counts are the waiting tasks of the stored workflows;
- and, when letters go out, none goes for a closed case unless it is the closing letter.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import engine
from engine import spiff
from engine.audit import sla
from engine.casework import deadlines, workflows
from engine.kernel import model
from tests.conftest import BPMN_FILE, bundled_forms
from tests.web_app import PASSWORD, csrf_token
from web.commands import make_cli

BAKU = ZoneInfo("Asia/Baku")
PERSONAL_ROLES = ("intake", "officer", "supervisor")  # who may see a customer's data
OTHER_ROLES = ("quality", "owner", "auditor", "dpo")
LANE_USERS = {"intake": "intake", "officer": "officer", "quality": "quality", "supervisor": "supervisor"}
STAGE_OF_TASK = {
    "Task_Register": "registration", "Task_Review": "review", "Task_Clarify": "review",
    "Task_Analyse": "resolution", "Task_Respond": "resolution",
}  # fmt: skip
CLOSING_LETTERS = ("written_response",)
OWNER = model.Actor("owner", frozenset({"process_owner"}))
DPO = model.Actor("dpo", frozenset({"dpo"}))
OFFICER = model.Actor("officer", frozenset({"officer"}))
START_DAYS = (  # ordinary weeks, and the weeks before Novruz, Victory Day, the year's end
    "2026-03-02T09:00", "2026-03-16T17:30", "2026-05-04T09:00", "2026-11-02T10:00", "2026-12-24T16:00",
    "2027-03-15T09:00",
)
GLOBAL_PAGES = {  # each with the roles that use it (others are refused, which the route tests check)
    "/": ("intake", "officer", "quality", "supervisor"), "/messages": ("officer", "supervisor"),
    "/audit": ("auditor",), "/privacy": ("dpo",), "/processes/": ("owner",),
    "/mail/quarantine": ("intake", "supervisor"),
}  # fmt: skip
EXPORTS = (  # what else shows a case, each replaying it: checked in turn
    ("web", "/audit/cases/{ref}"), ("cli", ("history", "{ref}")), ("web", "/audit/cases/{ref}/history.json"),
    ("cli", ("show", "{ref}")), ("web", "/audit/cases/{ref}/history.csv"), ("cli", ("show", "{ref}", "--json")),
)
JUMPS = {
    "an hour": timedelta(hours=1), "a day": timedelta(days=1), "three days": timedelta(days=3),
    "a week": timedelta(days=7), "two weeks": timedelta(days=15),
}  # fmt: skip
ACTIONS: dict[str, tuple[int, dict[str, st.SearchStrategy[Any]]]] = {  # name: (weight, its arguments)
    "take_a_complaint": (3, {"channel": st.sampled_from(model.CHANNELS), "complete": st.booleans(),
                             "days_ago": st.sampled_from([0, 0, 1, 4, 9, 20])}),
    "staff_work_through_their_tasks": (6, {"picks": st.lists(st.integers(0, 50), min_size=1, max_size=4),
                                           "choice": st.integers(0, 7),
                                           "valid": st.sampled_from([True, True, True, False])}),
    "staff_see_one_complaint_through": (1, {"pick": st.integers(0, 50), "choice": st.integers(0, 7)}),
    "the_customer_replies_by_email": (1, {"pick": st.integers(0, 50)}),
    "staff_tell_the_customer_another_way": (1, {"pick": st.integers(0, 50)}),
    "someone_asks_for_the_status": (2, {"pick": st.integers(0, 50), "by_customer": st.booleans(),
                                        "with_phone": st.booleans()}),
    "time_passes_and_the_worker_fires_timers": (3, {"jump": st.sampled_from(sorted(JUMPS))}),
    "the_worker_sends_letters": (2, {}),
    "a_process_owner_shortens_the_resolution_sla_and_migrates": (1, {}),
    "a_data_protection_officer_erases_a_closed_case": (1, {"pick": st.integers(0, 50)}),
}  # fmt: skip


@dataclass
class Customer:
    """What was typed about one customer: every piece must stay away from roles without personal data."""

    surname: str
    given_name: str
    phone: str
    email: str
    description: str

    def secrets(self) -> list[str]:
        return [self.surname, self.given_name, self.phone, self.email, self.description, self.phone[-9:]]


@dataclass
class Tracked:
    reference: str
    case_id: str
    customer: Customer
    erased: bool = False
    closed_at: datetime | None = None
    views: int = 0  # how often its pages were checked (which export comes next)
    clarified: int = 0  # how often the customer was asked for details


class Environment:
    """The running product for one example: app, clock, SMTP server; built by the test."""

    def __init__(self, app: Any, clock: Any, smtp: Any, close: Any = None):
        self.app, self.clock, self.smtp, self.close = app, clock, smtp, close
        self.services = app.extensions["bpm"]
        self.clients: dict[str, Any] = {}
        self._cli: Any = None

    def client(self, username: str) -> Any:
        if username not in self.clients:
            client = self.app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            if username != "customer":
                token = csrf_token(client.get("/login").text)
                response = client.post("/login", data={"username": username, "password": PASSWORD,
                                                       "csrf_token": token})  # fmt: skip
                assert response.status_code == 302, f"{username} cannot sign in"
            self.clients[username] = client
        return self.clients[username]

    def post(self, username: str, path: str, data: dict[str, Any], token_from: str) -> Any:
        client = self.client(username)
        page = client.get(token_from)
        assert page.status_code < 500, f"GET {token_from} as {username}: {page.status_code}"
        return client.post(path, data=dict(data, csrf_token=csrf_token(page.text)))

    def deps(self) -> dict[str, Any]:
        return self.services.deps()

    def cli(self, *args: str) -> str:
        """The `complaints` command on this product (its app and clock), as a shell user runs it."""
        if self._cli is None:
            self._cli = make_cli(lambda: self.app)
        result = CliRunner().invoke(self._cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, f"complaints {' '.join(args)}: {result.output[-500:]}"
        return result.output


def _tag(n: int) -> str:
    """A short letter tag unique per customer, unlikely in any page by chance (e.g. 'Qxvb')."""
    letters = string.ascii_lowercase
    return "Q" + "".join(letters[(n * 7 + i * 11) % 26] for i in range(3)) + letters[n % 26]


class ProductMachine(RuleBasedStateMachine):
    """One fresh product per example; `Environment` comes from the test (SQLite or PostgreSQL)."""

    make_environment: Any = None  # set by the test: () -> Environment
    max_cases = 8  # the soak run allows more
    stats: Counter[str] = Counter()  # steps per rule and checks, over all examples (bench.soak prints them)

    def __init__(self) -> None:
        super().__init__()
        self.env: Environment = type(self).make_environment()
        self.cases: list[Tracked] = []
        self.dirty: set[str] = set()
        self.deployed_shorter = False
        self.aged = False  # time passed: every open case's SLA state is checked again
        self.steps, self.jumped_at = 0, -2

    # --- what people and time do -------------------------------------------------------------

    @initialize(
        start=st.sampled_from(START_DAYS),
        first=st.lists(st.tuples(st.sampled_from(model.CHANNELS), st.sampled_from([0, 2, 9]), st.booleans()),
                       min_size=1, max_size=3),
    )  # fmt: skip
    def a_working_day_begins(self, start: str, first: list[tuple[str, int, bool]]) -> None:
        """The day starts with complaints already in (some received days ago)."""
        self.env.clock.set(datetime.fromisoformat(start).replace(tzinfo=BAKU))
        for channel, days_ago, complete in first:
            self.take_a_complaint(channel, days_ago, complete)

    @rule(data=st.data())
    def people_and_time_act(self, data: st.DataObject) -> None:
        """One thing happens: drawn from what is possible now, more often what happens more often."""
        possible = [name for name, (weight, _) in ACTIONS.items() for _ in range(weight) if self._possible(name)]
        name = data.draw(st.sampled_from(possible), label="what happens")
        getattr(self, name)(**data.draw(st.fixed_dictionaries(ACTIONS[name][1]), label=name))

    def _possible(self, name: str) -> bool:
        if name == "take_a_complaint":
            return len(self.cases) < self.max_cases
        if name == "time_passes_and_the_worker_fires_timers":
            return self.steps - self.jumped_at >= 2  # people act between two jumps of the clock
        if name == "a_process_owner_shortens_the_resolution_sla_and_migrates":
            return not self.deployed_shorter
        return bool(self.cases)

    def take_a_complaint(self, channel: str, days_ago: int, complete: bool) -> None:
        self.stats["take_a_complaint"] += 1
        n = len(self.cases) + 1
        tag = _tag(n)
        customer = Customer(f"Məmmədova{tag}", f"Aysel{tag}", f"+99450{n:07d}", f"c{n}.{tag.lower()}@example.org",
                            f"Speakers {tag} arrived broken")  # fmt: skip
        received = self.env.clock.now() - timedelta(days=days_ago, hours=1)
        data = {"channel": channel, "received_at": _baku(received).strftime("%Y-%m-%dT%H:%M"),
                "surname": customer.surname, "given_name": customer.given_name,
                "description": customer.description, "email": customer.email}  # fmt: skip
        if complete:
            data["phone"] = customer.phone
        else:
            data.pop("surname")
        response = self.env.post("intake", "/intake", data, "/intake")
        assert response.status_code == 303, response.text[:500]
        reference = response.headers["Location"].rsplit("/", 1)[-1]
        view = engine.show_case(reference, uow=self.env.services.uow)
        self.cases.append(Tracked(reference, view.case.id, customer))
        self.dirty.add(view.case.id)

    def staff_work_through_their_tasks(self, picks: list[int], choice: int, valid: bool) -> None:
        self.stats["staff_work_through_their_tasks"] += 1
        for n, pick in enumerate(picks):
            self._complete_a_waiting_task(pick, choice + n, valid or n > 0)  # only the first may be bad

    def staff_see_one_complaint_through(self, pick: int, choice: int) -> None:
        """Every waiting task of one open case, one after the other, until it closes (or waits for time)."""
        self.stats["staff_see_one_complaint_through"] += 1
        open_cases = [c for c in self.cases if self._items(c)]
        if not open_cases:
            return
        tracked = open_cases[pick % len(open_cases)]
        for n in range(12):
            items = sorted(self._items(tracked), key=_soonest)
            if not items:
                return
            self._complete(tracked, items[0], choice + n, valid=True)

    def _complete_a_waiting_task(self, pick: int, choice: int, valid: bool) -> None:
        waiting = sorted(((c, i) for c in self.cases for i in self._items(c)), key=lambda w: _soonest(w[1]))
        if waiting:
            self._complete(*waiting[pick % min(len(waiting), 4)], choice, valid)  # as staff do: the soonest due

    def _complete(self, tracked: Tracked, item: model.WorkItem, choice: int, valid: bool) -> None:
        """Complete a task through its web page; bad data is refused with 4xx and changes nothing."""
        self.stats["tasks completed" if valid else "tasks refused (bad data)"] += 1
        user = LANE_USERS[item.lane]
        data = self._form_data(tracked, item.bpmn_id, choice)
        before = engine.show_case(tracked.case_id, uow=self.env.services.uow).case.revision
        path = f"/tasks/{tracked.case_id}/{item.task_id}"
        if not valid:
            bad = {k: "" for k in data}  # every required field left empty
            response = self.env.post(user, path, dict(bad, revision=str(before)), path)
            after = engine.show_case(tracked.case_id, uow=self.env.services.uow).case.revision
            assert response.status_code in (200, 400, 422) and after == before, (response.status_code, item.bpmn_id)
            return
        response = self.env.post(user, path, dict(data, revision=str(before)), path)
        assert response.status_code in (302, 303), f"{item.bpmn_id}: {response.status_code} {response.text[:800]}"
        self._touched(tracked)

    def the_customer_replies_by_email(self, pick: int) -> None:
        self.stats["the_customer_replies_by_email"] += 1
        reachable = [c for c in self.cases if not c.erased]
        if not reachable:  # every customer so far was erased: nobody is left to reply
            return
        tracked = reachable[pick % len(reachable)]
        raw = (
            f"From: {tracked.customer.given_name} <{tracked.customer.email}>\r\nTo: complaints@musicgallery.az\r\n"
            f"Subject: Re: {tracked.reference}\r\nMessage-ID: <reply-{pick}-{len(self.dirty)}-{tracked.case_id}@ex>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\nHello, this is {tracked.customer.surname}, "
            f"my phone is {tracked.customer.phone}.\r\n"
        ).encode()
        result = engine.receive_email(raw, **self.env.deps())
        assert result.outcome in ("attached", "quarantined"), result
        self._touched(tracked)

    def staff_tell_the_customer_another_way(self, pick: int) -> None:
        self.stats["staff_tell_the_customer_another_way"] += 1
        undelivered = engine.list_undelivered_messages(actor=OFFICER, uow=self.env.services.uow)
        messages = undelivered.failed + undelivered.pending
        if not messages:
            return
        message = messages[pick % len(messages)]
        tracked = next(c for c in self.cases if c.case_id == message.case_id)
        note = f"Phoned {tracked.customer.given_name} {tracked.customer.surname} on {tracked.customer.phone}"
        engine.mark_message_handled(message.id, note, actor=OFFICER, uow=self.env.services.uow,
                                    clock=self.env.clock)  # fmt: skip
        self._touched(tracked)

    def someone_asks_for_the_status(self, pick: int, by_customer: bool, with_phone: bool) -> None:
        self.stats["someone_asks_for_the_status"] += 1
        tracked = self.cases[pick % len(self.cases)]
        if by_customer:
            contact = tracked.customer.phone if with_phone else tracked.customer.email.upper()
            response = self.env.post("customer", "/status", {"reference": tracked.reference, "contact": contact},
                                     "/status")  # fmt: skip
            assert response.status_code in (200, 404, 429), response.status_code
        else:
            data = {"channel": "call_centre", "requester": f"{tracked.customer.given_name} on the phone",
                    "told": f"Told {tracked.customer.surname} the stage"}  # fmt: skip
            path = f"/cases/{tracked.reference}/status-request"
            response = self.env.post("officer", path, data, f"/cases/{tracked.reference}")
            assert response.status_code == 303, response.status_code
        self._touched(tracked)

    def time_passes_and_the_worker_fires_timers(self, jump: str) -> None:
        self.stats["time_passes_and_the_worker_fires_timers"] += 1
        before = {c.case_id: self._revision(c) for c in self.cases}
        self.jumped_at = self.steps
        self.env.clock.advance(seconds=JUMPS[jump].total_seconds())
        engine.fire_due_timers(limit=1000, **self.env.deps())
        self.dirty.update(c.case_id for c in self.cases if self._revision(c) != before[c.case_id])
        self.aged = True

    def the_worker_sends_letters(self) -> None:
        self.stats["the_worker_sends_letters"] += 1
        closed = {c.case_id for c in self._refresh_closed() if c.closed_at is not None}
        arrived = len(self.env.smtp.recorder.accepted)
        engine.send_due_messages(mailer=self.env.services.mailer, limit=1000, **self.env.deps())
        created = {m.id: (m.created_at, m.message) for c in self.cases for m in self._outbox(c)}
        self.stats["letters sent"] += len(self.env.smtp.recorder.accepted) - arrived
        last: dict[str, datetime] = {}
        for letter in self.env.smtp.recorder.accepted[arrived:]:
            outbox_id = letter["Message-ID"].strip("<>").split("@")[0]
            reference = letter["X-Complaint-Reference"]
            tracked = next(c for c in self.cases if c.reference == reference)
            at, name = created[outbox_id]
            assert tracked.case_id not in closed or name in CLOSING_LETTERS, f"{name} sent for closed {reference}"
            assert at >= last.get(reference, at), f"letters of {reference} went out of order"
            last[reference] = at

    def a_process_owner_shortens_the_resolution_sla_and_migrates(self) -> None:
        self.stats["a_process_owner_shortens_the_resolution_sla_and_migrates"] += 1
        seven = BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)")
        seven = seven.replace(b"at_risk(received_at, 10)", b"at_risk(received_at, 7)")
        policy = self.env.services.policy
        version, _ = engine.deploy_process_version(policy.process_key, seven, bundled_forms(), actor=OWNER,
                                                   comment="7 working days", **self.env.deps())  # fmt: skip
        engine.migrate_cases(policy.process_key, version.number, from_number=1, dry_run=False, actor=OWNER,
                             **self.env.deps())  # fmt: skip
        self.deployed_shorter = True
        self.dirty.update(c.case_id for c in self.cases)

    def a_data_protection_officer_erases_a_closed_case(self, pick: int) -> None:
        self.stats["a_data_protection_officer_erases_a_closed_case"] += 1
        closed = [c for c in self._refresh_closed() if c.closed_at is not None and not c.erased]
        if not closed:
            return
        tracked = closed[pick % len(closed)]
        engine.erase_personal_data(tracked.reference, "Retention period over", actor=DPO, **self.env.deps())
        tracked.erased = True
        self.stats["cases erased"] += 1
        self._touched(tracked)

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def the_whole_product_holds(self) -> None:
        changed = [c for c in self.cases if c.case_id in self.dirty]
        for tracked in changed if not self.aged else self.cases:
            self._sla_agrees(tracked, verify=tracked in changed)
        self._pages_render_without_leaks(changed)
        self._counts_match_the_workflows()
        self.dirty.clear()
        self.aged = False
        self.steps += 1
        self.stats["invariant checks"] += 1

    def teardown(self) -> None:
        if self.env.close is not None:
            self.env.close()

    def _sla_agrees(self, tracked: Tracked, *, verify: bool) -> None:
        """The case verifies (chain and replay); task list due, case page badge and status date are
        the audit checkpoints' (as an officer sees them)."""
        if verify:
            check = engine.verify_case(tracked.case_id, uow=self.env.services.uow, policy=self.env.services.policy)
            assert check.ok, f"{tracked.reference} does not verify: {check.broken or check.divergence}"
        view = engine.show_case(tracked.case_id, uow=self.env.services.uow)
        if view.case.status != "open":
            return
        now = self.env.clock.now()
        policy = self.env.services.policy
        risk = policy.calendar.deadline(now, policy.at_risk_margin)
        with self.env.services.uow:
            version = self.env.services.uow.versions.get(view.case.version_id)
        found = sla.checkpoints(view.case, view.events, policy.calendar, now, workflows.scopes(version))
        points = {p.stage: p for p in found}
        response = self.env.client("officer").get(f"/cases/{tracked.reference}")
        assert response.status_code == 200, f"case page of {tracked.reference}: {response.status_code}"
        for item in self._items(tracked):
            stage = STAGE_OF_TASK.get(item.bpmn_id)
            if stage is None:
                continue
            expected = points[stage].answer_by
            assert item.due_at == expected, f"{tracked.reference} {item.bpmn_id}: due {item.due_at}, audit {expected}"
            state = deadlines.sla_state(expected, now, risk)
            row = re.search(rf'<tr class="sla-(\w+)" data-task="{item.bpmn_id}"', response.text)
            assert row and row.group(1) == state, f"{tracked.reference} {item.bpmn_id}: page {row}, audit {state}"
        answer = engine.status_answer(view.case, view.events)
        if answer.next_deadline is not None:
            assert answer.next_deadline == points["resolution"].answer_by, f"{tracked.reference}: status date"

    def _pages_render_without_leaks(self, changed: list[Tracked]) -> None:
        """Every page a role can open answers without 5xx; roles without personal data see none.

        Each change of a case shows its case page to every role and one of its exports in turn (the
        audit page, history.json, history.csv, CLI show, show --json, history): those replay the
        case, so all of them after every step would make a deep run crawl."""
        secrets = [s for c in self.cases for s in c.customer.secrets()]
        pages = dict(GLOBAL_PAGES) if self.aged or self.steps % 3 == 0 else {}  # lists change slowly
        commands = []
        for tracked in changed:
            ref, tracked.views = tracked.reference, tracked.views + 1
            pages[f"/cases/{ref}"] = PERSONAL_ROLES + OTHER_ROLES
            kind, view = EXPORTS[tracked.views % len(EXPORTS)]
            if kind == "web":
                pages[view.format(ref=ref)] = ("auditor",)
            else:
                commands.append([part.format(ref=ref) for part in view])
        for path, usernames in pages.items():
            for username in usernames:
                response = self.env.client(username).get(path)
                assert response.status_code < 500, f"GET {path} as {username}: {response.status_code}"
                if username in OTHER_ROLES and response.status_code == 200:
                    body = response.get_data(as_text=True)
                    leaked = [s for s in secrets if s in body]
                    assert not leaked, f"GET {path} as {username} shows personal data: {leaked}"
        for command in commands:
            printed = self.env.cli(*command)
            leaked = [secret for secret in secrets if secret in printed]
            assert not leaked, f"complaints {' '.join(command)} shows personal data: {leaked}"
        for tracked in changed:
            for item in self._items(tracked):
                response = self.env.client(LANE_USERS[item.lane]).get(f"/tasks/{tracked.case_id}/{item.task_id}")
                assert response.status_code < 500, f"task page {item.bpmn_id} of {tracked.reference}"

    def _counts_match_the_workflows(self) -> None:
        services = self.env.services
        waiting: dict[str, int] = {}
        for tracked in self.cases:
            case = engine.show_case(tracked.case_id, uow=services.uow).case
            with services.uow:
                version = services.uow.versions.get(case.version_id)
            restored = spiff.restore(case.state, workflows.bundle(version), spiff.script_engine(services.policy))
            for task in spiff.ready_tasks(restored):
                lane = version.user_tasks.get(task.bpmn_id, {}).get("lane") or ""
                waiting[lane] = waiting.get(lane, 0) + 1
        for lane in LANE_USERS:
            listing = engine.task_list(engine.Filters(lanes=(lane,)), **self.env.deps())
            assert sum(listing.counts.values()) == waiting.get(lane, 0), f"{lane}: {listing.counts} vs {waiting}"

    # --- helpers ----------------------------------------------------------------------------

    def _items(self, tracked: Tracked) -> list[model.WorkItem]:
        return engine.show_case(tracked.case_id, uow=self.env.services.uow).work_items

    def _outbox(self, tracked: Tracked) -> list[model.OutboxMessage]:
        return engine.show_case(tracked.case_id, uow=self.env.services.uow).outbox

    def _revision(self, tracked: Tracked) -> int:
        return engine.show_case(tracked.case_id, uow=self.env.services.uow).case.revision

    def _touched(self, tracked: Tracked) -> None:
        self.dirty.add(tracked.case_id)

    def _refresh_closed(self) -> list[Tracked]:
        for tracked in self.cases:
            case = engine.show_case(tracked.case_id, uow=self.env.services.uow).case
            if case.status == "closed" and tracked.closed_at is None:
                tracked.closed_at = case.updated_at
        return self.cases

    def _form_data(self, tracked: Tracked, bpmn_id: str, choice: int) -> dict[str, Any]:
        customer, now = tracked.customer, self.env.clock.now()
        calendar = self.env.services.policy.calendar
        named = f"{customer.given_name} {customer.surname}"
        if bpmn_id == "Task_Register":
            return {"surname": customer.surname, "given_name": customer.given_name, "phone": customer.phone,
                    "email": customer.email, "description": customer.description}  # fmt: skip
        if bpmn_id == "Task_Review":
            if choice % 3 == 0 and tracked.clarified < 2:  # a customer is asked at most twice
                tracked.clarified += 1
                return {"review_notes": f"Need the receipt from {named}", "clarify": "on",
                        "question": "Please send the receipt."}  # fmt: skip
            return {"review_notes": "Receipt checked."}
        if bpmn_id == "Task_Clarify":
            return {"contacted_via": "phone", "customer_answer": f"{named} sent the receipt."}
        if bpmn_id == "Task_Analyse":
            data = {"findings": "Defect confirmed.", "decision": ["upheld", "partly_upheld", "rejected"][choice % 3],
                    "measures": "Replacement."}  # fmt: skip
            if choice % 4 == 0:
                data["corrective_needed"] = "on"
            return data
        if bpmn_id == "Task_Respond":
            if choice % 2:
                agreed = _baku(now - timedelta(hours=1)).date().isoformat()
                return {"response_mode": "oral", "response_text": "We replace them.", "agreed_by": named,
                        "agreed_on": agreed, "agreed_how": "phone"}  # fmt: skip
            return {"response_mode": "written", "response_text": f"Dear {named}, we replace them."}
        if bpmn_id == "Task_DelayNotice":
            day = calendar.add_working_days(calendar.local_date(now), 3 + choice)
            return {"delay_reason": "Waiting for the supplier", "new_date": day.isoformat()}
        if bpmn_id == "Task_Corrective":
            return {"corrective_actions": "Packaging changed.", "measures_owner": "Store manager"}
        return {"action_taken": f"Called {named}"}


def _soonest(item: model.WorkItem) -> tuple[bool, datetime]:
    return item.due_at is None, item.due_at or item.created_at


def _baku(moment: datetime) -> datetime:
    return moment.astimezone(BAKU)
