"""Credentials at rest: Fernet-encrypted model fields keyed by FIELD_ENCRYPTION_KEY.

The first key encrypts; every listed key decrypts, so keys can be rotated. Values never appear in
`repr`, forms' initial data, or logs: read them only where they are sent to the vendor.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set: it encrypts stored credentials.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes).") from exc


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys and settings.DEBUG:
        # Development only: a key derived from SECRET_KEY so DEBUG runs need no extra set-up.
        import base64
        import hashlib

        keys = (base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode(),)
    return keys


def encrypt_text(value: str) -> str:
    return _PREFIX + _fernet(_keys()).encrypt(value.encode()).decode()


def is_encrypted(value: str) -> bool:
    return value.startswith(_PREFIX)


def encrypted_with_current_key(value: str) -> bool:
    """True when the first (encrypting) key alone decrypts this stored value."""
    keys = _keys()
    try:
        _fernet(keys[:1]).decrypt(value[len(_PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def reencrypt_text(value: str) -> str:
    """The same plain text, encrypted again with the first key (any listed key may have encrypted it)."""
    if not is_encrypted(value):
        raise ValueError("value is not encrypted")
    try:
        token = _fernet(_keys()).rotate(value[len(_PREFIX) :].encode())
    except InvalidToken as exc:
        raise ImproperlyConfigured("A stored credential cannot be decrypted with any FIELD_ENCRYPTION_KEY.") from exc
    return _PREFIX + token.decode()


def decrypt_text(value: str) -> str:
    if not value.startswith(_PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return _fernet(_keys()).decrypt(value[len(_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored credential cannot be decrypted: FIELD_ENCRYPTION_KEY changed without keeping the old key."
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code sees the plain string."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document (e.g. a source connector's credentials) stored encrypted as one text column."""

    # For django-stubs: the attribute holds the decoded JSON (a dict), not the column's text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith(_PREFIX):
                return json.loads(decrypt_text(value))
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))
