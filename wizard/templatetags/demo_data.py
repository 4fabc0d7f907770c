"""What a full run does with the demos' conversations, in the user's language (migrations_engine/demo_reuse.py):
`{% demo_data_outcome run %}` after it settled them, `{% demo_data_outlook migration %}` before it starts."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from migrations_engine import services

register = template.Library()

# The names demo_reuse records for what changed since the demo.
CHANGE_LABELS = {
    "source_type": _("source platform"),
    "source_identity": _("source connection"),
    "front_identity": _("Front account"),
    "inbox_id": _("Front inbox"),
    "source_filter": _("mailbox or brand filter"),
    "status_map": _("status mapping"),
    "status_tag": _("status tag"),
    "custom_fields": _("custom fields"),
    "tag": _("migration tag"),
    "skip_attachments": _("attachments option"),
    "inline_images": _("inline images option"),
    "call_recordings": _("call recordings option"),
    "teammates": _("teammate mapping"),
    "default_teammate": _("default teammate"),
    "inbox_address": _("inbox address"),
    "front_custom_fields": _("Front custom fields"),
}


def _labels(names: list[str]) -> str:
    return ", ".join(str(CHANGE_LABELS.get(name, name)) for name in names)


@register.inclusion_tag("wizard/partials/demo_data.html")
def demo_data_outcome(run: Any) -> dict[str, Any]:
    outcome = ((getattr(run, "context", None) or {}).get("demo_data") or {}) if run is not None else {}
    if getattr(run, "kind", "") != "full" or not outcome.get("outcome"):
        return {"show": False}
    return {"show": True, "mode": "outcome", "outcome": outcome["outcome"], "changed": _labels(outcome.get("changed") or []),
            "kept": int(outcome.get("kept_tickets") or 0), "removed": int(outcome.get("removed") or 0)}


@register.inclusion_tag("wizard/partials/demo_data.html")
def demo_data_outlook(migration: Any) -> dict[str, Any]:
    outlook = services.demo_outlook(migration=migration)
    if not outlook or not outlook["tickets"]:
        return {"show": False}
    return {"show": True, "mode": "outlook", "outcome": "replaced" if outlook["changed"] else "kept",
            "changed": _labels(outlook["changed"]), "kept": outlook["tickets"]}
