"""Zendesk Help Center in the stand-in: categories -> sections -> articles, translations per locale, article
attachments, in the shapes of Zendesk's Help Center API reference (developer.zendesk.com/api-reference/
help_center/help-center-api/). The sample help center (sandbox/help_center.py) is the data.

Routes: `/api/v2/help_center/categories`, `/sections`, `/articles`, `/{kind}/{id}/translations`,
`/articles/{id}/attachments`, and the files at `/hc/article_attachments/{id}/{name}`.
Readings (docs/vendor-guesses.md):
- ZH1 paging: ours, offset pages (`page`, `per_page` up to 100, `next_page`); strict, cursor pages
  (`page[size]`, `meta.has_more`, `links.next`, no `next_page`), which the Help Center API also documents.
- ZH2 inline images: ours, an `<img>` names the attachment's `content_url` (absolute); strict, its
  `relative_path` (`/hc/article_attachments/{id}/{name}`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectors.base import Attachment, KbArticle, KbCategory
from sandbox import help_center as hc
from sandbox.zendesk import render

if TYPE_CHECKING:
    from sandbox.zendesk.server import ZendeskHandler

CATEGORY_BASE, SECTION_BASE, ARTICLE_BASE = 360_000, 361_000, 3_600_000
STAMP = "2024-03-01T09:00:00Z"


def article_id(n: int) -> int:
    return ARTICLE_BASE + n


def _is_top(cat: KbCategory) -> bool:
    return cat.parent_id is None


def _cat_id(cat: KbCategory) -> int:
    return (CATEGORY_BASE if _is_top(cat) else SECTION_BASE) + hc.number(cat.source_id)


def file_url(h: ZendeskHandler, att: Attachment) -> str:
    return f"{h.base}/hc/article_attachments/{att.source_id}/{att.filename}"


def _body(h: ZendeskHandler, body: str) -> str:
    def link(locale: str, n: int) -> str:
        return f"{h.base}/hc/{locale}/articles/{article_id(n)}-read-more"

    def image(att: Attachment) -> str:
        return f"/hc/article_attachments/{att.source_id}/{att.filename}" if h.server.state.strict else file_url(h, att)

    return hc.vendor_body(body, article_url=link, file_url=image)


def category_json(h: ZendeskHandler, cat: KbCategory) -> dict[str, Any]:
    cid = _cat_id(cat)
    kind = "categories" if _is_top(cat) else "sections"
    body: dict[str, Any] = {
        "id": cid, "url": f"{h.base}/api/v2/help_center/{cat.locale}/{kind}/{cid}.json",
        "html_url": f"{h.base}/hc/{cat.locale}/{kind}/{cid}-{cat.name.lower().replace(' ', '-')}",
        "position": cat.position, "created_at": STAMP, "updated_at": STAMP, "name": cat.name,
        "description": cat.description, "locale": cat.locale, "source_locale": cat.locale, "outdated": False}
    if not _is_top(cat):
        parent = next(c for c in hc.categories() if c.source_id == cat.parent_id)
        body |= {"category_id": _cat_id(parent) if _is_top(parent) else None, "sorting": "manual",
                 "parent_section_id": None if _is_top(parent) else _cat_id(parent), "theme_template": "section_page"}
    return body


def _translations_of_category(h: ZendeskHandler, cat: KbCategory, kind: str) -> list[dict[str, Any]]:
    names = {cat.locale: cat.name, **cat.names}
    return [{"id": _cat_id(cat) * 10 + k, "url": f"{h.base}/api/v2/help_center/translations/{_cat_id(cat) * 10 + k}.json",
             "source_id": _cat_id(cat), "source_type": kind, "locale": loc, "title": name,
             "body": cat.description if loc == cat.locale else "", "outdated": False, "draft": False, "hidden": False,
             "created_at": STAMP, "updated_at": STAMP} for k, (loc, name) in enumerate(names.items())]


def article_json(h: ZendeskHandler, art: KbArticle) -> dict[str, Any]:
    first = art.translations[0]
    aid = article_id(hc.number(art.source_id))
    section = next(c for c in hc.categories() if c.source_id == art.category_id)
    stamp = render.iso(first.updated_at) if first.updated_at else STAMP
    return {"id": aid, "url": f"{h.base}/api/v2/help_center/{first.locale}/articles/{aid}.json",
            "html_url": f"{h.base}/hc/{first.locale}/articles/{aid}-read-more", "author_id": 1,
            "comments_disabled": False, "draft": first.draft, "promoted": False, "position": 0, "vote_sum": 0,
            "vote_count": 0, "section_id": _cat_id(section), "created_at": STAMP,
            "updated_at": stamp, "edited_at": stamp, "name": first.title, "title": first.title,
            "source_locale": first.locale, "locale": first.locale, "outdated": False, "outdated_locales": [],
            "user_segment_id": None, "permission_group_id": 1, "content_tag_ids": [], "label_names": [],
            "body": _body(h, first.body)}


def _article_translations(h: ZendeskHandler, art: KbArticle) -> list[dict[str, Any]]:
    aid = article_id(hc.number(art.source_id))
    return [{"id": aid * 10 + k, "url": f"{h.base}/api/v2/help_center/articles/{aid}/translations/{tr.locale}.json",
             "html_url": f"{h.base}/hc/{tr.locale}/articles/{aid}", "source_id": aid, "source_type": "Article",
             "locale": tr.locale, "title": tr.title, "body": _body(h, tr.body), "outdated": False, "draft": tr.draft,
             "hidden": False, "created_at": STAMP, "updated_at": STAMP, "updated_by_id": 1, "created_by_id": 1}
            for k, tr in enumerate(art.translations)]


def _attachments(h: ZendeskHandler, art: KbArticle) -> list[dict[str, Any]]:
    aid = article_id(hc.number(art.source_id))
    return [{"id": int(a.source_id), "url": f"{h.base}/api/v2/help_center/articles/attachments/{a.source_id}.json",
             "article_id": aid, "display_file_name": a.filename, "file_name": a.filename, "locale": "en-us",
             "content_url": file_url(h, a), "relative_path": f"/hc/article_attachments/{a.source_id}/{a.filename}",
             "content_type": a.content_type, "size": a.size, "inline": a.inline, "created_at": STAMP,
             "updated_at": STAMP} for a in art.attachments]


def _page(h: ZendeskHandler, path: str, query: dict[str, list[str]], key: str, records: list[dict[str, Any]]) -> None:
    """ZH1: offset pages (ours) or cursor pages (strict)."""
    from sandbox.zendesk.routes import _decode, _encode, _one

    if h.server.state.strict:
        size = min(100, max(1, int(_one(query, "page[size]", "2") or 2)))
        decoded = _decode(_one(query, "page[after]", "") or "") if _one(query, "page[after]") else {"o": 0}
        if not decoded or "o" not in decoded:
            h._error(400, "InvalidPaginationParameter", "Invalid page[after]")
            return
        start = int(decoded["o"])
        more = start + size < len(records)
        after = _encode({"o": start + size}) if more else None
        nxt = f"{h.base}{path}.json?" + urlencode({"page[size]": size, "page[after]": after}) if more else None
        h._json(200, {key: records[start:start + size], "meta": {"has_more": more, "after_cursor": after,
                                                                 "before_cursor": None},
                      "links": {"first": None, "last": None, "next": nxt, "prev": None}})
        return
    try:
        page = max(1, int(_one(query, "page", "1") or 1))
        per_page = min(100, max(1, int(_one(query, "per_page", "30") or 30)))
    except ValueError:
        h._error(400, "InvalidPaginationParameter", "page and per_page must be numbers")
        return
    more = page * per_page < len(records)
    nxt = f"{h.base}{path}.json?" + urlencode({"page": page + 1, "per_page": per_page}) if more else None
    h._json(200, {key: records[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
                  "page_count": -(-len(records) // per_page), "count": len(records), "next_page": nxt,
                  "previous_page": None, "sort_by": "position", "sort_order": "asc"})


def route(h: ZendeskHandler, path: str, query: dict[str, list[str]]) -> bool:
    """Answer a Help Center route; False when `path` is none of them."""
    path = re.sub(r"^/api/v2/help_center/[a-z]{2}(-[a-z]{2})?/", "/api/v2/help_center/", path)  # a locale prefix
    if not path.startswith("/api/v2/help_center/"):
        return False
    revision = h.server.state.dataset.revision
    cats = hc.categories()
    arts = {article_id(hc.number(a.source_id)): a for a in hc.articles(revision)}
    tail = path[len("/api/v2/help_center/"):]
    if tail == "categories":
        _page(h, path, query, "categories", [category_json(h, c) for c in cats if _is_top(c)])
    elif tail == "sections":
        _page(h, path, query, "sections", [category_json(h, c) for c in cats if not _is_top(c)])
    elif tail == "articles":
        _page(h, path, query, "articles", [article_json(h, a) for a in arts.values()])
    elif m := re.fullmatch(r"(categories|sections)/(\d+)/translations", tail):
        found = next((c for c in cats if _cat_id(c) == int(m.group(2))), None)
        if found is None:
            h._error(404, "RecordNotFound", "Not found")
        else:
            kind = "Category" if m.group(1) == "categories" else "Section"
            _page(h, path, query, "translations", _translations_of_category(h, found, kind))
    elif m := re.fullmatch(r"articles/(\d+)/(translations|attachments)", tail):
        art = arts.get(int(m.group(1)))
        if art is None:
            h._error(404, "RecordNotFound", "Not found")
        elif m.group(2) == "translations":
            _page(h, path, query, "translations", _article_translations(h, art))
        else:
            h._json(200, {"article_attachments": _attachments(h, art)})
    else:
        h._error(404, "InvalidEndpoint", "Not found")
    return True


def serve_file(h: ZendeskHandler, path: str) -> bool:
    """`/hc/article_attachments/{id}/{name}`: the file's bytes (False when `path` is no such address)."""
    m = re.fullmatch(r"/hc/article_attachments/(\d+)/[^/]+", path)
    if not m:
        return False
    att = hc.file_by_id(int(m.group(1)))
    if att is None or not att.size:
        h._error(404, "RecordNotFound", "Not found")
        return True
    h.send_response(200)
    h.send_header("Content-Type", att.content_type)
    h.send_header("Content-Length", str(att.size))
    h.end_headers()
    for chunk in h.server.state.dataset.attachment_bytes(att.source_id, att.size):
        h.wfile.write(chunk)
    return True
