"""Someone holding only a dump's ciphertext of another account's keys, and the right to type keys
into their own account, pastes that ciphertext as their key. The server must not decrypt it for
them: it decrypts only what it reads from its database (or loads from a dump), and refuses a
typed key that is a token."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.requesters import crypto, services
from apps.requesters.models import Membership, Requester

pytestmark = pytest.mark.django_db

B_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYOTHERLABKEY"


def _ciphertext(requester: Requester) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_key_id, secret_access_key FROM requesters_requester WHERE id = %s",
            [requester.pk],
        )
        return cursor.fetchone()


@pytest.fixture
def account_b(other_account):
    other_account.secret_access_key = B_SECRET
    other_account.save()
    return other_account


def test_pasting_another_accounts_ciphertext_as_a_key_is_refused(login, alice, account, account_b):
    b_access, b_secret = _ciphertext(account_b)
    assert crypto.looks_like_token(b_secret)
    response = login(alice).post(
        f"/accounts/{account.pk}/edit/",
        {
            "name": account.name,
            "environment": "local",
            "endpoint_url": account.endpoint_url,
            "credential_source": "encrypted",
            "new_access_key_id": b_access,
            "new_secret_access_key": b_secret,
            "bonus_cap": "5.00",
            "daily_spend_limit": "100.00",
            "requests_per_second": "5",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "encrypted token, not a key" in errors["new_secret_access_key"][0]
    assert "encrypted token, not a key" in errors["new_access_key_id"][0]
    stored = Requester.objects.get(pk=account.pk)
    assert stored.secret_access_key == "test-secret-access-key"
    assert stored.secret_access_key != B_SECRET
    assert stored.access_key_id != account_b.access_key_id


def test_the_service_refuses_it_too_and_never_decrypts_typed_text(alice, account, account_b):
    """Behind the form (a script calling the service): still refused, and the model field
    takes a typed token as the text it is."""
    b_access, b_secret = _ciphertext(account_b)
    membership = Membership.objects.get(user=alice, requester=account)
    with pytest.raises(ValidationError):
        services.requester_update(
            actor=alice,
            membership=membership,
            data={},
            secrets={"access_key_id": b_access, "secret_access_key": b_secret},
        )
    assert Requester.objects.get(pk=account.pk).secret_access_key != B_SECRET
    field = Requester._meta.get_field("secret_access_key")
    assert field.to_python(b_secret) == b_secret
    with pytest.raises(ValidationError):
        field.clean(b_secret, account)


def test_a_real_key_is_never_taken_for_a_token():
    for key in (B_SECRET, "AKIAEXAMPLEEXAMPLE01", "gAAAAA" + "x" * 40, "gAAAAABl" + "A" * 120):
        assert not crypto.looks_like_token(key), key
