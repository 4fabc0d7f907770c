"""Freshdesk Solutions in the stand-in (Freshdesk API v2 reference, "Solutions"): categories -> folders ->
articles, translations per language, article attachments and inline images. The sample help center
(sandbox/help_center.py) is the data: its top categories are Solution categories, the others folders.

Routes: `/api/v2/settings/helpdesk` (primary and supported languages), `/api/v2/solutions/categories`,
`/categories/{id}/folders`, `/folders/{id}/articles`, and `/{categories|folders|articles}/{id}/{language}`
(a translation; 404 when there is none). Article `status`: 1 draft, 2 published.
Readings (docs/vendor-guesses.md):
- FS1 paging of a folder's articles: ours, a `Link: rel="next"` header; strict, no header (the reference
  shows none on Solutions lists): the next page is asked while a page comes back full.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from connectors.base import Attachment, KbArticle, KbCategory, KbTranslation
from sandbox import help_center as hc
from sandbox.freshdesk.render import inline_token

STAMP = "2024-03-01T09:00:00Z"
CATEGORY_BASE, FOLDER_BASE, ARTICLE_BASE = 50_000, 60_000, 70_000
PRIMARY, SUPPORTED = "en", ["fr", "de"]


def language(locale: str) -> str:
    return locale.split("-")[0]


def cat_id(cat: KbCategory) -> int:
    return (CATEGORY_BASE if cat.parent_id is None else FOLDER_BASE) + hc.number(cat.source_id)


def add_routes(app: Any) -> None:
    """Register the Solutions routes on a FreshdeskApp (sandbox/freshdesk/app.py)."""
    from sandbox.vendorhttp import Response

    api = "/api/v2"

    def body(text: str) -> str:
        def link(locale: str, n: int) -> str:
            prefix = "" if language(locale) == PRIMARY else f"/{language(locale)}"
            return f"{app.base_url}{prefix}/support/solutions/articles/{ARTICLE_BASE + n}-read-more"

        def image(att: Attachment) -> str:
            return f"{app.base_url}/inline/attachment?token={inline_token(int(att.source_id))}"

        return hc.vendor_body(text, article_url=link, file_url=image)

    def category_json(cat: KbCategory, lang: str) -> dict[str, Any] | None:
        names = {language(cat.locale): cat.name, **{language(k): v for k, v in cat.names.items()}}
        if lang not in names:
            return None
        out: dict[str, Any] = {"id": cat_id(cat), "name": names[lang], "description": cat.description,
                               "created_at": STAMP, "updated_at": STAMP}
        if cat.parent_id is None:
            return out | {"visible_in_portals": [1]}
        parent = next(c for c in hc.categories() if c.source_id == cat.parent_id)
        return out | {"visibility": 1, "category_id": cat_id(parent), "parent_folder_id": None,
                      "hierarchy": [], "articles_count": 0, "sub_folders_count": 0}

    def article_json(art: KbArticle, lang: str) -> dict[str, Any] | None:
        tr: KbTranslation | None = next((t for t in art.translations if language(t.locale) == lang), None)
        if tr is None:
            return None
        folder = next(c for c in hc.categories() if c.source_id == art.category_id)
        files = [a for a in art.attachments if not a.inline]
        return {"id": ARTICLE_BASE + hc.number(art.source_id), "type": 1, "category_id": cat_id(
            next(c for c in hc.categories() if c.source_id == folder.parent_id)), "folder_id": cat_id(folder),
            "hierarchy": [], "title": tr.title, "description": body(tr.body), "description_text": "",
            "status": 1 if tr.draft else 2, "agent_id": 1, "thumbs_up": 0, "thumbs_down": 0, "hits": 0,
            "tags": [], "seo_data": {}, "created_at": STAMP, "updated_at": STAMP,
            "attachments": [{"id": int(a.source_id), "name": a.filename, "content_type": a.content_type,
                             "size": a.size, "attachment_url": app.signer.sign(app.base_url, int(a.source_id), a.filename),
                             "created_at": STAMP, "updated_at": STAMP} for a in files]}

    def articles() -> list[KbArticle]:
        return hc.articles(app.dataset.revision)

    def settings(request: Any) -> Any:
        return app.api(request, lambda: Response.json({"primary_language": PRIMARY, "supported_languages": SUPPORTED,
                                                       "portal_languages": SUPPORTED, "help_widget_languages": []}))

    def list_categories(request: Any) -> Any:
        return app.api(request, lambda: Response.json(
            [category_json(c, PRIMARY) for c in hc.categories() if c.parent_id is None]))

    def list_folders(request: Any) -> Any:
        wanted = int(request.params["id"]) if request.params["id"].isdigit() else -1
        return app.api(request, lambda: Response.json(
            [category_json(c, PRIMARY) for c in hc.categories()
             if c.parent_id and cat_id(next(p for p in hc.categories() if p.source_id == c.parent_id)) == wanted]))

    def list_articles(request: Any) -> Any:
        paging = app.paging(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        wanted = int(request.params["id"]) if request.params["id"].isdigit() else -1

        def run() -> Any:
            found = [j for a in articles() if (j := article_json(a, PRIMARY)) and j["folder_id"] == wanted]
            chunk = found[(page - 1) * per_page: page * per_page]
            headers = {}
            if page * per_page < len(found) and not app.strict:
                query = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
                headers["Link"] = f'<{app.base_url}{request.path}?{urlencode(query)}>; rel="next"'
            return Response.json(chunk, headers=headers)

        return app.api(request, run)

    def translation(request: Any) -> Any:
        kind, lang = request.params["kind"], request.params["lang"]
        raw = request.params["id"]
        number = int(raw) if raw.isdigit() else -1

        def run() -> Any:
            found: dict[str, Any] | None = None
            if kind == "articles":
                art = next((a for a in articles() if ARTICLE_BASE + hc.number(a.source_id) == number), None)
                found = article_json(art, lang) if art else None
            elif kind in ("categories", "folders"):
                cat = next((c for c in hc.categories() if cat_id(c) == number), None)
                found = category_json(cat, lang) if cat else None
            if found is None:
                return Response.json({"code": "not_found", "message": "Not found"}, 404)
            return Response.json(found)

        return app.api(request, run)

    app.route("GET", f"{api}/settings/helpdesk", settings)
    app.route("GET", f"{api}/solutions/categories", list_categories)
    app.route("GET", f"{api}/solutions/categories/{{id}}/folders", list_folders)
    app.route("GET", f"{api}/solutions/folders/{{id}}/articles", list_articles)
    app.route("GET", f"{api}/solutions/{{kind}}/{{id}}/{{lang}}", translation)


def file_by_id(file_id: int) -> Attachment | None:
    return hc.file_by_id(file_id)
