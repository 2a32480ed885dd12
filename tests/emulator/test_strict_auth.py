"""Strict mode (EMULATOR_CREDENTIALS): signatures are verified, unknown keys refused."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import make_mturk_client, start_emulator

from .conftest import raw_call


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    server = start_emulator(
        tmp_path_factory.mktemp("strict"),
        env={
            "EMULATOR_CREDENTIALS": "AKIALABONE:secret-one,AKIALABTWO:secret-two",
            "EMULATOR_STARTING_BALANCE": "250.00",
        },
    )
    yield server
    server.stop()


def test_known_keys_with_their_secrets_work(strict_server):
    """(This server also starts customers with a configured balance.)"""
    one = make_mturk_client(strict_server.url, "AKIALABONE", "secret-one")
    two = make_mturk_client(strict_server.url, "AKIALABTWO", "secret-two")
    assert one.get_account_balance()["AvailableBalance"] == "250.00"
    assert two.list_hits()["NumResults"] == 0


def test_an_unknown_key_is_refused(strict_server):
    client = make_mturk_client(strict_server.url, "AKIASTRANGER", "secret-one")
    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()
    assert excinfo.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_wrong_secret_is_refused(strict_server):
    client = make_mturk_client(strict_server.url, "AKIALABONE", "secret-two")
    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_tampered_body_is_refused(strict_server):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=strict_server.url + "/",
        data=b'{"MaxResults": 10}',
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "MTurkRequesterServiceV20170117.ListHITs",
        },
    )
    SigV4Auth(Credentials("AKIALABONE", "secret-one"), "mturk-requester", "us-east-1").add_auth(
        request
    )
    import urllib.error
    import urllib.request

    tampered = urllib.request.Request(
        strict_server.url + "/",
        data=b'{"MaxResults": 99}',
        headers=dict(request.headers.items()),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(tampered, timeout=10)
    assert excinfo.value.code == 400
    assert b"InvalidSignatureException" in excinfo.value.read()


def _signed_list_hits(url: str, body: bytes, *, content_sha256: str | None = None) -> dict:
    """Headers of a ListHITs request signed by AKIALABONE (with an X-Amz-Content-Sha256 header,
    itself signed, when given)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "MTurkRequesterServiceV20170117.ListHITs",
    }
    if content_sha256 is not None:
        headers["X-Amz-Content-Sha256"] = content_sha256
    request = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
    SigV4Auth(Credentials("AKIALABONE", "secret-one"), "mturk-requester", "us-east-1").add_auth(
        request
    )
    return dict(request.headers.items())


def _post(url: str, body: bytes, headers: dict):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_body_changed_under_a_signed_content_hash_is_refused(strict_server):
    """The attack: sign with X-Amz-Content-Sha256 naming the original body, then send another
    body with the same headers. The server hashes the body itself, so the signature fails."""
    original = b'{"MaxResults": 10}'
    headers = _signed_list_hits(
        strict_server.url, original, content_sha256=hashlib.sha256(original).hexdigest()
    )
    assert "x-amz-content-sha256" in headers["Authorization"]

    status, payload = _post(strict_server.url, b'{"MaxResults": 99}', headers)

    assert status == 400
    assert payload["__type"] == "InvalidSignatureException"


def test_a_signed_content_hash_that_matches_the_body_is_accepted(strict_server):
    body = b'{"MaxResults": 10}'
    headers = _signed_list_hits(
        strict_server.url, body, content_sha256=hashlib.sha256(body).hexdigest()
    )

    status, payload = _post(strict_server.url, body, headers)

    assert status == 200
    assert payload["NumResults"] == 0


def test_a_missing_signature_is_refused(strict_server):
    response = raw_call(
        strict_server.url, "MTurkRequesterServiceV20170117.ListHITs", "{}", sign=False
    )
    assert response.status == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"


def test_a_malformed_authorization_header_is_refused(strict_server):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        strict_server.url + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "MTurkRequesterServiceV20170117.ListHITs",
            "Authorization": "Basic dXNlcjpwYXNz",
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert b"IncompleteSignatureException" in excinfo.value.read()
