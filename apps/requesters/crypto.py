"""Encryption of credentials at rest (Fernet, keys from the environment).

CREDENTIALS_KEYS lists Fernet keys: the first encrypts, every one decrypts, so a key can be
rotated by putting the new one first. Without it, one key is derived from SECRET_KEY, which then
must not change while credentials are stored; in development (DEBUG) settings.py makes a key of
the install's own instead (var/credentials.key), and the key derived from the development
SECRET_KEY still reads what it encrypted before.

Ciphertext is decrypted only on its way out of the database (and out of a dump, by loaddata):
a value typed in, even one shaped like a token, is plain text. Otherwise anyone who can type
a key into an account form and holds a stolen dump's ciphertext of another account's secret
could have the server decrypt it into their own account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models.signals import pre_save
from django.views.decorators.debug import sensitive_variables

# A Fernet token: version byte 0x80, 8-byte time, 16-byte IV, 16+ bytes of ciphertext (whole
# AES blocks), 32-byte HMAC.
_TOKEN_VERSION = 0x80
_TOKEN_MIN_BYTES = 1 + 8 + 16 + 16 + 32


def _derived_key() -> str:
    digest = hashlib.sha256(b"mturkdash-credentials:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIALS_KEYS)
    if not keys:
        keys = [_derived_key()]
    elif getattr(settings, "CREDENTIALS_KEY_FILE", ""):
        # The install's own key (DEBUG): credentials stored before it existed were encrypted
        # with the key derived from SECRET_KEY; that one still decrypts them, never encrypts.
        keys.append(_derived_key())
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


def looks_like_token(value) -> bool:
    """Whether a value has the shape of a Fernet token (what this module stores)."""
    if not isinstance(value, str) or len(value) < 80:
        return False
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(raw) >= _TOKEN_MIN_BYTES and raw[0] == _TOKEN_VERSION and len(raw) % 16 == 9


def refuse_token(value) -> None:
    """Refuse a typed value that is ciphertext: credentials are typed in plain text."""
    if looks_like_token(value):
        raise ValidationError(
            "This is an encrypted token, not a key: type the key itself.", code="token"
        )


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain text, the database never does,
    and neither does a dump (dumpdata writes the ciphertext, loaddata reads it back).

    Only values read from the database or loaded from a dump are decrypted; a value set in
    code or through a form is taken as plain text and refused when it looks like a token."""

    default_validators = [refuse_token]

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not cls._meta.abstract:
            # Weakly held, so that migrations' short-lived model classes leave nothing behind.
            pre_save.connect(self._decrypt_loaded, sender=cls)

    def _decrypt_loaded(self, sender, instance, raw=False, **kwargs):
        """loaddata saves "raw" what dumpdata wrote (value_to_string's ciphertext): decrypt it
        here so that it is stored once encrypted. Only fixtures are saved raw."""
        if raw:
            value = getattr(instance, self.attname)
            if looks_like_token(value):
                setattr(instance, self.attname, decrypt(value))

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
