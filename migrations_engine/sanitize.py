"""Source HTML made safe before it reaches Front (imported messages and comments).

Help desks store what customers' mail clients and agents' editors produced: scripts, event handlers,
`javascript:` links, forms, iframes. Front is not asked to cope with any of it. What makes a message
readable stays: formatting, colours and sizes (a short list of CSS properties), links, images (including
`cid:` references to inline images sent as attachments, and `data:` images), tables, lists and quotes.
Built on nh3 (the Rust sanitizer Ammonia), with one allow-list for the whole product.
"""

from __future__ import annotations

import functools
from typing import Any

import nh3

# Tags whose *content* goes too (nh3 keeps the text of a tag it removes; a script's text is no message).
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "title", "head", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "template", "svg", "math", "textarea", "select", "option", "button", "xml",
})
EXTRA_TAGS = frozenset({"font", "tfoot", "u", "s", "center"})
GENERIC_ATTRIBUTES = frozenset({"style", "title", "dir", "lang", "align", "valign", "width", "height",
                                "bgcolor", "border", "cellpadding", "cellspacing"})
EXTRA_ATTRIBUTES = {
    "a": {"href", "name", "title", "target"},
    "img": {"src", "alt", "title", "width", "height", "border"},
    "font": {"color", "face", "size"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap", "scope"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "ftp", "data"})
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family", "text-align",
    "text-decoration", "text-indent", "vertical-align", "line-height", "white-space", "width", "height",
    "max-width", "min-width", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right", "border", "border-top",
    "border-bottom", "border-left", "border-right", "border-color", "border-style", "border-width",
    "border-collapse", "border-spacing", "list-style-type", "direction",
})
_SAFE_DATA_IMAGES = ("data:image/png", "data:image/jpeg", "data:image/jpg", "data:image/gif",
                     "data:image/webp", "data:image/bmp")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """`data:` URLs only as the source of a raster image (a `data:text/html` link runs a page)."""
    if attribute in ("href", "src", "cite", "action") and value.strip().lower().startswith("data:"):
        if tag == "img" and attribute == "src" and value.strip().lower().startswith(_SAFE_DATA_IMAGES):
            return value
        return None
    return value


@functools.cache
def _options() -> dict[str, Any]:
    attributes: dict[str, set[str]] = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in EXTRA_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)
    attributes["*"] = set(GENERIC_ATTRIBUTES)
    tags = (set(nh3.ALLOWED_TAGS) | EXTRA_TAGS) - DROPPED_WITH_CONTENT
    return {
        "tags": tags, "clean_content_tags": set(DROPPED_WITH_CONTENT), "attributes": attributes,
        "url_schemes": set(URL_SCHEMES), "attribute_filter": _filter_attribute, "strip_comments": True,
        "link_rel": "noopener noreferrer", "filter_style_properties": set(STYLE_PROPERTIES),
    }


def clean_html(body: str) -> str:
    """The body without anything that runs or fetches on its own; formatting, links, images kept."""
    if not body:
        return body
    return nh3.clean(body, **_options())
