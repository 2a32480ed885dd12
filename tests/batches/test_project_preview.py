"""The previews load the crowd script of the account's environment: MTurk's own for sandbox and
production accounts, the local MTurk's copy for local ones; each frame's policy allows scripts
from exactly that origin."""

from __future__ import annotations

import pytest

from apps.requesters.models import Environment
from tests.batches.conftest import make_batch, make_project
from tests.factories import MembershipFactory, RequesterFactory

pytestmark = pytest.mark.django_db

CROWD = (
    "<script src='https://assets.crowd.aws/crowd-html-elements.js'></script>"
    "<crowd-form><crowd-input name='label' label='${caption}'></crowd-input></crowd-form>"
)


def _script_sources(policy: str) -> list[str]:
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src"))
    return directive.split()[1:]


def test_it_loads_the_local_mturks_copy_for_a_local_account(login, carol, account):
    account.endpoint_url = "http://127.0.0.1:8765"
    account.save(update_fields=["endpoint_url"])
    project = make_project(account, carol, template=CROWD)

    frame = login(carol).get(f"/batches/projects/{project.pk}/preview/")

    body = frame.content.decode()
    assert "<script src='http://127.0.0.1:8765/assets/crowd-html-elements.js'>" in body
    assert "assets.crowd.aws" not in body
    assert _script_sources(frame["Content-Security-Policy"]) == ["http://127.0.0.1:8765"]


def test_it_loads_the_local_mturk_of_the_default_endpoint(login, carol, account, settings):
    settings.MTURK_LOCAL_ENDPOINT = "http://localhost:8001"
    account.endpoint_url = ""
    account.save(update_fields=["endpoint_url"])
    project = make_project(account, carol, template=CROWD)

    frame = login(carol).get(f"/batches/projects/{project.pk}/preview/")

    assert "http://localhost:8001/assets/crowd-html-elements.js" in frame.content.decode()
    assert _script_sources(frame["Content-Security-Policy"]) == ["http://localhost:8001"]


@pytest.mark.parametrize("environment", [Environment.SANDBOX, Environment.PRODUCTION])
def test_it_loads_mturks_own_script_for_a_real_account(login, environment):
    real = RequesterFactory(name="Real lab", environment=environment, endpoint_url="")
    manager = MembershipFactory(requester=real, role="manager").user
    project = make_project(real, manager, template=CROWD)

    frame = login(manager).get(f"/batches/projects/{project.pk}/preview/")

    body = frame.content.decode()
    assert "<script src='https://assets.crowd.aws/crowd-html-elements.js'>" in body
    assert _script_sources(frame["Content-Security-Policy"]) == ["https://assets.crowd.aws"]


def test_the_row_preview_loads_the_accounts_script_too(login, carol, account):
    project = make_project(account, carol, template=CROWD)
    batch = make_batch(project, carol, "caption\nA cat\n")

    frame = login(carol).get(f"/batches/{batch.pk}/rows/0/preview/")

    assert "http://127.0.0.1:9/assets/crowd-html-elements.js" in frame.content.decode()
    assert "label='A cat'" in frame.content.decode()
    assert _script_sources(frame["Content-Security-Policy"]) == ["http://127.0.0.1:9"]


def test_a_template_without_the_crowd_script_runs_no_script(login, carol, account):
    project = make_project(account, carol)

    frame = login(carol).get(f"/batches/projects/{project.pk}/preview/")

    assert _script_sources(frame["Content-Security-Policy"]) == ["'none'"]


def test_a_cell_naming_the_script_stays_text(login, carol, account):
    project = make_project(account, carol, template=CROWD)
    batch = make_batch(
        project, carol, 'caption\n"\'><script src=https://evil.example/x.js></script>"\n'
    )

    body = login(carol).get(f"/batches/{batch.pk}/rows/0/preview/").content.decode()

    assert "evil.example" in body and "<script src=https://evil.example" not in body


def test_the_editors_preview_shows_the_template_being_typed(login, carol, account):
    frame = login(carol).post(
        "/batches/projects/preview/", {"template": CROWD, "question_kind": "html"}
    )

    body = frame.content.decode()
    assert frame.status_code == 200 and frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "http://127.0.0.1:9/assets/crowd-html-elements.js" in body
    assert "label='[caption]'" in body
    assert _script_sources(frame["Content-Security-Policy"]) == ["http://127.0.0.1:9"]


def test_the_editors_preview_of_a_project_uses_its_accounts_script(login, carol, account):
    real = RequesterFactory(name="Real lab", environment=Environment.SANDBOX, endpoint_url="")
    MembershipFactory(user=carol, requester=real, role="manager")
    project = make_project(real, carol, template=CROWD)

    frame = login(carol).post(
        f"/batches/projects/preview/?project={project.pk}",
        {"template": CROWD, "question_kind": "html"},
    )

    assert "https://assets.crowd.aws/crowd-html-elements.js" in frame.content.decode()
    assert _script_sources(frame["Content-Security-Policy"]) == ["https://assets.crowd.aws"]


def test_the_editors_preview_escapes_nothing_it_should_not_and_runs_no_other_script(login, carol):
    frame = login(carol).post(
        "/batches/projects/preview/",
        {"template": "<script>parent.pwned=1</script><input name=a>", "question_kind": "html"},
    )

    assert _script_sources(frame["Content-Security-Policy"]) == ["'none'"]
    assert "sandbox allow-forms allow-scripts" in frame["Content-Security-Policy"]


def test_the_editors_preview_is_for_those_who_edit(login, victor, charlie, project):
    post = {"template": CROWD, "question_kind": "html"}

    assert login(victor).post("/batches/projects/preview/", post).status_code == 403
    assert (
        login(charlie).post(f"/batches/projects/preview/?project={project.pk}", post).status_code
        == 404
    )
    assert login(charlie).get("/batches/projects/preview/").status_code == 405


def test_the_editor_has_the_preview_frame_and_its_button(login, carol, project):
    page = login(carol).get(f"/batches/projects/{project.pk}/edit/").content.decode()

    assert (
        f'formaction="/batches/projects/preview/?project={project.pk}" formtarget="draft-preview"'
        in page
    )
    assert '<iframe name="draft-preview"' in page
    # the Save button stays the form's default (Enter saves, it does not preview)
    assert page.index(">Save</button>") < page.index('id="preview-button"')


def test_a_local_mturk_known_to_browsers_by_another_address_is_loaded_from_it(
    login, carol, account, settings
):
    # docker-compose: the dashboard calls http://emulator:8001, browsers know 127.0.0.1:8001
    settings.MTURK_LOCAL_ENDPOINT = "http://emulator:8001"
    settings.MTURK_LOCAL_PUBLIC_URL = "http://127.0.0.1:8001/"
    account.endpoint_url = ""
    account.save(update_fields=["endpoint_url"])
    project = make_project(account, carol, template=CROWD)

    frame = login(carol).get(f"/batches/projects/{project.pk}/preview/")

    assert "http://127.0.0.1:8001/assets/crowd-html-elements.js" in frame.content.decode()
    assert _script_sources(frame["Content-Security-Policy"]) == ["http://127.0.0.1:8001"]
