"""The control API is protected: the control token, the emulator's own origin, JSON bodies only,
and known Host names. Each test mounts an attack and checks that the emulator's state is intact."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import (
    CONTROL_TOKEN,
    CONTROL_TOKEN_HEADER,
    EmulatorControl,
    make_mturk_client,
    start_emulator,
)

from .conftest import create_hit, new_worker_id


def send(url: str, method: str = "POST", body: bytes | None = None, **headers: str):
    """(status, parsed JSON body) of one raw request."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def json_headers(**extra: str) -> dict[str, str]:
    return {"Content-Type": "application/json", CONTROL_TOKEN_HEADER: CONTROL_TOKEN, **extra}


def still_there(mturk, hit: dict) -> bool:
    """Whether a reset spared the customer's HIT."""
    try:
        mturk.get_hit(HITId=hit["HITId"])
    except ClientError:
        return False
    return True


@pytest.fixture
def hit(mturk) -> dict:
    return create_hit(mturk)


def test_a_reset_without_the_token_is_refused(emulator_server, mturk, hit):
    status, payload = send(
        emulator_server.url + "/_emulator/reset", body=b"{}", **{"Content-Type": "application/json"}
    )
    assert status == 403
    assert payload["error"] == "Forbidden"
    assert CONTROL_TOKEN_HEADER in payload["message"]
    assert still_there(mturk, hit)


def test_a_reset_with_a_wrong_token_is_refused(emulator_server, mturk, hit):
    wrong = json_headers(**{CONTROL_TOKEN_HEADER: CONTROL_TOKEN + "x"})
    status, payload = send(emulator_server.url + "/_emulator/reset", body=b"{}", **wrong)
    assert status == 403
    assert payload["error"] == "Forbidden"
    assert still_there(mturk, hit)


def test_every_control_path_needs_the_token(emulator_server):
    for path in ("clock", "stats", "faults", "events", "no-such-call"):
        status, _ = send(emulator_server.url + "/_emulator/" + path, method="GET")
        assert status == 403, path


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_simple_request_body_is_refused_even_with_the_token(
    emulator_server, mturk, hit, content_type
):
    """What a browser sends without a preflight (text/plain, form-encoded) never drives it."""
    headers = json_headers(**{"Content-Type": content_type})
    status, payload = send(emulator_server.url + "/_emulator/reset", body=b"x", **headers)
    assert status == 415
    assert payload["error"] == "UnsupportedMediaType"
    assert still_there(mturk, hit)


def test_a_body_without_a_content_type_is_refused(emulator_server, mturk, hit):
    request = urllib.request.Request(
        emulator_server.url + "/_emulator/reset",
        data=b"{}",
        method="POST",
        headers={CONTROL_TOKEN_HEADER: CONTROL_TOKEN},
    )
    # urllib adds a form content type to every body: take it away again.
    request.remove_header("Content-type")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 415
    assert still_there(mturk, hit)


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_a_cross_origin_request_is_refused_even_with_the_token(emulator_server, mturk, hit, origin):
    headers = json_headers(Origin=origin)
    status, payload = send(emulator_server.url + "/_emulator/reset", body=b"{}", **headers)
    assert status == 403
    assert payload["error"] == "CrossOrigin"
    assert still_there(mturk, hit)


def test_the_emulators_own_origin_may_call(emulator_server):
    status, payload = send(
        emulator_server.url + "/_emulator/clock",
        method="GET",
        **json_headers(Origin=emulator_server.url),
    )
    assert status == 200
    assert "now" in payload


@pytest.mark.parametrize("path", ["/_emulator/clock", "/worker/", "/"])
def test_an_unknown_host_is_refused(emulator_server, path):
    """A page that reaches the emulator through a name of its own (DNS rebinding) gets nothing."""
    status, payload = send(
        emulator_server.url + path, method="GET", **json_headers(Host="rebound.evil.example")
    )
    assert status == 400
    assert payload["error"] == "DisallowedHost"


def test_localhost_is_a_known_host(emulator_server):
    url = emulator_server.url.replace("127.0.0.1", "localhost")
    status, _ = send(url + "/_emulator/clock", method="GET", **json_headers())
    assert status == 200


# ---------------------------------------------------------------------------------------------
# The token file and extra hosts


@pytest.fixture(scope="module")
def file_token_server(tmp_path_factory):
    """An emulator started without EMULATOR_CONTROL_TOKEN: it makes and reads its token file."""
    directory = tmp_path_factory.mktemp("token-file")
    token_file = directory / "var" / "emulator-control-token"
    server = start_emulator(
        directory,
        env={
            "EMULATOR_CONTROL_TOKEN": "",
            "EMULATOR_CONTROL_TOKEN_FILE": str(token_file),
            "EMULATOR_ALLOWED_HOSTS": "mturk.test, other.test",
        },
    )
    server.token_file = token_file
    yield server
    server.stop()


def test_the_start_command_writes_a_private_token_file(file_token_server):
    token_file: Path = file_token_server.token_file
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 40
    assert token != CONTROL_TOKEN
    assert EmulatorControl(file_token_server.url, token=token).now()
    status, _ = send(file_token_server.url + "/_emulator/clock", method="GET", **json_headers())
    assert status == 403


def test_extra_allowed_hosts_are_answered(file_token_server):
    token = file_token_server.token_file.read_text().strip()
    port = file_token_server.url.rsplit(":", 1)[1]
    headers = json_headers(**{CONTROL_TOKEN_HEADER: token, "Host": f"mturk.test:{port}"})
    status, _ = send(file_token_server.url + "/_emulator/clock", method="GET", **headers)
    assert status == 200


# ---------------------------------------------------------------------------------------------
# The real-world attack: a HIT's own script in the worker frame


ATTACK = """<!DOCTYPE html><html><body><p id="state">waiting</p><script>
Promise.allSettled([
  fetch('/_emulator/reset', {method: 'POST', mode: 'no-cors', body: 'x'}),
  fetch('/_emulator/clock', {method: 'POST', mode: 'no-cors', body: '{"advance_seconds": 9e7}'}),
  fetch('/_emulator/reset', {method: 'POST', mode: 'no-cors',
                              headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                              body: 'a=b'}),
]).then(function () { document.getElementById('state').textContent = 'sent'; });
</script></body></html>"""


def html_question(html: str) -> str:
    return (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{html}]]></HTMLContent>'
        "<FrameHeight>300</FrameHeight></HTMLQuestion>"
    )


@pytest.mark.browser
def test_a_hits_script_in_the_worker_frame_cannot_reset_the_emulator(
    browser, emulator_server, emulator, mturk
):
    other_customer = make_mturk_client(emulator_server.url)
    bystander = create_hit(other_customer)
    before = emulator.now()
    hit = create_hit(mturk, Title="A HIT that attacks", Question=html_question(ATTACK))
    context = browser.new_context(base_url=emulator_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/worker/")
        page.fill("input[name=worker_id]", new_worker_id())
        page.click("text=Work as this worker")
        page.goto(f"/worker/hits/{hit['HITId']}")
        frame = page.frame_locator("iframe.question")
        frame.locator("#state", has_text="sent").wait_for()
    finally:
        context.close()
    assert still_there(mturk, hit)
    assert still_there(other_customer, bystander)
    assert (emulator.now() - before).total_seconds() < 3600
