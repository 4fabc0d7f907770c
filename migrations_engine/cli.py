"""What `manage.py migration apply` does: a migration created or updated from a JSON file (docs/cli.md)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from connectors.base import InvalidConfig
from connectors.http import guard_url
from connectors.registry import SOURCES
from migrations_engine.models import Schedule
from wizard.models import Migration

CUSTOM_FIELD_MODES = ("comment", "fields", "none")


class FileError(ValueError):
    """The file is not a valid migration description; the message names the field."""


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


def _require(data: dict, key: str, kind: type, where: str = "") -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or value in ("", {}):
        raise FileError(f"`{where}{key}` is required ({kind.__name__}).")
    return value


def apply_file(*, data: dict, owner_email: str | None = None) -> Migration:
    if not isinstance(data, dict):
        raise FileError("The file must hold one JSON object.")
    name = _require(data, "name", str)
    source = dict(_require(data, "source", dict))
    source_type = source.pop("type", None)
    if source_type not in SOURCES:
        raise FileError(f"`source.type` must be one of: {', '.join(SOURCES)}.")
    try:
        source_config = SOURCES[source_type].validate_config(source)
    except InvalidConfig as exc:
        raise FileError(f"source: {exc}") from None
    front = _require(data, "front", dict)
    token = _require(front, "token", str, "front.")
    inbox_id = _require(front, "inbox_id", str, "front.")
    api_url = (front.get("api_url") or settings.FRONT_API_URL).rstrip("/")
    try:
        guard_url(api_url)
    except InvalidConfig as exc:
        raise FileError(f"front.api_url: {exc} (loopback addresses need ALLOW_PRIVATE_URLS=true)") from None
    teammates = data.get("teammates") or {}
    options = data.get("options") or {}
    mode = options.get("custom_fields", "comment")
    if mode not in CUSTOM_FIELD_MODES:
        raise FileError("`options.custom_fields` must be comment, fields or none.")
    statuses = data.get("statuses") or {}
    if any(v not in ("open", "archived") for v in statuses.values()):
        raise FileError("Every value of `statuses` must be open or archived.")
    demo_ids = [str(i) for i in (data.get("demo") or {}).get("ids") or []]
    if len(demo_ids) > 20:
        raise FileError("`demo.ids` takes at most 20 ids.")
    owner = _owner(owner_email)
    fields = {
        "source_type": source_type, "source_config": source_config, "front_api_url": api_url,
        "front_token": token, "front_inbox_id": inbox_id,
        "selected_objects": data.get("objects") or {"tickets": True, "contacts": True, "agents": True},
        "teammate_map": {str(k): str(v) for k, v in (teammates.get("map") or {}).items()},
        "default_teammate_id": str(teammates.get("default") or ""),
        "auto_match": bool(teammates.get("auto_match", True)),
        "status_map": statuses, "status_tag": bool(options.get("status_tag", False)), "custom_fields": mode,
        "options": {k: options[k] for k in ("tag", "skip_attachments", "inline_images", "call_recordings")
                    if k in options},
        "demo_ids": demo_ids, "source_filter": data.get("filter") or {},
        "time_zone": data.get("time_zone") or "UTC",
    }
    with transaction.atomic():
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
