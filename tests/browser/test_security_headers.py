"""The Content-Security-Policy in a real browser: every page with a diagram, a form editor or a chart
still works under it, and the browser reports no violation; a page cannot be framed by another site."""

from tests.browser.conftest import delayed_case, screenshot


def watch_violations(page):
    """CSP violations as the browser reports them (console errors and securitypolicyviolation events)."""
    found = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample))"
    )
    return found


def test_staff_pages_with_diagrams_and_forms_work_under_the_policy(page_as, live):
    view = delayed_case(live)
    officer = page_as("officer")
    violations = watch_violations(officer)
    officer.goto(f"{live.url}/cases/{view.case.reference}")
    officer.wait_for_selector("#diagram[data-ready=true]")
    assert officer.locator("#diagram svg").count() >= 1
    notice = next(i for i in view.work_items if i.bpmn_id == "Task_DelayNotice")
    officer.goto(f"{live.url}/tasks/{view.case.id}/{notice.task_id}")
    assert officer.locator("input[name=new_date]").get_attribute("min") == "2026-03-16"  # Monday: the next working day
    officer.goto(live.url + "/")
    screenshot(officer, "csp-task-list")
    assert violations == [], "\n".join(violations)


def test_the_modeler_and_the_form_editor_work_under_the_policy(page_as, live):
    owner = page_as("owner")
    violations = watch_violations(owner)
    owner.click("button:has-text('Edit as draft')")
    owner.wait_for_selector("#modeler[data-ready=true]")
    owner.click('[data-element-id="Task_Review"]', force=True)
    assert owner.locator("#properties .bio-properties-panel").count() >= 1
    if not owner.locator("details.forms-editor[open]").count():
        owner.click("details.forms-editor summary")
    owner.click("button.design-form[data-path='forms/analyse.form']")
    owner.wait_for_selector("#form-designer[data-ready=true]")
    assert owner.locator("#form-designer-canvas .fjs-container").count() >= 1
    screenshot(owner, "csp-form-editor")
    assert violations == [], "\n".join(violations)


def test_the_audit_steps_and_the_sla_chart_work_under_the_policy(page_as, live):
    view = delayed_case(live)
    auditor = page_as("auditor")
    violations = watch_violations(auditor)
    auditor.goto(f"{live.url}/audit/cases/{view.case.reference}")
    auditor.wait_for_selector("#diagram[data-ready=true]")
    auditor.click("#step-next")
    auditor.goto(live.url + "/audit/sla?from=2026-03-01&to=2026-03-31")
    auditor.wait_for_function("document.querySelector('canvas') && document.querySelector('canvas').width > 0")
    screenshot(auditor, "csp-sla-chart")
    assert violations == [], "\n".join(violations)


def test_no_inline_script_runs_and_no_other_site_may_frame_a_page(browser, live):
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(live.url + "/status")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "same-origin"
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text) as refused:
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
                      " document.body.appendChild(s); }")  # fmt: skip
    assert "script-src" in refused.value.text
    assert page.evaluate("() => window.pwned") is None
    context.close()
