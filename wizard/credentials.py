"""Saved secrets stay bound to the address they were entered for.

The connection forms leave secret fields empty to mean "keep the saved one". A saved secret is reused
only when every address of the connection (the fields a connector declares with `kind="url"`) is the
same, after the normalisation below, as when the secret was saved: anyone who can edit the form
(an editor, a share-link holder) could otherwise point an address at their own server and receive the
owner's token. When an address changed, the secret must be typed again.

One mechanism for every source connector and for Front: each declares its `config_fields`
(`connectors.base.ConfigField`; Front's are on `connectors.front.FrontClient`), and nothing here knows
any platform by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from connectors.base import ConfigField

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_address(value: Any) -> str:
    """One spelling per place a request can go: scheme, host, port, path (query and fragment kept).

    Only differences that never change where a request goes are removed (surrounding spaces, the case
    of scheme and host, a default port, trailing slashes). A value without a scheme stays without one
    ("acme" and "https://acme" are different, since a connector may complete them differently).
    """
    text = str(value or "").strip()
    if not text:
        return ""
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        return text  # not a URL we can take apart: only the identical text is the same place
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        host = f"{userinfo}@{host}"
    result = f"{scheme}://{host}" if has_scheme else f"//{host}"
    result += parts.path.rstrip("/")
    if parts.query:
        result += f"?{parts.query}"
    if parts.fragment:
        result += f"#{parts.fragment}"
    return result


def address_fields(fields: Iterable[ConfigField]) -> list[ConfigField]:
    return [f for f in fields if f.kind == "url"]


def secret_fields(fields: Iterable[ConfigField]) -> list[ConfigField]:
    return [f for f in fields if f.kind == "secret"]


def changed_addresses(*, fields: Iterable[ConfigField], typed: Mapping[str, Any],
                      saved: Mapping[str, Any]) -> list[ConfigField]:
    """The address fields whose typed value is not the saved one (normalised alike on both sides)."""
    return [f for f in address_fields(fields)
            if normalise_address(typed.get(f.name)) != normalise_address(saved.get(f.name))]


def secrets_to_retype(*, fields: Iterable[ConfigField], typed: Mapping[str, Any],
                      saved: Mapping[str, Any]) -> list[ConfigField]:
    """Secret fields left empty whose saved value cannot be used, because an address changed."""
    fields = list(fields)
    if not saved or not changed_addresses(fields=fields, typed=typed, saved=saved):
        return []
    return [f for f in secret_fields(fields) if not typed.get(f.name) and saved.get(f.name)]


def with_saved_secrets(*, fields: Iterable[ConfigField], typed: Mapping[str, Any],
                       saved: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values; a secret left empty takes the saved one only while every address is unchanged."""
    fields = list(fields)
    reuse = bool(saved) and not changed_addresses(fields=fields, typed=typed, saved=saved)
    config: dict[str, Any] = {}
    for f in fields:
        value = typed.get(f.name)
        if f.kind == "secret" and not value and reuse:
            value = saved.get(f.name)
        if value not in (None, ""):
            config[f.name] = value
    return config


def retype_message(*, addresses: Iterable[str], secret: str) -> str:
    """Plain words for a secret that must be typed again (labels as the form shows them)."""
    return _(
        "You changed %(address)s, so the saved %(secret)s is not sent there: type the %(secret)s again. "
        "A saved secret is only ever used with the address it was entered for."
    ) % {"address": ", ".join(str(a) for a in addresses) or _("the address"), "secret": secret}
