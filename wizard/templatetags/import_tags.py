"""The file-import panel of the connect step, and mistakes shown in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.files.mistakes import Mistake

register = template.Library()

ENTITY_LABELS = {
    "tickets": gettext_lazy("Tickets"), "deleted_tickets": gettext_lazy("Tickets deleted in the source"),
    "messages": gettext_lazy("Messages"), "notes": gettext_lazy("Notes"), "attachments": gettext_lazy("Attachments"),
    "contacts": gettext_lazy("Contacts"), "agents": gettext_lazy("Agents"),
    "organizations": gettext_lazy("Organizations"),
}


@register.inclusion_tag("wizard/partials/import_panel.html", takes_context=True)
def import_panel(context, migration):
    from wizard.views_import import upload_context

    return {**upload_context(migration), "csrf_token": context.get("csrf_token")}


@register.filter
def mistake_where(mistake: Mistake) -> str:
    parts = [mistake.file] if mistake.file else []
    if mistake.line is not None:
        parts.append(_("line %(n)s") % {"n": mistake.line})
    if mistake.column:
        parts.append(_("column %(c)s") % {"c": mistake.column})
    return ", ".join(parts)


@register.filter
def mistake_text(mistake: Mistake) -> str:
    try:
        return _(mistake.template) % mistake.params
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the English text
        return mistake.text()


@register.filter
def entity_rows(report) -> list[dict]:
    """(label, accepted, left out) per table that has anything."""
    rows = []
    for key, label in ENTITY_LABELS.items():
        accepted = (report.counts or {}).get(key, 0)
        left_out = (report.left_out or {}).get(key, 0)
        if accepted or left_out:
            rows.append({"key": key, "label": label, "accepted": accepted, "left_out": left_out})
    return rows
