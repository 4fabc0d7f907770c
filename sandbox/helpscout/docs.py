"""Help Scout Docs API v1 in the stand-in (developer.helpscout.com/docs-api/): collections -> categories ->
articles, served under `/v1/` on the same server (Help Scout's own host is docsapi.helpscout.net), with
its own API key (HTTP Basic: the key as user name, any password). The sample help center
(sandbox/help_center.py) is the data: its top categories are collections, the others their categories.

Lists: `{"<name>s": {"page", "pages", "count", "items"}}`, `page` from 1. Images are Docs assets
(`/docs/assets/{id}/{name}`, public); Docs has no per-article attachments: other files are linked assets.
Help Scout Docs has one language per site: the source locale's text only.
Readings (docs/vendor-guesses.md):
- HD1: ours, an article listing without `status` lists every article; strict, only published ones
  (Docs' `status` parameter defaults are not documented): the connector always asks `status=all`.
- HD2: ours, 50 a page; strict, 2 a page (resuming mid-listing exercised).
"""

from __future__ import annotations

import base64
import math
from typing import Any

from connectors.base import Attachment, KbArticle, KbCategory
from sandbox import help_center as hc

STAMP = "2024-03-01T09:00:00Z"
DOCS_KEY = "hs-docs-api-key"


def _hex(kind: str, n: int) -> str:
    return f"{kind}{n:022x}"[:24]


def cat_id(cat: KbCategory) -> str:
    return _hex("co" if cat.parent_id is None else "ca", hc.number(cat.source_id))


def article_id(n: int) -> str:
    return _hex("ar", n)


def add_routes(app: Any) -> None:
    """Register the Docs routes on a HelpScoutApp (sandbox/helpscout/app.py)."""
    from sandbox.vendorhttp import Response

    def authorised(request: Any) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user = base64.b64decode(header[6:]).decode().partition(":")[0]
        except ValueError:
            return False
        return user == DOCS_KEY

    def page(request: Any, name: str, items: list[dict[str, Any]]) -> Any:
        if not authorised(request):
            return Response.json({"code": 401, "error": "Invalid API key"}, 401)
        size = 2 if app.strict else 50
        try:
            number = max(1, int(request.query.get("page", "1")))
        except ValueError:
            return Response.json({"code": 400, "error": "page must be a number"}, 400)
        chunk = items[(number - 1) * size: number * size]
        return Response.json({name: {"page": number, "pages": max(1, math.ceil(len(items) / size)),
                                     "count": len(items), "items": chunk}})

    def body(text: str) -> str:
        def link(_locale: str, n: int) -> str:
            return f"{app.base_url}/article/{n}-read-more"

        def asset(att: Attachment) -> str:
            return f"{app.base_url}/docs/assets/{att.source_id}/{att.filename}"

        out = hc.vendor_body(text, article_url=link, file_url=asset)
        return out

    def articles() -> list[KbArticle]:
        return hc.articles(app.dataset.revision)

    def text_of(art: KbArticle) -> str:
        first = art.translations[0]
        files = [a for a in art.attachments if not a.inline]
        links = "".join(f'<p><a href="{app.base_url}/docs/assets/{a.source_id}/{a.filename}">{a.filename}</a></p>'
                        for a in files)
        return body(first.body) + links

    def ref(art: KbArticle) -> dict[str, Any]:
        first = art.translations[0]
        n = hc.number(art.source_id)
        cat = next(c for c in hc.categories() if c.source_id == art.category_id)
        return {"id": article_id(n), "number": n, "collectionId": cat_id(_top(cat)),
                "status": "notpublished" if first.draft else "published", "hasDraft": False, "name": first.title,
                "publicUrl": f"{app.base_url}/article/{n}-read-more", "popularity": 0, "viewCount": 0,
                "createdBy": 1, "updatedBy": 1, "createdAt": STAMP, "updatedAt": STAMP, "lastPublishedAt": STAMP}

    def _top(cat: KbCategory) -> KbCategory:
        while cat.parent_id:
            cat = next(c for c in hc.categories() if c.source_id == cat.parent_id)
        return cat

    def list_collections(request: Any) -> Any:
        return page(request, "collections", [
            {"id": cat_id(c), "number": hc.number(c.source_id), "siteId": "site1", "slug": c.name.lower(),
             "visibility": "public", "order": c.position, "name": c.name, "description": c.description,
             "publicUrl": f"{app.base_url}/collection/{hc.number(c.source_id)}", "createdAt": STAMP,
             "updatedAt": STAMP} for c in hc.categories() if c.parent_id is None])

    def list_categories(request: Any) -> Any:
        collection = request.params["id"]
        return page(request, "categories", [
            {"id": cat_id(c), "number": hc.number(c.source_id), "slug": c.name.lower(), "visibility": "public",
             "collectionId": collection, "order": c.position, "defaultSort": "popularity", "name": c.name,
             "description": c.description, "createdAt": STAMP, "updatedAt": STAMP}
            for c in hc.categories() if c.parent_id and cat_id(_top(c)) == collection])

    def list_articles(request: Any) -> Any:
        collection = request.params["id"]
        status = request.query.get("status", "published" if app.strict else "all")
        found = [ref(a) for a in articles() if ref(a)["collectionId"] == collection]
        return page(request, "articles", [r for r in found if status == "all" or r["status"] == status])

    def get_article(request: Any) -> Any:
        if not authorised(request):
            return Response.json({"code": 401, "error": "Invalid API key"}, 401)
        art = next((a for a in articles() if article_id(hc.number(a.source_id)) == request.params["id"]), None)
        if art is None:
            return Response.json({"code": 404, "error": "Not found"}, 404)
        cat = next(c for c in hc.categories() if c.source_id == art.category_id)
        return Response.json({"article": {**ref(art), "slug": "read-more", "text": text_of(art),
                                          "categories": [cat_id(cat)], "related": [], "keywords": []}})

    def asset(request: Any) -> Any:
        att = hc.file_by_id(int(request.params["id"])) if request.params["id"].isdigit() else None
        if att is None or not att.size:
            return Response.json({"code": 404, "error": "Not found"}, 404)
        return Response(200, b"", {"Content-Type": att.content_type},
                        stream=app.dataset.attachment_bytes(att.source_id, att.size), length=att.size)

    app.route("GET", "/v1/collections", list_collections)
    app.route("GET", "/v1/collections/{id}/categories", list_categories)
    app.route("GET", "/v1/collections/{id}/articles", list_articles)
    app.route("GET", "/v1/articles/{id}", get_article)
    app.route("GET", "/docs/assets/{id}/{name}", asset)
