"""`manage.py bootstrap`, which `make run` runs: the first admin and the Local MTurk account."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.requesters.models import Requester

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("weak", "reason"),
    [("admin", "too short"), ("password1", "too common"), ("48213957612", "entirely numeric")],
)
def test_a_weak_admin_password_from_the_environment_is_refused(monkeypatch, weak, reason):
    monkeypatch.setenv("MTURKDASH_ADMIN_PASSWORD", weak)
    with pytest.raises(CommandError, match=f"MTURKDASH_ADMIN_PASSWORD is refused: .*{reason}"):
        call_command("bootstrap", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_a_strong_one_makes_the_admin_and_the_local_account(monkeypatch):
    monkeypatch.setenv("MTURKDASH_ADMIN_PASSWORD", "a long and unusual bootstrap passphrase")
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("a long and unusual bootstrap passphrase")
    assert "from MTURKDASH_ADMIN_PASSWORD" in out.getvalue()
    assert Requester.objects.get(name="Local MTurk").memberships.get().user == admin


def test_without_one_a_random_password_is_shown_once(monkeypatch):
    monkeypatch.delenv("MTURKDASH_ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert "shown once" in out.getvalue()
