"""The worker as users run it: `complaints worker` fires timers and sends e-mail; it sleeps until work is due."""

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner

import bootstrap
import engine
from web import runner
from web.commands import make_cli


@pytest.fixture
def cli(tmp_path, smtp):
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "TESTING": True, "DEMO_MODE": True,
                **smtp.settings()}  # fmt: skip

    def make_app():
        from web.config import Config

        return bootstrap.create_app(dict(Config().as_dict(), **settings))

    group, cli_runner = make_cli(make_app), CliRunner()

    def invoke(*args):
        result = cli_runner.invoke(group, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("setup")
    return invoke


def test_messages_count_working_days_across_novruz_and_a_weekend(cli, smtp):
    # Thursday 19 March 2026; Novruz and Ramadan Bayram make 20-30 March days off, with two weekends
    cli("--now", "2026-03-19T10:00+04:00", "start", "--as", "intake", "--channel", "email", "--surname", "Məmmədova",
        "--given-name", "Aysel", "--email", "aysel@example.com", "--description", "The headphones broke")  # fmt: skip
    assert "sent 1 message(s)" in cli("--now", "2026-03-19T10:01+04:00", "worker", "--once")
    acknowledgement = smtp.recorder.accepted[0].get_content()
    assert "Первичное рассмотрение: до 02.04.2026 (3 рабочих дня после получения)." in acknowledgement
    assert "Ответ по существу: до 13.04.2026 (10 рабочих дней после получения)." in acknowledgement
    assert "Our answer: by 13.04.2026 (10 working days after receipt)." in acknowledgement
    cli("--now", "2026-03-31T10:00+04:00", "complete", "MG-2026-000001", "Task_Review", "--as", "officer",
        "-f", "review_notes=Receipt checked")  # fmt: skip
    # the resolution is at risk after 8 working days: at the end of Thursday 9 April
    assert "Fired due timers of 0 case(s)" in cli("--now", "2026-04-09T23:59+04:00", "worker", "--once")
    assert "Fired due timers of 1 case(s)" in cli("--now", "2026-04-10T00:01+04:00", "worker", "--once")
    cli("--now", "2026-04-10T10:00+04:00", "complete", "MG-2026-000001", "Task_DelayNotice", "--as", "officer",
        "-f", "delay_reason=The manufacturer's lab has the headphones", "-f", "new_date=2026-04-20")  # fmt: skip
    assert "sent 1 message(s)" in cli("--now", "2026-04-10T10:01+04:00", "worker", "--once")
    notice = smtp.recorder.accepted[1]
    assert "MG-2026-000001" in notice["Subject"] and "задерживается" in notice["Subject"]
    text = notice.get_content()
    assert "Причина: The manufacturer's lab has the headphones" in text
    assert "Новый срок ответа: 20.04.2026 (через 6 рабочих дней)." in text  # 13-17 and 20 April
    assert "New date for our answer: 20.04.2026 (in 6 working days)." in text
    shown = cli("show", "MG-2026-000001")
    assert "acknowledgement        sent after 1 attempt(s)" in shown and "delay_notice           sent" in shown
    assert len(smtp.recorder.accepted) == 2


def test_without_an_smtp_server_messages_wait_and_the_worker_says_so(tmp_path):
    def make_app():
        from web.config import Config

        return bootstrap.create_app(dict(Config().as_dict(), DATABASE_URL=f"sqlite:///{tmp_path / 'n.sqlite3'}",
                                         TESTING=True, SMTP_HOST=""))  # fmt: skip

    group = make_cli(make_app)
    CliRunner().invoke(group, ["setup"], catch_exceptions=False)
    result = CliRunner().invoke(group, ["worker", "--once"], catch_exceptions=False)
    assert result.exit_code == 0 and "wait in the outbox" in result.output


def test_the_worker_sleeps_until_the_next_due_moment_at_most_the_poll_interval(app, services, case, clock):
    first = min(d.due for d in case.case.deadlines)
    with app.app_context():
        assert runner.pause(5, services.deps()) == 5  # no mail server: the waiting message is not work
        clock.set(first - timedelta(seconds=2))
        assert runner.pause(5, services.deps()) == 2
        clock.set(first + timedelta(seconds=1))
        assert runner.pause(5, services.deps()) == runner.MIN_PAUSE  # due but not done: no busy loop


def test_the_embedded_worker_thread_fires_timers_and_sends_mail(tmp_path, smtp, clock):
    from tests.web_app import make_app

    app = make_app(tmp_path / "w.sqlite3", clock, **smtp.settings())
    services = app.extensions["bpm"]
    progress = engine.start_case(
        {"channel": "email", "surname": "Quliyev", "given_name": "Tural", "email": "tural@example.com",
         "description": "Speaker hums"}, actor=engine.model.Actor("intake", frozenset({"intake"})), **services.deps(),
    )  # fmt: skip
    clock.advance(days=5)  # the 3-working-day review deadline has passed
    stop = threading.Event()

    def work():
        with app.app_context():
            runner.run_worker(0.05, stop=stop)

    thread = threading.Thread(target=work)
    thread.start()
    try:
        for _ in range(200):
            view = engine.show_case(progress.case_id, uow=services.uow)
            if smtp.recorder.accepted and any(e.type == "timer_fired" for e in view.events):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    view = engine.show_case(progress.case_id, uow=services.uow)  # the worker marks a message sent after handing it over
    assert [m.status for m in view.outbox] == ["sent"]
    assert "Task_ReviewOverdue" in {i.bpmn_id for i in view.work_items}
