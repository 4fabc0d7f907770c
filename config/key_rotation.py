"""Re-encrypt every encrypted column with the current FIELD_ENCRYPTION_KEY (`manage.py rotate_keys`).

Rotation: put the new key first in FIELD_ENCRYPTION_KEY and keep the old ones after it (all decrypt),
run `manage.py rotate_keys`, then drop the old keys. The columns are found through their field class
(config/crypto.py), so a new encrypted field is covered without touching this module. Each row is
rewritten only if it still holds the value that was read (a conditional UPDATE), so a credential saved
meanwhile is never overwritten with an older one. Running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from config.crypto import (
    EncryptedJSONField,
    EncryptedTextField,
    encrypted_with_current_key,
    is_encrypted,
    reencrypt_text,
)

BATCH = 500


@dataclass
class ColumnReport:
    label: str  # "wizard.Migration.front_token"
    rotated: int = 0
    current: int = 0  # already encrypted with the first key
    unreadable: int = 0  # no listed key decrypts it (or it is not encrypted at all)


def encrypted_fields() -> Iterator[tuple[type[models.Model], models.Field]]:
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField):
                yield model, field


def _rotate_column(model: type[models.Model], field: models.Field) -> ColumnReport:
    report = ColumnReport(label=f"{model._meta.label}.{field.name}")
    quote = connection.ops.quote_name
    table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
    last_pk = None
    while True:
        where = f"{column} IS NOT NULL AND {column} <> ''" + (f" AND {pk} > %s" if last_pk is not None else "")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT {BATCH}",  # noqa: S608 - quoted names from the model
                           [last_pk] if last_pk is not None else [])
            rows = cursor.fetchall()
        if not rows:
            return report
        with transaction.atomic():
            for row_pk, stored in rows:
                last_pk = row_pk
                if not is_encrypted(stored):
                    report.unreadable += 1
                elif encrypted_with_current_key(stored):
                    report.current += 1
                else:
                    try:
                        fresh = reencrypt_text(stored)
                    except ImproperlyConfigured:
                        report.unreadable += 1
                        continue
                    with connection.cursor() as cursor:
                        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                                       [fresh, row_pk, stored])
                        report.rotated += cursor.rowcount
        if len(rows) < BATCH:
            return report


def rotate_all_keys() -> list[ColumnReport]:
    return [_rotate_column(model, field) for model, field in encrypted_fields()]
