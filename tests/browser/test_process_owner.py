"""A process owner in a real browser: change the resolution SLA in the modeler, deploy, and see
new cases get the new deadline while running cases keep theirs; a hostile upload is refused."""

from datetime import timedelta, timezone

import engine
from tests.browser.conftest import screenshot
from tests.conftest import CORPUS

BAKU = timezone(timedelta(hours=4))
INTAKE = {"channel": "call_centre", "surname": "Həsənov", "given_name": "Kamal", "phone": "+994 55 000 11 22",
          "description": "Late delivery"}  # fmt: skip


def resolution_day(live, reference):
    view = engine.show_case(reference, uow=live.app.extensions["bpm"].uow)
    return str({d.name: d.due.astimezone(BAKU).date() for d in view.case.deadlines}["Resolution deadline"])


def test_owner_changes_the_resolution_sla_to_7_working_days(page_as, live):
    services = live.app.extensions["bpm"]
    intake = engine.model.Actor("intake", frozenset({"intake"}))
    old = engine.start_case(INTAKE, actor=intake, **services.deps())

    owner = page_as("owner")
    assert owner.url.endswith("/processes/")
    owner.click("button:has-text('Edit as draft')")
    owner.wait_for_selector("#modeler[data-ready=true]")
    owner.click('[data-element-id="Start_Overdue"]', force=True)
    owner.click("#properties .bio-properties-panel-group-header:has-text('Timer')")
    value = owner.locator("#bio-properties-panel-timerEventDefinitionValue")
    assert value.input_value() == "deadline(received_at, 10)"
    value.fill("deadline(received_at, 7)")
    value.press("Tab")
    owner.fill("#comment", "Resolution within 7 working days")
    owner.click("#save")
    owner.wait_for_selector("#save-state[data-saved]")
    assert owner.locator("#problems .flash.success").count() == 1
    screenshot(owner, "modeler-sla-7")
    owner.click("#deploy")
    owner.wait_for_url("**/versions/2")
    assert "Deployed as version 2" in owner.locator(".flash").inner_text()

    new = engine.start_case(INTAKE, actor=intake, **services.deps())
    assert resolution_day(live, new.reference) == "2026-03-12"  # 7 working days (9 March is a holiday)
    assert resolution_day(live, old.reference) == "2026-03-17"  # the old case keeps its 10
    owner.goto(live.url + "/processes/complaint_handling/diff?a=1&b=2")
    assert "deadline(received_at, 7)" in owner.content()


def test_a_hostile_upload_shows_the_reason_and_cannot_be_deployed(page_as, live, tmp_path):
    hostile = CORPUS / "authored" / "hostile" / "xxe_parameter_entity.bpmn"
    owner = page_as("owner")
    owner.set_input_files("input[name=bpmn]", str(hostile))
    owner.click("form.upload button[type=submit]")
    owner.wait_for_url("**/processes/drafts/*")
    assert "DTD/entities not allowed" in owner.locator("#problems").inner_text()
    assert owner.locator("#deploy").is_disabled()
    screenshot(owner, "hostile-upload")
    versions = engine.list_versions(uow=live.app.extensions["bpm"].uow)
    assert [v.number for v in versions] == [1]


def test_owner_designs_a_form_in_the_form_editor(page_as, live):
    owner = page_as("owner")
    owner.click("button:has-text('Edit as draft')")
    owner.wait_for_selector("#modeler[data-ready=true]")
    if not owner.locator("details.forms-editor[open]").count():
        owner.click("details.forms-editor summary")
    owner.click("button.design-form[data-path='forms/analyse.form']")
    owner.wait_for_selector("#form-designer[data-ready=true]")
    screenshot(owner, "form-editor")
    assert owner.locator("#form-designer-canvas .fjs-container").count() >= 1
    owner.click("#form-designer-apply")
    text = owner.locator("textarea.form-json[data-path='forms/analyse.form']").input_value()
    assert '"key": "decision"' in text  # the form came back from the editor intact
    owner.click("#save")
    owner.wait_for_selector("#save-state[data-saved]")
    assert owner.locator("#problems .flash.success").count() == 1
