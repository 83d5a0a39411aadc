"""Every file of the shared BPMN corpus gets the upload verdict its manifest row asks for.

The manifest's `expected_outcome` is the target. Where it allows two behaviours we reject
(not executable, XInclude, naive timer dates, unknown lanes). Rows the manifest expects to
parse but that this application refuses on purpose are listed in DEVIATIONS with the reason
the refusal must name.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from engine.kernel.errors import InvalidBpmn
from engine.kernel.policy import DEFAULT_LANES, Policy
from engine.notation import sandbox
from engine.process_models.versions import check_upload
from tests.conftest import CORPUS, unavailable

if not (CORPUS / "manifest.tsv").is_file():
    unavailable(f"BPMN corpus not found at {CORPUS} (set COMPLAINTS_SHARED to the shared folder)", module=True)

MARKER = Path("/tmp/bpmn-corpus-sandbox-escape-marker")
PASSWD = "root:x:0:0"

# Lane names of the translated complaint variants (authored/valid/complaint_{az,ru,rtl}_names,
# complaint_ru_cp1251), plus the one lane of the SpiffWorkflow test file that should run to
# the end (Message-Interrupts: "Tester"), configured as a deployment would (COMPLAINTS_LANE_ROLES).
TRANSLATED_LANES = {
    "Qəbul": "intake", "Məsul əməkdaş": "officer", "Rəhbər": "supervisor",
    "Приём": "intake", "Ответственный сотрудник": "officer", "Руководитель": "supervisor",
    "الاستقبال": "intake", "موظف الشكاوى": "officer", "המפקח": "supervisor",
    "Tester": "officer",
}  # fmt: skip
POLICY = Policy(lane_roles={**DEFAULT_LANES, **TRANSLATED_LANES})

# Rows the manifest expects to parse, refused here on purpose: path -> what the message names.
DEVIATIONS = {
    # form references must be forms/<name>.form uploaded with the diagram (cf. user_task_missing_form)
    "external/spiffworkflow/spiff/data/user_task_variable.bpmn": ("pizza_form.json", "forms/"),
    "external/spiffworkflow/bpmn/data/boundary.bpmn": ("PesterForm", "forms/"),
    "external/spiffworkflow/camunda/data/random_fact.bpmn": ("Fact", "forms/"),
    "external/spiffworkflow/camunda/data/token_trial_parallel_simple.bpmn": ("Physical Interactions",),
    "external/spiffworkflow/camunda/data/MessageBoundary.bpmn": ("lane 'Boss' maps to no role",),
    "external/spiffworkflow/camunda/data/noninterrupting-MessageBoundary.bpmn": ("lane 'Boss'",),
    "external/spiffworkflow/bpmn/data/lanes.bpmn": ("lane 'A' maps to no role",),
    # lanes exist but their flowNodeRefs miss the task ids (cf. lanes_not_covering)
    "external/spiffworkflow/bpmn/data/Approvals.bpmn": ("in no lane",),
    # one file per upload: the called process is in another file (cf. call_activity_missing)
    "external/spiffworkflow/bpmn/data/call_activity_end_event.bpmn": ("Call_Activity_Get_Data", "not found"),
    "external/spiffworkflow/bpmn/data/single_call_activity.bpmn": ("SingleTask_Process", "not found"),
}

# What stock SpiffWorkflow said -> what our message says about the same construct.
SPIFF_SAYS = {
    "No start event found": "start event",
    "A SubWorkflow Must contain an End event": "no end event",
    "Multiple outgoing flows are not supported": "outgoing flows",
    "Exactly one start event is required in a SubWorkflow": "start event",
    "Data Store with name": "data store",
    "A Service Task must have an operator": "service task",
    "Non-default exclusive outgoing sequence flow without condition": "without a condition",
    "Cannot resolve dataInputAssociation": "data association",
    "Cannot resolve dataOutputAssociation": "data association",
    "A multiinstance task must specify a cardinality": "cardinality",
    "Unknown Time Specification": "no time expression",
    'No "calledElement" attribute': "called process",
    "Duplicate process ID": "duplicate id 'test'",
    "no bpmn:process element": "bpmn:process",
}

# Words in an expected outcome -> words the message must contain (any one of each tuple).
OUTCOME_WORDS = {
    "DTD": ("DTD",),
    "entity expansion": ("entit",),
    "nesting too deep": ("nesting",),
    "upload size limit": ("size",),
    "size or element-count limit": ("size", "too many"),
    "size or nesting limit": ("size", "nesting"),
    "too many elements": ("too many", "too deep"),
    "not executable": ("not executable",),
    "empty file": ("empty",),
    "not XML": ("XML",),
    "line/column given": ("column",),
    "invalid bytes for declared encoding": ("encoding",),
    "not a BPMN 2.0 definitions document": ("BPMN 2.0",),
    "wrong/unknown BPMN namespace": ("namespace",),
    "namespace prefix not defined": ("namespace prefix",),
    "(no process)": ("bpmn:process",),
    "(no start event)": ("no start event",),
    "invalid timer duration": ("timeDuration",),
    "timer expression syntax error": ("not valid",),
    "invalid timer cycle": ("timeCycle",),
    "timer has no time expression": ("no time expression",),
    "must carry an offset": ("offset",),
    "outside forms/": ("forms/<name>.form",),
    "not found": ("not found",),
    "is in no lane": ("no lane",),
    "maps to no role": ("maps to no role",),
    "loop needs loopMaximum": ("loopMaximum",),
    "too-frequent cycle": ("once a minute", "forever"),
    "ISO 8601 literal": ("ISO 8601",),
    "simple comparison": ("may not",),
    "XInclude never processed": ("XInclude",),
    "duplicate id": ("duplicate id",),
    "targets missing element": ("missing element",),
}
OVERRIDES = {  # where the manifest quotes SpiffWorkflow but the real problem is another one
    "external/bpmn-js/test/fixtures/bpmn/error/missing-namespace.bpmn": [("namespace",)],
    # its task splits without conditions (an implicit parallel split, which runs here); what
    # stops it is that neither pool is executable
    "external/miwg/Reference/A.4.0.bpmn": [("not executable",)],
}
ELEMENT_ID = re.compile(r"\b[A-Z][A-Za-z]*_[A-Za-z0-9_]+\b|forms/\w+\.form|\bjanitor\b")


def manifest() -> list[list[str]]:
    with open(CORPUS / "manifest.tsv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]


ROWS = manifest()


def verdict(path: str, outcome: str) -> str:
    """accept / reject / sandbox (rejected statically or stopped when run) / bidi."""
    if path in DEVIATIONS or outcome.startswith(("rejected", "XInclude never processed")):
        return "reject"
    if "cannot execute: rejected" in outcome or outcome.startswith("isExecutable is not true"):
        return "reject"
    if "sandbox" in outcome.split(";")[0]:
        return "sandbox"
    if outcome.startswith("accepted (or rejected naming the control character)"):
        return "bidi"
    assert outcome.startswith(("accepted", "parses")), f"unknown outcome group: {outcome}"
    return "accept"


def required_words(path: str, outcome: str) -> list[tuple[str, ...]]:
    """What the refusal must name: element ids and key words from the manifest row."""
    if path in DEVIATIONS:
        return [(word,) for word in DEVIATIONS[path]]
    if path in OVERRIDES:
        return OVERRIDES[path]
    words = [alternatives for phrase, alternatives in OUTCOME_WORDS.items() if phrase in outcome]
    words += [(said,) for quote, said in SPIFF_SAYS.items() if quote in outcome]
    named = outcome.split("(", 1)[1] if "naming the problem (" in outcome else ""
    words += [(name,) for name in ELEMENT_ID.findall(named.split("SpiffWorkflow says")[0])]
    return words


def forms_beside(path: Path) -> dict[str, bytes]:
    return {f"forms/{p.name}": p.read_bytes() for p in sorted((path.parent / "forms").glob("*.form"))}


def marker_state() -> int | None:
    """The marker's mtime: a stock SpiffWorkflow run (check_spiff.py) may have left one."""
    return MARKER.stat().st_mtime_ns if MARKER.exists() else None


MARKER_BEFORE = marker_state()


@pytest.fixture(scope="module", autouse=True)
def marker_untouched():
    yield
    assert marker_state() == MARKER_BEFORE, "a hostile payload escaped the sandbox"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bpmn-large")
    subprocess.run([sys.executable, str(CORPUS / "make_bad.py"), "--large", str(folder)], check=True)
    return folder


def upload(path: Path) -> tuple[object | None, str, float]:
    """check_upload on one file: (Checked or None, the refusal message, seconds taken)."""
    data = path.read_bytes()
    start = time.monotonic()
    try:
        checked, message = check_upload(data, forms_beside(path), POLICY), ""
    except InvalidBpmn as refused:
        checked, message = None, str(refused)
    return checked, message, time.monotonic() - start


def assert_harmless(message: str) -> None:
    assert "Traceback" not in message and 'File "' not in message, message
    assert "RecursionError" not in message, message
    assert PASSWD not in message, message
    assert marker_state() == MARKER_BEFORE, "a hostile payload escaped the sandbox"


def assert_names(message: str, words: list[tuple[str, ...]]) -> None:
    lowered = message.lower()
    for alternatives in words:
        assert any(word.lower() in lowered for word in alternatives), f"{alternatives} not in: {message}"


@pytest.mark.parametrize(
    "path, outcome", [(row[0], row[4]) for row in ROWS], ids=[row[0].split("/", 1)[-1] for row in ROWS]
)
def test_upload_verdict_matches_the_manifest(path: str, outcome: str, request) -> None:
    if path.startswith("generated:"):
        file = request.getfixturevalue("generated") / path.removeprefix("generated:")
    else:
        file = CORPUS / path
    checked, message, seconds = upload(file)
    assert_harmless(message)
    expected = verdict(path, outcome)
    if expected == "reject":
        assert checked is None, f"{path} was accepted; expected: {outcome}"
        assert_names(message, required_words(path, outcome))
    elif expected == "accept":
        assert checked is not None, f"{path} was refused: {message}"
        roles = [POLICY.roles_for_lane(t.lane) for t in checked.definition.user_tasks.values()]
        assert all(roles), "every user task must belong to a lane with a role"
    elif expected == "sandbox" and checked is None:
        assert "sandbox" in message, message
    elif expected == "sandbox":
        request.getfixturevalue("monkeypatch").setattr(sandbox, "MAX_SECONDS", 0.2)
        assert_scripts_are_stopped(file)
    elif expected == "bidi" and checked is None:
        assert "\\u202e" in message, "the refusal must show the hidden control character"
    if path.startswith("generated:"):
        assert seconds < 2, f"{path} took {seconds:.1f} s to refuse"


def assert_scripts_are_stopped(file: Path) -> None:
    """A script the upload lets through is stopped by the sandbox when it runs."""
    scripts = [s.text or "" for s in etree.parse(str(file)).iter("{*}script")]
    assert scripts
    for script in scripts:
        with pytest.raises(sandbox.SandboxError, match="limit"):
            sandbox.execute(script, {})


def test_timer_date_in_the_past_is_accepted_with_a_warning() -> None:
    checked, message, _ = upload(CORPUS / "authored/malformed/timer_date_in_past.bpmn")
    assert checked is not None, message
    assert any("past" in w and "Timer_1" in w for w in checked.definition.warnings)


def test_a_process_without_lanes_is_the_officers_work_with_a_warning() -> None:
    checked, message, _ = upload(CORPUS / "authored/valid/unicode_ids_az.bpmn")
    assert checked is not None, message
    assert {t.lane for t in checked.definition.user_tasks.values()} == {"officer"}
    assert any("without lanes" in w for w in checked.definition.warnings)


def test_a_refusal_lists_every_problem_even_when_not_executable() -> None:
    _, message, _ = upload(CORPUS / "external/miwg/Reference/A.2.1.bpmn")
    assert "not executable" in message and "outgoing flows" in message
    assert re.search(r"line \d+", message), "problems name their line"


def test_translated_lane_names_map_to_the_standard_roles() -> None:
    for name in ("complaint_az_names", "complaint_ru_names", "complaint_rtl_names", "complaint_ru_cp1251"):
        checked, message, _ = upload(CORPUS / f"authored/valid/{name}.bpmn")
        assert checked is not None, message
        roles = {POLICY.roles_for_lane(t.lane) for t in checked.definition.user_tasks.values()}
        assert roles <= {"intake", "officer", "supervisor"} and "officer" in roles


def test_lane_name_with_a_hidden_override_is_not_the_officer_lane() -> None:
    _, message, _ = upload(CORPUS / "authored/hostile/bidi_override_names.bpmn")
    assert "lane 'officer\\u202e' maps to no role" in message


def test_a_doctype_hidden_behind_a_long_comment_or_in_utf16_is_refused() -> None:
    body = '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    late = f'<?xml version="1.0"?><!-- {"x" * 5000} --><!DOCTYPE d SYSTEM "http://127.0.0.1:9/d.dtd">{body}'
    utf16 = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "a">]>{body}'.encode("utf-16")
    for data in (late.encode(), utf16):
        with pytest.raises(InvalidBpmn, match="DTD"):
            check_upload(data, {}, POLICY)


def test_hostile_uploads_never_leak_or_escape() -> None:
    for file in sorted((CORPUS / "authored/hostile").glob("*.bpmn")):
        _, message, _ = upload(file)
        assert_harmless(message)
