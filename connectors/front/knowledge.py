"""Front knowledge bases, categories and articles through the client's one HTTP layer (same company budget,
retries, typed errors as every other Front call; docs/front.md, "Knowledge bases").

Front's docs say OAuth cannot reach knowledge-base resources: these calls always go through a client built
on the migration's API token, never an OAuth connection. Scopes (x-required-scopes): knowledge_bases:read /
knowledge_bases:write. Front's KB API takes JSON only: no file upload (images travel inside the content).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from connectors.front.client import FrontClient
from connectors.front.errors import raise_for_front

READ, WRITE = "knowledge_bases:read", "knowledge_bases:write"


class FrontKnowledge:
    def __init__(self, client: FrontClient) -> None:
        self.client = client

    def _send(self, method: str, path: str, *, route: str, what: str, scope: str, ok: tuple[int, ...] = (200,),
              **kwargs: Any) -> httpx.Response:
        response = self.client.http.request(method, path, route=route, **kwargs)
        if response.status_code not in ok:
            raise_for_front(response, what=what, scope=scope)
        return response

    def _pages(self, path: str, *, route: str, what: str) -> Iterator[dict[str, Any]]:
        url: str | None = path
        params: dict[str, Any] | None = {"limit": 100}
        while url:
            body = self._send("GET", url, route=route, what=what, scope=READ, params=params).json()
            yield from body.get("_results") or []
            url = (body.get("_pagination") or {}).get("next")
            params = None

    # ---- knowledge bases ------------------------------------------------------------------------
    def knowledge_bases(self) -> list[dict[str, Any]]:
        """Every knowledge base with its name (the listing does not document one: read from its content)."""
        found = []
        body = self._send("GET", "/knowledge_bases", route="GET /knowledge_bases", what="list knowledge bases",
                          scope=READ).json()
        for kb in body.get("_results") or []:
            name = kb.get("name") or self.knowledge_base(kb["id"]).get("name") or kb["id"]
            found.append({**kb, "name": name})
        return found

    def knowledge_base(self, kb_id: str) -> dict[str, Any]:
        """The knowledge base with its name and locales (`locales` from the base, `name` from its content)."""
        base = self._send("GET", f"/knowledge_bases/{kb_id}", route="GET /knowledge_bases/:id",
                          what="read the knowledge base", scope=READ).json()
        content = self._send("GET", f"/knowledge_bases/{kb_id}/content", route="GET /knowledge_bases/:id/content",
                             what="read the knowledge base", scope=READ).json()
        return {**base, "name": content.get("name") or base.get("name") or kb_id,
                "locale": content.get("locale") or (base.get("locales") or ["en"])[0]}

    def create_knowledge_base(self, name: str) -> dict[str, Any]:
        return dict(self._send("POST", "/knowledge_bases", route="POST /knowledge_bases",
                               what=f"create the knowledge base {name!r}", scope=WRITE, ok=(201, 200),
                               json={"name": name, "type": "external"}).json())

    # ---- categories -----------------------------------------------------------------------------
    def categories(self, kb_id: str) -> Iterator[dict[str, Any]]:
        yield from self._pages(f"/knowledge_bases/{kb_id}/categories", route="GET /knowledge_bases/:id/categories",
                               what="list knowledge base categories")

    def category_content(self, category_id: str, locale: str) -> dict[str, Any] | None:
        response = self.client.http.request(
            "GET", f"/knowledge_base_categories/{category_id}/locales/{quote(locale)}/content",
            route="GET /knowledge_base_categories/:id/locales/:locale/content")
        if response.status_code == 404:
            return None
        raise_for_front(response, what="read a knowledge base category", scope=READ)
        return dict(response.json())

    def create_category(self, kb_id: str, locale: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", f"/knowledge_bases/{kb_id}/locales/{quote(locale)}/categories",
                               route="POST /knowledge_bases/:id/locales/:locale/categories",
                               what=f"create the category {body.get('name')!r}", scope=WRITE, ok=(201, 200),
                               json=body).json())

    def update_category(self, category_id: str, locale: str, body: dict[str, Any]) -> None:
        self._send("PATCH", f"/knowledge_base_categories/{category_id}/locales/{quote(locale)}/content",
                   route="PATCH /knowledge_base_categories/:id/locales/:locale/content",
                   what="update a knowledge base category", scope=WRITE, ok=(200, 204), json=body)

    # ---- articles -------------------------------------------------------------------------------
    def articles(self, kb_id: str) -> Iterator[dict[str, Any]]:
        yield from self._pages(f"/knowledge_bases/{kb_id}/articles", route="GET /knowledge_bases/:id/articles",
                               what="list knowledge base articles")

    def article_content(self, article_id: str, locale: str) -> dict[str, Any] | None:
        """The article's content in a locale; None when Front has no such article (deleted since)."""
        response = self.client.http.request(
            "GET", f"/knowledge_base_articles/{article_id}/locales/{quote(locale)}/content",
            route="GET /knowledge_base_articles/:id/locales/:locale/content")
        if response.status_code == 404:
            return None
        raise_for_front(response, what="read a knowledge base article", scope=READ)
        return dict(response.json())

    def create_article(self, kb_id: str, locale: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", f"/knowledge_bases/{kb_id}/locales/{quote(locale)}/articles",
                               route="POST /knowledge_bases/:id/locales/:locale/articles",
                               what=f"create the article {body.get('subject')!r}", scope=WRITE, ok=(201, 200),
                               json=body).json())

    def update_article(self, article_id: str, locale: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("PATCH", f"/knowledge_base_articles/{article_id}/locales/{quote(locale)}/content",
                               route="PATCH /knowledge_base_articles/:id/locales/:locale/content",
                               what="update a knowledge base article", scope=WRITE, ok=(200,), json=body).json())
