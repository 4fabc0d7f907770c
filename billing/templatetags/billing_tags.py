"""Money and price-line display: integer minor units shown in the user's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof", "pyg", "rwf", "kmf", "gnf", "bif", "djf"}


def exponent(currency: str) -> int:
    return 0 if (currency or "").lower() in ZERO_DECIMAL else 2


@register.filter
def money(amount, currency: str) -> str:
    exp = exponent(currency)
    value = Decimal(int(amount or 0)).scaleb(-exp)
    return f"{number_format(value, decimal_pos=exp, use_l10n=True, force_grouping=True)} {(currency or '').upper()}"


@register.filter
def unit_price(hundredths, currency: str) -> str:
    """A per-record price in hundredths of a minor unit (e.g. 150 -> 0.015 USD): no rounding shown."""
    exp = exponent(currency)
    value = Decimal(int(hundredths or 0)).scaleb(-(exp + 2)).normalize()
    places = max(exp, -value.as_tuple().exponent)
    return f"{number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)} {(currency or '').upper()}"


def entity_label(entity: str) -> str:
    return {"tickets": _("Tickets"), "contacts": _("Contacts"), "agents": _("Agents"),
            "organizations": _("Accounts (organizations)"), "articles": _("Articles")}.get(entity, entity)


@register.filter
def line_label(line: dict) -> str:
    kind = line.get("kind")
    if kind == "records":
        first = number_format(line["first"], force_grouping=True)
        last = number_format(line["last"], force_grouping=True)
        return _("%(entity)s %(first)s to %(last)s") % {"entity": entity_label(line["entity"]), "first": first,
                                                        "last": last}
    if kind == "free":
        return _("Replies, notes and attachments")
    if kind == "plan":
        return _("%(plan)s plan") % {"plan": line.get("name", "")}
    if kind == "minimum":
        return _("Minimum order adjustment")
    if kind == "credit":
        return _("Already paid for this migration")
    return str(kind)


@register.filter
def entity_name(entity: str) -> str:
    return entity_label(entity)
