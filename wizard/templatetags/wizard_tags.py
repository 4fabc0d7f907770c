"""Small template helpers: Bootstrap field rendering, durations, entity labels."""

from __future__ import annotations

from django import forms, template
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wizard.selectors import ENTITY_LABELS

register = template.Library()


@register.inclusion_tag("wizard/_field.html")
def fp_field(field, label_hidden: bool = False):
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        kind, css = "checkbox", "form-check-input"
    elif isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        kind, css = "choices", "form-check-input"
    elif isinstance(widget, forms.Select):
        kind, css = "input", "form-select"
    else:
        kind, css = "input", "form-control"
    if field.errors:
        css += " is-invalid"
    widget.attrs["class"] = css
    if field.errors:
        widget.attrs["aria-invalid"] = "true"
    return {"field": field, "kind": kind, "label_hidden": label_hidden}


@register.filter
def duration(seconds) -> str:
    """A human ETA: '3 h 20 min', '12 min', 'under a minute'."""
    if seconds in (None, ""):
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return str(_("under a minute"))
    minutes = seconds // 60
    days, rem = divmod(minutes, 60 * 24)
    hours, minutes = divmod(rem, 60)
    if days:
        return ngettext("%(d)d day %(h)d h", "%(d)d days %(h)d h", days) % {"d": days, "h": hours}
    if hours:
        return str(_("%(h)d h %(m)d min")) % {"h": hours, "m": minutes}
    return str(_("%(m)d min")) % {"m": minutes}


@register.filter
def rate(per_minute) -> str:
    """Tickets per minute: whole numbers from 10 up, one decimal below (a slow run is not "0")."""
    value = float(per_minute or 0)
    return formats.number_format(value, 0 if value >= 10 else 1, use_l10n=True, force_grouping=True)


@register.filter
def entity_label(name: str) -> str:
    """"tickets" -> "Tickets", in the user's language (unknown entities are shown as they are)."""
    return str(ENTITY_LABELS.get(name, name))


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


RUN_STATES = {
    "scheduled": _("Scheduled"), "running": _("Running"), "pausing": _("Pausing"), "paused": _("Paused"),
    "completed": _("Completed"), "failed": _("Failed"), "cancelled": _("Cancelled"),
}
RUN_KINDS = {
    "demo": _("Demo"), "full": _("Full migration"), "delta": _("Delta migration"),
    "remigration": _("Re-migration"), "retry": _("Retry of failed records"),
}


@register.filter
def run_state(run) -> str:
    return str(RUN_STATES.get(run.state, run.state))


@register.filter
def run_kind(run) -> str:
    return str(RUN_KINDS.get(run.kind, run.kind))


@register.filter
def state_badge(state: str) -> str:
    return {
        "completed": "success", "done": "success", "running": "primary", "scheduled": "info",
        "pausing": "warning", "paused": "warning", "failed": "danger", "cancelled": "secondary",
        "skipped": "warning", "pending": "secondary",
    }.get(str(state), "secondary")
