"""The real AWS CLI (awscli from PyPI) pointed at the local MTurk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.emulator import random_access_key_id

AWS = Path(sys.executable).parent / "aws"


def aws(server_url: str, key: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_MTURK": server_url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        [str(AWS), "mturk", *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_aws_cli_creates_lists_and_reports_errors(emulator_server):
    key = random_access_key_id()
    question = (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<p>hi</p>]]></HTMLContent>'
        "<FrameHeight>0</FrameHeight></HTMLQuestion>"
    )
    created = aws(
        emulator_server.url,
        key,
        "create-hit",
        "--title",
        "From the CLI",
        "--description",
        "d",
        "--reward",
        "0.25",
        "--assignment-duration-in-seconds",
        "300",
        "--lifetime-in-seconds",
        "600",
        "--question",
        question,
    )
    assert created.returncode == 0, created.stderr
    hit_id = json.loads(created.stdout)["HIT"]["HITId"]

    listed = aws(emulator_server.url, key, "list-hits")
    assert listed.returncode == 0, listed.stderr
    assert [h["HITId"] for h in json.loads(listed.stdout)["HITs"]] == [hit_id]

    balance = aws(emulator_server.url, key, "get-account-balance")
    assert json.loads(balance.stdout)["AvailableBalance"] == "10000.00"

    missing = aws(emulator_server.url, key, "get-hit", "--hit-id", "NOSUCHHIT")
    assert missing.returncode != 0
    assert "RequestError" in missing.stderr
    assert "NOSUCHHIT" in missing.stderr
