"""Decode Stripe's form-encoded bodies (`line_items[0][price_data][currency]=usd`) into nested values."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_TOKEN = re.compile(r"\[([^\]]*)\]")


def _tokens(key: str) -> list[str]:
    head, _sep, rest = key.partition("[")
    return [head, *_TOKEN.findall("[" + rest)] if _sep else [head]


def _listify(value):
    """Dicts whose keys are all indexes ("0", "1", ...) become lists, as Stripe reads them."""
    if isinstance(value, dict):
        value = {k: _listify(v) for k, v in value.items()}
        if value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
    return value


def decode_form(body: bytes) -> dict:
    result: dict = {}
    for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        parts = _tokens(key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"Invalid array: {key}")
        last = parts[-1]
        if last == "":  # expand[]=a&expand[]=b
            node.setdefault("__list__", []).append(value)
        else:
            node[last] = value
    return _flatten_lists(_listify(result))


def _flatten_lists(value):
    if isinstance(value, dict):
        if set(value) == {"__list__"}:
            return value["__list__"]
        return {k: _flatten_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flatten_lists(v) for v in value]
    return value
