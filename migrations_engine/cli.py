"""What `manage.py migration apply` does: a migration created or updated from a JSON file (docs/cli.md)."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from connectors.base import ConnectorError
from connectors.http import guard_url
from connectors.registry import SOURCES
from migrations_engine.cli_schema import OBJECT_NAMES, Mistake, schema_mistakes
from migrations_engine.models import Schedule
from wizard.models import Migration


class FileError(ValueError):
    """The file is not a valid migration description; the message names each mistake by its key path."""

    def __init__(self, message: str, mistakes: list[Mistake] | None = None) -> None:
        super().__init__(message)
        self.mistakes = mistakes or []


def _owner(email: str | None):
    users = get_user_model().objects
    if email:
        user = users.filter(email__iexact=email).first()
        if user is None:
            user = users.create_user(username=email.lower(), email=email.lower())
            user.set_unusable_password()
            user.save()
        return user
    user = users.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise FileError("Pass --owner EMAIL: there is no administrator account to own the migration.")
    return user


def validate_file(*, data: Any) -> list[Mistake]:
    """Every mistake in a migration file, each named by its key path; nothing is read or created.

    First the JSON Schema (cli_schema.py, published in docs/cli.md), then what a schema cannot say: the
    connector's own checks of `source`, the SSRF guard on `front.api_url`, a real `time_zone`."""
    if not isinstance(data, dict):
        return [Mistake("", f"The file must hold one JSON object {{...}}, not {type(data).__name__ if data is not None else 'null'}.")]
    mistakes = schema_mistakes(data)
    broken = {m.path.split(".")[0].split("[")[0] for m in mistakes}
    source = data.get("source")
    if "source" not in broken and isinstance(source, dict):
        config = {k: v for k, v in source.items() if k != "type"}
        try:
            SOURCES[source["type"]].validate_config(config)
        except ConnectorError as exc:  # InvalidConfig, or an address that does not resolve
            mistakes.append(Mistake(_source_key(source["type"], str(exc)), str(exc)))
    front = data.get("front")
    if "front" not in broken and isinstance(front, dict):
        try:
            guard_url((front.get("api_url") or settings.FRONT_API_URL).rstrip("/"))
        except ConnectorError as exc:
            mistakes.append(Mistake("front.api_url", f"{exc} (loopback addresses need ALLOW_PRIVATE_URLS=true)"))
    zone = data.get("time_zone")
    if "time_zone" not in broken and zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            mistakes.append(Mistake("time_zone", f"is not a time zone name such as Europe/Paris ({zone!r})."))
    return mistakes


def _source_key(source_type: str, message: str) -> str:
    """`source.<field>` when the connector's sentence names one of its fields by label, else `source`."""
    for field in SOURCES[source_type].config_fields:
        if field.label and field.label.lower() in message.lower():
            return f"source.{field.name}"
    return "source"


def _objects(value: Any) -> dict[str, bool]:
    """The documented object, or its shorthand: a list of the object names to migrate."""
    if isinstance(value, list):
        return {name: name in value for name in OBJECT_NAMES}
    return value or {name: True for name in OBJECT_NAMES}


def refusal(mistakes: list[Mistake]) -> str:
    lines = "\n".join(f"  - {m}" for m in mistakes)
    count = "1 mistake" if len(mistakes) == 1 else f"{len(mistakes)} mistakes"
    return f"The migration file has {count}; nothing was created or changed:\n{lines}"


def apply_file(*, data: dict, owner_email: str | None = None) -> Migration:
    mistakes = validate_file(data=data)
    if mistakes:
        raise FileError(refusal(mistakes), mistakes)
    name = data["name"]
    source = dict(data["source"])
    source_type = source.pop("type")
    source_config = SOURCES[source_type].validate_config(source)
    front = data["front"]
    token, inbox_id = front["token"], front["inbox_id"]
    api_url = (front.get("api_url") or settings.FRONT_API_URL).rstrip("/")
    teammates = data.get("teammates") or {}
    options = data.get("options") or {}
    mode = options.get("custom_fields", "comment")
    statuses = data.get("statuses") or {}
    demo_ids = [str(i) for i in (data.get("demo") or {}).get("ids") or []]
    fields = {
        "source_type": source_type, "source_config": source_config, "front_api_url": api_url,
        "front_token": token, "front_inbox_id": inbox_id,
        "selected_objects": _objects(data.get("objects")),
        "teammate_map": {str(k): str(v) for k, v in (teammates.get("map") or {}).items()},
        "default_teammate_id": str(teammates.get("default") or ""),
        "auto_match": bool(teammates.get("auto_match", True)),
        "status_map": statuses, "status_tag": bool(options.get("status_tag", False)), "custom_fields": mode,
        "options": {**{k: options[k] for k in ("tag", "skip_attachments", "inline_images", "call_recordings")
                       if k in options},
                    **({"knowledge_base": dict(front["knowledge_base"])} if front.get("knowledge_base") else {})},
        "demo_ids": demo_ids, "source_filter": data.get("filter") or {},
        "time_zone": data.get("time_zone") or "UTC",
    }
    with transaction.atomic():  # a refusal below (an unknown id) leaves no new owner account behind
        owner = _owner(owner_email)
        migration = None
        if data.get("id"):
            migration = Migration.objects.filter(pk=data["id"], owner=owner).first()
            if migration is None:
                raise FileError(f"Migration {data['id']} does not exist or belongs to someone else.")
        migration = migration or Migration.objects.filter(owner=owner, name=name).first()
        if migration is None:
            migration = Migration(owner=owner, name=name)
        migration.name = name
        for key, value in fields.items():
            setattr(migration, key, value)
        migration.furthest_step = max(migration.furthest_step, Migration.Step.OPTIONS)
        migration.save()
        if "windows" in data:
            migration.windows.all().delete()
            for w in data["windows"] or []:
                Schedule.objects.create(migration=migration, start_day=int(w["start_day"]),
                                        start_time=time.fromisoformat(w["start_time"]),
                                        end_day=int(w["end_day"]), end_time=time.fromisoformat(w["end_time"]))
        if source_type == "files":  # the export is copied into the migration's store and checked there
            _adopt_export(migration, source_config["path"])
    return migration


def _adopt_export(migration: Migration, path: str) -> None:
    from wizard.imports import ExportRefused, adopt_export

    try:
        migration.source_config = adopt_export(migration=migration, path=path)
    except ExportRefused as exc:
        raise FileError(f"source.path: {exc}") from None
    migration.save(update_fields=["source_config", "updated_at"])
