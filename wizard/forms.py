"""Wizard forms. Every error message says what to fix; secrets are never rendered back."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from connectors.base import ConfigField, SourceConnector
from wizard import credentials
from wizard.connections import front_fields
from wizard.models import Migration


class NewMigrationForm(forms.Form):
    name = forms.CharField(
        label=_("Migration name"),
        max_length=120,
        help_text=_("Something your colleagues will recognise, e.g. “Zendesk → Front (support inbox)”."),
        error_messages={"required": _("Give the migration a name, e.g. “Zendesk → Front”.")},
    )


class RenameForm(NewMigrationForm):
    pass


SECRET_PLACEHOLDER = _("Saved — leave empty to keep it")


def source_form_class(connector_cls: type[SourceConnector], saved: dict[str, Any]) -> type[forms.Form]:
    """A form built from the connector's `config_fields`. Saved secrets are kept when left empty."""
    fields: dict[str, forms.Field] = {}
    for f in connector_cls.config_fields:
        if f.kind == "file":
            continue  # filled by the upload (wizard/imports.py), never typed
        attrs = {"placeholder": f.placeholder} if f.placeholder else {}
        required_msg = _("%(label)s is required.") % {"label": f.label}
        common = {"label": f.label, "help_text": f.help_text, "error_messages": {"required": required_msg}}
        if f.kind == "secret":
            has_saved = bool(saved.get(f.name))
            if has_saved:
                attrs["placeholder"] = str(SECRET_PLACEHOLDER)
            field: forms.Field = forms.CharField(
                required=f.required and not has_saved,
                widget=forms.PasswordInput(render_value=False, attrs={**attrs, "autocomplete": "new-password"}),
                **common,
            )
        elif f.kind == "choice":
            field = forms.ChoiceField(required=f.required, choices=list(f.choices), **common)
        elif f.kind == "url":
            field = forms.CharField(
                required=f.required, widget=forms.URLInput(attrs=attrs), max_length=300, **common
            )
        elif f.kind == "email":
            common["error_messages"]["invalid"] = _("Enter an email address such as admin@example.com.")
            field = forms.EmailField(required=f.required, widget=forms.EmailInput(attrs=attrs), **common)
        else:
            field = forms.CharField(required=f.required, widget=forms.TextInput(attrs=attrs), max_length=500, **common)
        fields[f.name] = field
    fields["clean"] = _refuse_saved_secrets_elsewhere(connector_cls.config_fields, saved)
    return type("SourceConfigForm", (forms.Form,), fields)


def _refuse_saved_secrets_elsewhere(declared: tuple[ConfigField, ...], saved: dict[str, Any]):
    """A form `clean()`: a secret left empty after an address changed must be typed again."""

    def clean(self: forms.Form) -> dict[str, Any]:
        data = forms.Form.clean(self)
        _add_retype_errors(self, declared, data, saved)
        return data

    return clean


def _add_retype_errors(form: forms.Form, declared, typed: dict[str, Any], saved: dict[str, Any]) -> None:
    retype = credentials.secrets_to_retype(fields=declared, typed=typed, saved=saved)
    if not retype:
        return
    changed = credentials.changed_addresses(fields=declared, typed=typed, saved=saved)
    addresses = [form.fields[f.name].label if f.name in form.fields else f.label for f in changed]
    for secret in retype:
        label = form.fields[secret.name].label if secret.name in form.fields else secret.label
        form.add_error(secret.name, credentials.retype_message(addresses=addresses, secret=label))


def source_initial(connector_cls: type[SourceConnector], saved: dict[str, Any]) -> dict[str, Any]:
    """Initial values for the source form: everything saved except secrets."""
    secret = {f.name for f in connector_cls.config_fields if f.kind == "secret"}
    return {k: v for k, v in (saved or {}).items() if k not in secret}


def merged_source_config(connector_cls, cleaned: dict[str, Any], saved: dict[str, Any]) -> dict[str, Any]:
    """Cleaned form data, with saved secrets kept where the user left the field empty, and only while
    every address is the one they were saved with (wizard/credentials.py); `file` fields and the
    upload's display name come from `saved` (the upload, see services.source_config_for)."""
    config = credentials.with_saved_secrets(fields=connector_cls.config_fields, typed=cleaned, saved=saved or {})
    for f in connector_cls.config_fields:
        if f.kind == "file" and (saved or {}).get(f.name) not in (None, ""):
            config[f.name] = saved[f.name]
    if any(f.kind == "file" for f in connector_cls.config_fields) and (saved or {}).get("name"):
        config["name"] = saved["name"]
    return config


class FrontForm(forms.Form):
    api_url = forms.URLField(
        assume_scheme="https",
        label=_("Front API URL"),
        max_length=300,
        help_text=_("Leave as is unless your Front account uses another API address."),
        error_messages={"invalid": _("Enter a full address starting with https://, e.g. https://api2.frontapp.com.")},
    )
    token = forms.CharField(
        label=_("Front API token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Front: Settings → Developers → API tokens. Give it access to the target inbox, teammates, "
                    "contacts, tags and conversations."),
    )

    def __init__(self, *args, has_saved_token: bool = False, saved_api_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_saved_token = has_saved_token
        self.saved_api_url = saved_api_url
        self.declared = front_fields()  # which field is the address, which the secret
        if has_saved_token:
            self.fields["token"].widget.attrs["placeholder"] = str(SECRET_PLACEHOLDER)

    def clean_token(self) -> str:
        token = (self.cleaned_data.get("token") or "").strip()
        if not token and not self.has_saved_token:
            raise forms.ValidationError(_("Paste your Front API token."))
        return token

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_saved_token and "token" in data:
            saved = {"api_url": self.saved_api_url, "token": "(saved)"}  # the secret itself never enters a form
            _add_retype_errors(self, self.declared, data, saved)
        return data


class InboxForm(forms.Form):
    inbox = forms.ChoiceField(
        label=_("Front inbox"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose the Front inbox that receives the history."),
                        "invalid_choice": _("That inbox no longer exists in Front: choose another one.")},
    )
    mailbox = forms.ChoiceField(label=_("Only records from"), required=False)
    knowledge_base = forms.ChoiceField(label=_("Front knowledge base"), required=False, widget=forms.RadioSelect)
    knowledge_base_name = forms.CharField(label=_("Name of the new knowledge base"), required=False, max_length=200)

    def __init__(self, *args, inboxes: list[dict], mailboxes: list[tuple[str, str]],
                 knowledge_bases: list[dict] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inbox"].choices = [(i["id"], i.get("name") or i["id"]) for i in inboxes]
        if mailboxes:
            self.fields["mailbox"].choices = [("", _("All mailboxes"))] + list(mailboxes)
        else:
            del self.fields["mailbox"]
        if knowledge_bases is None:  # the source has no help center: nothing to choose
            del self.fields["knowledge_base"], self.fields["knowledge_base_name"]
        else:
            self.fields["knowledge_base"].choices = [
                ("", _("Do not move articles")), *((k["id"], k.get("name") or k["id"]) for k in knowledge_bases),
                ("new", _("Create a new knowledge base"))]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("knowledge_base") == "new" and not (data.get("knowledge_base_name") or "").strip():
            self.add_error("knowledge_base_name", _("Name the new knowledge base."))
        return data


OBJECT_CHOICES = [
    ("tickets", _("Tickets (conversations with replies, notes and attachments)")),
    ("contacts", _("Contacts (requesters and CCs)")),
    ("agents", _("Agents → Front teammates")),
    ("organizations", _("Organizations → Front accounts (with their contacts)")),
    ("contact_fields", _("Contact fields and notes → Front contact fields and descriptions")),
    ("articles", _("Help-center articles → the Front knowledge base chosen on the inbox step")),
]


class ObjectsForm(forms.Form):
    objects = forms.MultipleChoiceField(
        label=_("What to move"), choices=OBJECT_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    def clean_objects(self) -> list[str]:
        chosen = self.cleaned_data["objects"]
        if "tickets" not in chosen:
            raise forms.ValidationError(_("Tickets must be selected: they are what the migration moves."))
        return chosen


FRONT_STATES = [("open", pgettext_lazy("conversation state", "Open")),
                ("archived", pgettext_lazy("conversation state", "Archived"))]


class TicketsForm(forms.Form):
    status_tag = forms.BooleanField(label=_("Tag each conversation with its original status"), required=False)
    custom_fields = forms.ChoiceField(
        label=_("Custom fields"), choices=Migration.CustomFields.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happens to custom fields."),
                        "invalid_choice": _("Choose what happens to custom fields.")},
    )

    def __init__(self, *args, statuses: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.statuses = statuses
        for i, status in enumerate(statuses):
            self.fields[f"status_{i}"] = forms.ChoiceField(
                label=status, choices=FRONT_STATES,
                error_messages={"required": _("Choose open or archived for “%(s)s”.") % {"s": status},
                                "invalid_choice": _("Choose open or archived for “%(s)s”.") % {"s": status}},
            )

    def status_map(self) -> dict[str, str]:
        return {s: self.cleaned_data[f"status_{i}"] for i, s in enumerate(self.statuses)}


_ID_SPLIT = re.compile(r"[\s,;]+")
MAX_DEMO_IDS = 20


class OptionsForm(forms.Form):
    tag = forms.CharField(
        label=_("Tag every migrated conversation with"), required=False, max_length=64,
        help_text=_("Optional; at most 64 characters. Makes the imported history easy to find in Front."),
        error_messages={"max_length": _("Front tags are at most 64 characters: shorten the tag.")},
    )
    skip_attachments = forms.BooleanField(label=_("Skip attachments"), required=False)
    inline_images = forms.BooleanField(label=_("Import inline images as attachments"), required=False)
    call_recordings = forms.BooleanField(label=_("Import call recordings as attachments"), required=False)
    demo_ids = forms.CharField(
        label=_("Demo with your own tickets"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: up to 20 ticket ids from your help desk, separated by commas or spaces. "
                    "Empty = the 20 most recent tickets."),
    )

    def __init__(self, *args, call_recordings: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not call_recordings:
            del self.fields["call_recordings"]

    def clean_demo_ids(self) -> list[str]:
        ids = [i for i in _ID_SPLIT.split(self.cleaned_data.get("demo_ids") or "") if i]
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_DEMO_IDS:
            raise forms.ValidationError(
                _("A demo takes at most 20 tickets; you listed %(n)d. Remove %(extra)d.")
                % {"n": len(unique), "extra": len(unique) - MAX_DEMO_IDS}
            )
        if any(len(i) > 64 for i in unique):
            raise forms.ValidationError(_("Ticket ids are short codes such as 12345; check the list."))
        return unique


TIME_ZONES = sorted(zoneinfo.available_timezones())
MAX_SCHEDULE_AHEAD = timedelta(days=366)


class ScheduleForm(forms.Form):
    when = forms.ChoiceField(
        choices=[("now", _("Start now")), ("later", _("Schedule"))], widget=forms.RadioSelect, initial="now",
        error_messages={"required": _("Choose to start now or at a scheduled time."),
                        "invalid_choice": _("Choose to start now or at a scheduled time.")},
    )
    start_at = forms.DateTimeField(
        label=_("Date and time"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Enter a date and time such as 2026-12-24 20:00.")},
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(z, z) for z in TIME_ZONES],
        error_messages={"required": _("Choose the time zone the date is in, e.g. Europe/Paris."),
                        "invalid_choice": _("Choose the time zone the date is in, e.g. Europe/Paris.")},
    )
    remove_demo = forms.BooleanField(
        label=_("Reuse or replace the conversations the demos created in Front"), required=False, initial=True,
        help_text=_("When nothing that shapes a conversation changed since the last demo (connections, inbox, "
                    "teammate and status mapping, tags, custom fields, attachment options), the full run keeps "
                    "that demo's conversations and does not import those tickets again. Otherwise they are set "
                    "to deleted in Front (its trash) and imported again with the current settings. Untick to "
                    "leave them in Front next to the migrated ones."),
    )
    confirm = forms.BooleanField(
        label=_("I have gone through the pre-migration checklist"),
        error_messages={"required": _("Tick the box once you have gone through the checklist.")},
    )

    def clean(self) -> dict[str, Any]:
        """`scheduled_for`: the start as an aware datetime in the chosen zone, within the next year."""
        data = super().clean()
        data["scheduled_for"] = None
        if data.get("when") != "later":
            return data
        start_at, zone = data.get("start_at"), data.get("time_zone")
        if not start_at:
            self.add_error("start_at", _("Pick the date and time the migration should start."))
            return data
        if not zone:
            return data
        # Compared as wall-clock times in the chosen zone: converting far dates (year 9999 at UTC-12)
        # to UTC overflows, so the range is checked before any conversion.
        wall = start_at.replace(tzinfo=None)
        now = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
        if wall <= now:
            self.add_error("start_at", _("Pick a time in the future, or choose “Start now”."))
        elif wall > now + MAX_SCHEDULE_AHEAD:
            self.add_error("start_at", _("Pick a date and time within the next year."))
        else:
            data["scheduled_for"] = wall.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return data


def default_front_url() -> str:
    return settings.FRONT_API_URL
