"""Running the product: first-run setup, the timer worker loop, and the embedded server."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.security import generate_password_hash
from werkzeug.serving import run_simple

import engine
from engine.kernel import model
from engine.kernel.clock import Clock
from web.deps import services

log = logging.getLogger(__name__)
DEMO_USERS = {
    "intake": ("Intake operator (call centre *1313)", {"intake"}),
    "officer": ("Complaint officer", {"officer"}),
    "quality": ("Quality manager", {"quality"}),
    "supervisor": ("Supervisor", {"supervisor"}),
    "owner": ("Process owner", {"process_owner"}),
    "auditor": ("Auditor", {"auditor"}),
    "dpo": ("Data-protection officer", {"dpo"}),
}
BATCH = 100
PRODUCT_LOGGERS = ("engine", "persistence", "web", "bootstrap", "werkzeug")  # werkzeug: the access log of `run`
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Operators read the product's own lines (and the access log of `run`) at `level`
    (COMPLAINTS_LOG_LEVEL); libraries, SpiffWorkflow with its ~13 INFO lines per case it steps
    among them, only their warnings."""
    known = logging.getLevelNamesMapping()
    chosen = known.get(level.strip().upper())
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host that set up logging (a test runner) keeps it
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # whatever the root says later
    for name in PRODUCT_LOGGERS:
        logging.getLogger(name).setLevel(chosen if chosen is not None else logging.INFO)
    if chosen is None:
        log.warning("COMPLAINTS_LOG_LEVEL=%r is not a level (DEBUG, INFO, WARNING, ERROR); using INFO", level)


def prepare(echo: Callable[[str], None]) -> None:
    """Create the database, deploy the bundled process if it changed, create demo users."""
    s = services()
    s.init_db()
    echo(f"Database ready: {s.database_url}")
    bpmn_file = Path(current_app.config["BPMN_FILE"])
    forms = {f"forms/{p.name}": p.read_bytes() for p in sorted((bpmn_file.parent / "forms").glob("*.form"))}
    version, new = engine.deploy_process_version(
        current_app.config["PROCESS_KEY"], bpmn_file.read_bytes(), forms,
        actor=model.Actor.system("setup"), comment="bundled process", **s.deps(),
    )  # fmt: skip
    echo(f"{'Deployed' if new else 'Process deployed'}: {version.process_key} v{version.number} ({version.name})")
    if current_app.config.get("DEMO_MODE"):
        for username, password in create_demo_users():
            echo(f"  demo user {username:<11} password {password}   (shown once)")


def create_demo_users() -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; returns (username, password) of new ones."""
    existing = {u.username for u in engine.list_users(uow=services().uow)}
    created = []
    for username, (name, roles) in DEMO_USERS.items():
        if username in existing:
            continue
        password = secrets.token_urlsafe(9)
        user = model.User(username, name, frozenset(roles), generate_password_hash(password))
        engine.add_user(user, uow=services().uow)
        created.append((username, password))
    return created


MIN_PAUSE = 0.5  # seconds: something due was left (locked by another worker, or failing): do not spin


def run_worker(
    poll: float,
    *,
    once: bool = False,
    clock_fn: Callable[[], Clock] | None = None,
    stop: threading.Event | None = None,
) -> tuple[int, int]:
    """Fire due timers and send due messages in batches; returns (timers fired, messages sent).

    After a sweep that found less than a full batch of either, sleep until the next timer or
    message attempt is due, at most `poll` seconds. With `once`, work off what is due, then return.
    """
    stop = stop or threading.Event()
    fired_total = sent_total = 0
    while not stop.is_set():
        deps = services().deps()
        if clock_fn is not None:
            deps["clock"] = clock_fn()
        fired, sent, busy = sweep(deps)
        fired_total, sent_total = fired_total + fired, sent_total + sent
        if busy:
            continue
        if once:
            break
        stop.wait(pause(poll, deps))
    return fired_total, sent_total


def sweep(deps: dict[str, Any]) -> tuple[int, int, bool]:
    """One batch of timers, then one of messages; busy when either batch was full."""
    fired = engine.fire_due_timers(limit=BATCH, **deps)
    mailer = services().mailer
    delivery = engine.send_due_messages(limit=BATCH, mailer=mailer, **deps) if mailer else None
    if fired:
        log.info("worker: advanced %d case(s)", fired)
    if delivery and delivery.handled:
        log.info(
            "worker: %d message(s) sent, %d deferred, %d failed, %d held back, %d withdrawn", delivery.sent,
            delivery.deferred, delivery.failed, delivery.held, delivery.withdrawn,
        )  # fmt: skip
    return fired, delivery.sent if delivery else 0, fired >= BATCH or bool(delivery and delivery.handled >= BATCH)


def pause(poll: float, deps: dict[str, Any]) -> float:
    """Seconds until the next timer or message attempt is due, between MIN_PAUSE and `poll`."""
    try:
        due = engine.next_work_at(uow=deps["uow"], messages=services().mailer is not None)
    except Exception:  # noqa: BLE001 - the worker loop outlives a database that is briefly away
        log.exception("worker: could not read when work is next due; sleeping %s s", poll)
        return poll
    if due is None:
        return poll
    return min(poll, max((due - deps["clock"].now()).total_seconds(), MIN_PAUSE))


def serve(app: Flask, host: str, port: int) -> None:
    """The embedded product: the web app and a worker thread (timers and e-mail) in one process."""
    stop = threading.Event()

    def work() -> None:
        with app.app_context():
            run_worker(app.config["WORKER_POLL_SECONDS"], stop=stop)

    thread = threading.Thread(target=work, name="worker", daemon=True)
    thread.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
