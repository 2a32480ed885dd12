"""Configuration comes from the environment; bad values and insecure production set-ups stop
start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#k2!pQz9@vL4mN8&rT1^wY6*bH3(jF5)cD0-eG_sA+uI=oP;lK:nM<qR>tV?",
    "ALLOWED_HOSTS": "mturkdash.example.org",
    "DATABASE_URL": "sqlite:////tmp/mturkdash-settings-test.sqlite3",
}


# Variables that pyproject's pytest env sets for the test run, not part of a real deployment.
TEST_ONLY = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "STATIC_MANIFEST",
    "MTURK_ENDPOINTS_ALLOWED",
    "SQS_ENDPOINTS_ALLOWED",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser fixture for its own process
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "mturkdash.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOAD = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"


def test_it_starts_on_embedded_defaults_in_debug():
    result = run(LOAD, DEBUG="1", DATABASE_URL="", REDIS_URL="")
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run(LOAD, DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = run(LOAD, DEBUG="0", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_it_refuses_a_short_secret_key_in_production():
    result = run(LOAD, DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is too short" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("REDIS_URL", "nonsense"),
        ("DEBUG", "maybe"),
        ("MTURK_READ_TIMEOUT", "soon"),
        ("AXES_FAILURE_LIMIT", "five"),
    ],
)
def test_it_names_the_variable_whose_value_is_malformed(name, value):
    result = run(LOAD, **{"DEBUG": "1", name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


def test_check_deploy_is_clean_under_the_documented_production_settings():
    result = run(
        "import sys; from django.core.management import execute_from_command_line;"
        " execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_secure_and_http_only():
    result = run(
        "import django; django.setup(); from django.conf import settings as s;"
        " print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.DEBUG)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "False"]


def test_redis_url_makes_redis_the_broker_and_cache():
    result = run(
        "import django; django.setup(); from django.conf import settings as s;"
        " print(s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://127.0.0.1:6379/3", "RedisCache"]


def test_without_redis_the_broker_needs_no_server():
    result = run(
        "import django; django.setup(); from django.conf import settings as s; print(s.CELERY_BROKER_URL)",
        DEBUG="1",
        REDIS_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "filesystem://"
