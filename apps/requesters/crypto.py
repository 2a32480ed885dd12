"""Encryption of credentials at rest (Fernet, keys from the environment).

CREDENTIALS_KEYS lists Fernet keys: the first encrypts, every one decrypts, so a key can be
rotated by putting the new one first. Without it, one key is derived from SECRET_KEY, which then
must not change while credentials are stored.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.views.decorators.debug import sensitive_variables

# Every Fernet token starts so (version byte 0x80, base64-encoded).
_TOKEN_START = "gAAAAA"


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIALS_KEYS)
    if not keys:
        digest = hashlib.sha256(b"mturkdash-credentials:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"CREDENTIALS_KEYS holds a key that is not a Fernet key: {exc}"
        ) from exc


@sensitive_variables()
def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted: CREDENTIALS_KEYS (or SECRET_KEY) changed."
        ) from exc


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain text, the database never does,
    and neither does a dump (dumpdata writes the ciphertext, loaddata reads it back)."""

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str) and value.startswith(_TOKEN_START):
            try:
                return _fernet().decrypt(value.encode()).decode()
            except InvalidToken:
                return value
        return value

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return encrypt(value) if value else value

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
