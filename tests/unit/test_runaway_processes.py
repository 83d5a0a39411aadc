"""A process that misbehaves at run time errors its own case; the sweep and other cases go on."""

import os
from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.kernel.policy import Policy
from engine.notation import sandbox
from tests.conftest import ROOT, corpus_file
from tests.scenario import ACTORS, OWNER, Scenario

BAKU = timezone(timedelta(hours=4))
MARKER = "/tmp/bpmn-corpus-sandbox-escape-marker"


@pytest.fixture
def runaway(uow, clock, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    policy = Policy(process_key="runaway")
    return Scenario(
        uow, clock, policy, bpmn=(ROOT / "tests/data/runaway_after_timer.bpmn").read_bytes(), forms={}
    )


def test_a_runaway_script_errors_its_case_and_the_sweep_goes_on(runaway):
    bad = runaway.start(channel="social")
    good = runaway.start(channel="call_centre")
    fired = runaway.move_to(datetime(2026, 3, 4, 9, tzinfo=BAKU))
    assert fired == 2
    bad_case, good_case = runaway.view(bad.case_id).case, runaway.view(good.case_id).case
    assert bad_case.status == "errored" and "time limit" in bad_case.error
    assert bad_case.next_timer_at is None  # never picked up again
    assert good_case.status == "open" and set(runaway.ready(good.case_id)) == {"Task_Check"}
    assert [e.type for e in runaway.view(bad.case_id).events][-2:] == ["timer_fired", "process_failed"]
    assert runaway.advance(days=5) == 0


def test_hostile_corpus_scripts_never_escape_when_run(uow, clock, monkeypatch):
    corpus = corpus_file("authored/hostile")
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    files = sorted(corpus.glob("script_*.bpmn")) + [corpus / "prescript_os_system.bpmn"]
    outcomes = {}
    for path in files:
        policy = Policy(process_key=path.stem)
        try:
            scenario = Scenario(uow, clock, policy, bpmn=path.read_bytes(), forms={})
        except engine.errors.InvalidBpmn as refused:
            assert "Traceback" not in str(refused)
            outcomes[path.name] = "refused at deploy"
            continue
        progress = scenario.start()
        assert progress.status == "errored", path.name
        assert "root:x:0" not in str(scenario.view(progress.case_id))
        outcomes[path.name] = "stopped when run"
    assert not os.path.exists(MARKER)
    assert len(files) > 1 and len(outcomes) == len(files)  # every hostile script met one of the two ends


def test_runtime_error_in_a_gateway_names_the_element(uow, clock):
    corpus = corpus_file("authored/malformed/gateway_no_outgoing_match.bpmn")
    policy = Policy(process_key="gateway")
    scenario = Scenario(uow, clock, policy, bpmn=corpus.read_bytes(), forms={})
    progress = scenario.start()
    while progress.status == "open" and scenario.view(progress.case_id).work_items:
        item = scenario.view(progress.case_id).work_items[0]
        progress = engine.complete_task(
            progress.case_id, item.task_id, {}, actor=ACTORS.get(item.lane, OWNER), **scenario.deps
        )
    assert progress.status == "errored"
    assert "Gateway_1" in progress.error
