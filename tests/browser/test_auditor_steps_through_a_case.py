"""An auditor steps through a case on its diagram: each step highlights its own element and what waited."""

from tests.browser.conftest import delayed_case, screenshot
from tests.web_app import PASSWORD


def test_an_auditor_steps_through_a_case_on_its_diagram(browser, live):
    reference = delayed_case(live).case.reference
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(live.url + "/audit")
    page.fill("input[name=reference]", reference)
    page.click("button:has-text('Open the case history')")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert "Hash chain whole" in page.inner_text("#chain")
    assert "exactly" in page.inner_text("#replay")
    diagram = page.locator("#diagram")
    assert diagram.get_attribute("data-step") == "1"
    assert page.locator('g.djs-element.active[data-element-id="Task_Review"]').count() == 1

    page.click("#step-next")
    assert diagram.get_attribute("data-step") == "2"
    assert page.locator('g.djs-element.step-current[data-element-id="Task_Review"]').count() == 1
    assert page.locator('g.djs-element.active[data-element-id="Task_Analyse"]').count() == 1
    assert page.locator("#steps li[aria-current]").inner_text().count("Initial review") == 1
    screenshot(page, "audit-step-review")

    page.keyboard.press("ArrowRight")
    assert diagram.get_attribute("data-step") == "3"
    assert page.locator('g.djs-element.step-current[data-element-id="Start_AtRisk"]').count() == 1
    assert page.locator('g.djs-element.active[data-element-id="Task_DelayNotice"]').count() == 1
    assert page.locator('g.djs-element.step-current[data-element-id="Task_Review"]').count() == 0
    screenshot(page, "audit-step-timer")

    page.click("#steps li[data-seq='1']")
    assert diagram.get_attribute("data-step") == "1"
    page.click("#step-prev")  # already at the first step: stays
    assert diagram.get_attribute("data-step") == "1"
    context.close()
