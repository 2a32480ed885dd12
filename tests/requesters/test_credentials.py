"""Credentials never sit in the database in plain text."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from apps.requesters import crypto, services
from apps.requesters.models import CredentialSource, Requester
from tests.factories import RequesterFactory

pytestmark = pytest.mark.django_db

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM requesters_requester WHERE id = %s", [pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_stored_keys_are_encrypted_in_the_database():
    requester = RequesterFactory(access_key_id="AKIAPLAINTEXT0000001", secret_access_key=SECRET)
    raw = _raw_row(requester.pk)
    assert SECRET not in raw
    assert "AKIAPLAINTEXT0000001" not in raw
    assert Requester.objects.get(pk=requester.pk).secret_access_key == SECRET


def test_keys_can_be_rotated(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [old]
    crypto._fernet.cache_clear()
    requester = RequesterFactory(secret_access_key=SECRET)
    settings.CREDENTIALS_KEYS = [new, old]
    crypto._fernet.cache_clear()
    assert Requester.objects.get(pk=requester.pk).secret_access_key == SECRET
    crypto._fernet.cache_clear()


def test_environment_credentials_are_read_from_the_named_variables(monkeypatch):
    requester = RequesterFactory(
        credential_source=CredentialSource.ENVIRONMENT,
        access_key_id="",
        secret_access_key="",
        access_key_env="LAB_MTURK_KEY",
        secret_key_env="LAB_MTURK_SECRET",
    )
    with pytest.raises(services.CredentialsMissing, match="LAB_MTURK_KEY"):
        services.requester_account_config(requester)
    monkeypatch.setenv("LAB_MTURK_KEY", "AKIAFROMENVIRONMENT1")
    monkeypatch.setenv("LAB_MTURK_SECRET", SECRET)
    config = services.requester_account_config(requester)
    assert (config.access_key_id, config.secret_access_key) == ("AKIAFROMENVIRONMENT1", SECRET)
    assert SECRET not in repr(config)
    assert SECRET not in _raw_row(requester.pk)
