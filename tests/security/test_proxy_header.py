"""`X-Forwarded-Proto: https` makes Django take a plain-HTTP request for a secure one (secure
cookies sent, the HTTPS redirect skipped). Only a proxy in front may be trusted to set it: off
unless one is declared, in settings and in the compose file alike."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.test_settings import PRODUCTION, REPO_ROOT, run

HEADER = (
    "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
)


def _proxy_header(**env: str) -> str:
    result = run(f"import django; django.setup(); {HEADER}", **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_forwarded_proto_header_is_trusted_only_when_a_proxy_is_declared():
    assert _proxy_header() == "None"
    assert _proxy_header(USE_X_FORWARDED_PROTO="0") == "None"
    assert _proxy_header(USE_X_FORWARDED_PROTO="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_the_compose_file_declares_no_proxy_by_default():
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{(USE_X_FORWARDED_PROTO|AXES_PROXY_COUNT):-([^}]*)\}", compose))
    assert defaults == {"USE_X_FORWARDED_PROTO": "0", "AXES_PROXY_COUNT": "0"}


@pytest.mark.django_db
def test_a_forged_header_does_not_make_a_request_secure(settings):
    """With the default settings, a client claiming https is still redirected to it."""
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
