"""Process-owner pages: only process owners, CSRF, uploads, drafts, deploy, diff, migration."""

import io

import pytest
from werkzeug.test import EnvironBuilder

import engine
from tests import modeler_files as files
from tests.conftest import BPMN_FILE, corpus_file
from tests.web_app import csrf_token

PAGES = ["/processes/", "/processes/complaint_handling/versions/1", "/processes/complaint_handling/versions/1.bpmn",
         "/processes/complaint_handling/diff?a=1&b=1", "/processes/complaint_handling/migrate"]  # fmt: skip


@pytest.mark.parametrize("username", ["intake", "officer", "quality", "supervisor", "auditor"])
def test_only_process_owners_reach_the_process_pages(as_user, username):
    client = as_user(username).client
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    assert client.post("/processes/complaint_handling/drafts").status_code in (400, 403)


def test_owner_pages_and_the_download(as_user):
    owner = as_user("owner")
    for page in PAGES:
        assert owner.client.get(page).status_code == 200, page
    download = owner.client.get("/processes/complaint_handling/versions/1.bpmn")
    assert download.data == BPMN_FILE.read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    assert owner.client.get("/processes/complaint_handling/versions/9").status_code == 404


def draft_url(owner):
    response = owner.post("/processes/complaint_handling/drafts", token_from="/processes/")
    assert response.status_code == 303
    return response.headers["Location"]


def test_saving_from_the_modeler_needs_csrf_and_json(as_user):
    owner = as_user("owner")
    url = draft_url(owner)
    token = csrf_token(owner.client.get(url).text)
    assert owner.client.post(url, json={"xml": "<x/>"}).status_code == 400  # no CSRF token
    assert owner.client.post(url, json={"nope": 1}, headers={"X-CSRFToken": token}).status_code == 400
    assert owner.client.post(url, json={"xml": "x", "forms": [1]}, headers={"X-CSRFToken": token}).status_code == 400
    saved = owner.client.post(url, json={"xml": "not xml"}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and not saved.json["deployable"]
    assert "Not XML" in saved.json["problems"][0]


def test_an_invalid_draft_is_not_deployed_and_versions_stay(as_user, services):
    owner = as_user("owner")
    url = draft_url(owner)
    token = csrf_token(owner.client.get(url).text)
    bad = BPMN_FILE.read_text().replace("deadline(received_at, 10)", "open('/etc/passwd')")
    owner.client.post(url, json={"xml": bad}, headers={"X-CSRFToken": token})
    response = owner.client.post(f"{url}/deploy", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(url.rsplit("/", 1)[1])
    assert [v.number for v in engine.list_versions(uow=services.uow)] == [1]
    assert "open(" in owner.client.get(response.headers["Location"]).text  # the problem is shown


@pytest.mark.parametrize("name", ["hostile/billion_laughs.bpmn", "hostile/xinclude.bpmn", "malformed/png_renamed.bpmn",
                                  "hostile/script_os_system.bpmn", "hostile/deep_nesting_xml.bpmn"])  # fmt: skip
def test_hostile_uploads_become_drafts_that_explain_and_never_deploy(as_user, services, name):
    path = corpus_file(f"authored/{name}")
    owner = as_user("owner")
    token = csrf_token(owner.client.get("/processes/").text)
    upload = {"csrf_token": token, "bpmn": (io.BytesIO(path.read_bytes()), path.name)}
    url = "/processes/complaint_handling/upload"
    response = owner.client.post(url, content_type="multipart/form-data", data=upload)
    assert response.status_code == 303
    page = owner.client.get(response.headers["Location"]).text
    assert 'class="problem"' in page and "Traceback" not in page and "root:x:0" not in page
    assert [v.number for v in engine.list_versions(uow=services.uow)] == [1]


def test_an_upload_over_the_bpmn_size_limit_is_refused_with_a_message(as_user):
    owner = as_user("owner")
    token = csrf_token(owner.client.get("/processes/").text)
    huge = io.BytesIO(b"<x>" + b" " * (6 * 1024 * 1024))
    builder = EnvironBuilder(path="/processes/complaint_handling/upload", method="POST",
                             data={"csrf_token": token, "bpmn": (huge, "huge.bpmn")})  # fmt: skip
    environ = builder.get_environ()  # werkzeug spools a body this large to a file: close it ourselves
    try:
        response = owner.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 422 and "size limit" in response.text


def test_migration_page_runs_a_dry_run_then_migrates(as_user, services, case):
    owner = as_user("owner")
    url = draft_url(owner)
    token = csrf_token(owner.client.get(url).text)
    seven = BPMN_FILE.read_text().replace("deadline(received_at, 10)", "deadline(received_at, 7)")
    owner.client.post(url, json={"xml": seven}, headers={"X-CSRFToken": token})
    assert owner.client.post(f"{url}/deploy", data={"csrf_token": token}).status_code == 303
    form = {"csrf_token": token, "from": 1, "to": 2, "mapping": ""}
    dry = owner.client.post("/processes/complaint_handling/migrate", data=dict(form, action="dry-run"))
    assert dry.status_code == 200 and "can move" in dry.text and case.case.reference in dry.text
    assert engine.show_case(case.case.id, uow=services.uow).events[-1].type == "case_started"
    done = owner.client.post("/processes/complaint_handling/migrate", data=dict(form, action="migrate"))
    assert "moved" in done.text
    assert engine.show_case(case.case.id, uow=services.uow).events[-1].type == "version_migrated"
    bad = owner.client.post("/processes/complaint_handling/migrate", data=dict(form, mapping="oops", action="dry-run"))
    assert "Old_Id=New_Id" in bad.text


def upload_and_deploy(owner, key, xml):
    """Upload a file as a draft of `key`, as from Camunda Modeler, and deploy it: (draft page, deploy response)."""
    token = csrf_token(owner.client.get("/processes/").text)
    upload = {"csrf_token": token, "bpmn": (io.BytesIO(xml), "from_modeler.bpmn")}
    response = owner.client.post(f"/processes/{key}/upload", content_type="multipart/form-data", data=upload)
    assert response.status_code == 303
    draft = response.headers["Location"]
    return owner.client.get(draft).text, owner.client.post(f"{draft}/deploy", data={"csrf_token": token})


def start(services):
    intake = {"channel": "call_centre", "given_name": "Leyla", "phone": "+994 50 111 22 33", "description": "Late"}
    return engine.start_case(intake, actor=engine.model.Actor("intake", frozenset({"intake"})), **services.deps())


def test_a_camunda_timer_uploaded_in_the_web_deploys_and_new_cases_move_on_when_it_fires(as_user, services, clock):
    camunda = files.timed("timeDuration", "PT10S", "boundary")  # <bpmn:timeDuration>PT10S</bpmn:timeDuration>
    page, deployed = upload_and_deploy(as_user("owner"), "complaint_handling", camunda)
    assert "can be deployed" in page and deployed.headers["Location"].endswith("/complaint_handling/versions/2")
    case = start(services)
    assert (case.status, case.error) == ("open", None)
    clock.advance(seconds=11)
    assert engine.fire_due_timers(**services.deps()) == 1
    ready = [i.bpmn_id for i in engine.show_case(case.case_id, uow=services.uow).work_items]
    assert sorted(ready) == ["Task_Late", "Task_Work"]
    assert "Task_Late" in as_user("officer").client.get("/").text


def test_a_collaboration_with_a_documentation_pool_uploaded_in_the_web_deploys(as_user, services):
    page, deployed = upload_and_deploy(as_user("owner"), "complaint_handling", files.collaboration())
    assert 'class="problem"' not in page and deployed.status_code == 303
    case = engine.show_case(start(services).case_id, uow=services.uow)
    assert [i.bpmn_id for i in case.work_items] == ["Task_Handle"]


def test_a_process_that_calls_itself_uploaded_in_the_web_is_refused_naming_the_chain(as_user, services):
    page, deployed = upload_and_deploy(as_user("owner"), "complaint_handling", files.calling({"A": ["B"], "B": ["A"]}))
    assert 'class="problem"' in page and "A → B → A" in page
    assert deployed.status_code == 303 and "/drafts/" in deployed.headers["Location"]
    assert [v.number for v in engine.list_versions(uow=services.uow)] == [1]


def test_the_same_file_deploys_in_the_web_as_a_version_of_a_second_process(as_user, services):
    owner, xml = as_user("owner"), files.timed("timeDuration", "PT1H", "boundary")
    for key in ("callbacks", "callbacks_vip"):
        _, deployed = upload_and_deploy(owner, key, xml)
        assert deployed.status_code == 303 and deployed.headers["Location"].endswith(f"/{key}/versions/1")
    page = owner.client.get("/processes/").text
    assert "callbacks_vip" in page and page.count("v1</a>") == 3
