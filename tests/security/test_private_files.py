"""`make run` on a shared machine: the SQLite database (with every account's encrypted keys), the
broker's messages and the credentials key are this user's only, and the key that encrypts the
credentials is this install's own, not one derived from the development SECRET_KEY that every
checkout shares."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken

from tests.test_settings import REPO_ROOT, TEST_ONLY, run

PASSWORD = "a long and unusual bootstrap passphrase"
DEV_SECRET_KEY = "insecure-development-key-only-for-debug-mode"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _first_run(var) -> subprocess.CompletedProcess:
    """What `make run` does before starting the processes: migrate, then bootstrap."""
    env = {
        "DEBUG": "1",
        "MTURKDASH_VAR_DIR": str(var),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CREDENTIALS_KEYS": "",
        "MTURKDASH_ADMIN_PASSWORD": PASSWORD,
    }
    code = (
        "import sys; from django.core.management import execute_from_command_line as run;"
        " run(['manage.py', 'migrate', '--no-input', '-v', '0']);"
        " run(['manage.py', 'bootstrap', '--sqs-queue-url',"
        " 'http://127.0.0.1:8002/123456789012/mturk-local'])"
    )
    return run(code, **env)


KEY = (
    "import django; django.setup(); from django.conf import settings;"
    " print(settings.CREDENTIALS_KEYS[0])"
)


def _key_of(var) -> str:
    # The embedded defaults (SQLite in var/), whatever database the test run itself uses.
    result = run(KEY, DEBUG="1", MTURKDASH_VAR_DIR=str(var), CREDENTIALS_KEYS="", DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_fresh_install_keeps_its_files_to_itself_with_a_key_of_its_own(tmp_path):
    var = tmp_path / "var"
    result = _first_run(var)
    assert result.returncode == 0, result.stderr
    assert _mode(var) == 0o700
    assert _mode(var / "celery") == 0o700
    key_file = var / "credentials.key"
    assert _mode(key_file) == 0o600
    for database in var.glob("dashboard.sqlite3*"):
        assert _mode(database) == 0o600, database.name

    # The Local MTurk account's keys are encrypted with the install's key, not the shared one.
    key = key_file.read_text().strip()
    with sqlite3.connect(var / "dashboard.sqlite3") as db:
        (secret,) = db.execute("SELECT secret_access_key FROM requesters_requester").fetchone()
    assert Fernet(key.encode()).decrypt(secret.encode())
    shared = base64.urlsafe_b64encode(
        hashlib.sha256(b"mturkdash-credentials:" + DEV_SECRET_KEY.encode()).digest()
    )
    with pytest.raises(InvalidToken):
        Fernet(shared).decrypt(secret.encode())

    # The same install keeps its key; another install gets another.
    assert _key_of(var) == key
    assert _key_of(tmp_path / "other-var") != key


def test_loose_folders_of_an_older_install_are_tightened(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "dashboard.sqlite3").touch(mode=0o644)
    (var / "dashboard.sqlite3").chmod(0o644)
    assert _key_of(var)
    assert _mode(var) == 0o700
    assert _mode(var / "dashboard.sqlite3") == 0o600


def test_production_makes_no_key_file_and_still_refuses_without_a_secret_key(tmp_path):
    var = tmp_path / "var"
    result = run(
        "import django; django.setup()",
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
        MTURKDASH_VAR_DIR=str(var),
    )
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
    assert not (var / "credentials.key").exists()


def test_two_processes_starting_at_once_share_one_key(tmp_path):
    var = tmp_path / "var"
    env = {**_clean_env(), "DEBUG": "1", "MTURKDASH_VAR_DIR": str(var), "CREDENTIALS_KEYS": ""}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", KEY], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert keys == {(var / "credentials.key").read_text().strip()}


def _clean_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in TEST_ONLY},
        "DJANGO_SETTINGS_MODULE": "mturkdash.settings",
    }
