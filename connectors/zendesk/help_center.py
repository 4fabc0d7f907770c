"""Zendesk Help Center -> canonical knowledge-base records (docs/connectors.md, "Knowledge base").

Categories (`/api/v2/help_center/categories`) are the top of the tree, sections (`/sections`) sit under
their category or, nested, under their `parent_section_id`; each one's names per locale come from its
`/translations`. Articles (`/api/v2/help_center/articles`, drafts included for agents) with their
`/translations` (title, body, draft per locale) and `/attachments` (files and inline images). Lists are
paged by `next_page` or by `links.next`, whichever Zendesk answers with (docs/vendor-guesses.md ZH1); the
article cursor is the next page's address. An `<img>` may name a file by its `relative_path` instead of its
`content_url` (ZH2): bodies are given with absolute addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from connectors.base import Attachment, KbArticle, KbCategory, KbPage, KbTranslation, NotFound, as_object
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.mapping import ident, items, parse_time, text

HC = "/api/v2/help_center"
ARTICLE_PAGE = 100


def _next(data: dict[str, Any], client: ZendeskClient) -> str | None:
    meta, links = as_object(data.get("meta")), as_object(data.get("links"))
    url = data.get("next_page") or (links.get("next") if meta.get("has_more") else None)
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return client.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


class ZendeskHelpCenter:
    """Mixed into ZendeskConnector (which has `client`)."""

    @property
    def client(self) -> ZendeskClient:
        raise NotImplementedError  # ZendeskConnector's
    article_link_patterns: ClassVar[tuple[str, ...]] = (r"/hc/(?:[A-Za-z-]+/)?articles/(?P<id>\d+)",)

    def article_id_in_link(self, href: str) -> str | None:
        host = urlsplit(href or "").netloc
        if host and host != urlsplit(self.client.base_url).netloc:
            return None  # another site's "/hc/articles/..." is not ours
        found = re.search(self.article_link_patterns[0], href or "")
        return found.group("id") if found else None

    def _names(self, kind: str, raw: dict[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for tr in self.client.paginate(f"{HC}/{kind}/{raw['id']}/translations.json", "translations",
                                       what=f"the translations of a help-center {kind[:-1]}"):
            if isinstance(tr.get("locale"), str) and text(tr.get("title")):
                out[tr["locale"]] = str(text(tr.get("title")))
        return out

    def knowledge_categories(self) -> list[KbCategory]:
        out: list[KbCategory] = []
        try:
            categories = list(self.client.paginate(f"{HC}/categories.json", "categories", what="the help-center categories"))
        except NotFound as exc:
            raise self.no_knowledge_base() from exc  # type: ignore[attr-defined]
        for raw in categories:
            cid = ident(raw.get("id"))
            if cid is None:
                continue
            locale = text(raw.get("source_locale")) or text(raw.get("locale")) or "en-us"
            names = {k: v for k, v in self._names("categories", raw).items() if k != locale}
            out.append(KbCategory(f"c{cid}", text(raw.get("name")) or f"Category {cid}", None,
                                  text(raw.get("description")) or "", locale, names, int(raw.get("position") or 0)))
        for raw in self.client.paginate(f"{HC}/sections.json", "sections", what="the help-center sections"):
            sid = ident(raw.get("id"))
            if sid is None:
                continue
            parent = ident(raw.get("parent_section_id"))
            parent_id = f"s{parent}" if parent else (f"c{ident(raw.get('category_id'))}" if raw.get("category_id") else None)
            locale = text(raw.get("source_locale")) or text(raw.get("locale")) or "en-us"
            names = {k: v for k, v in self._names("sections", raw).items() if k != locale}
            out.append(KbCategory(f"s{sid}", text(raw.get("name")) or f"Section {sid}", parent_id,
                                  text(raw.get("description")) or "", locale, names, int(raw.get("position") or 0)))
        return out

    def _article(self, raw: dict[str, Any]) -> KbArticle | None:
        aid = ident(raw.get("id"))
        if aid is None:
            return None
        files: list[Attachment] = []
        relative: dict[str, str] = {}
        attached = self.client.get(f"{HC}/articles/{aid}/attachments.json", what="an article's attachments",
                                   account_level=False)
        for att in items(attached.get("article_attachments")):
            if not isinstance(att, dict) or ident(att.get("id")) is None or not text(att.get("content_url")):
                continue
            url = str(att["content_url"])
            files.append(Attachment(str(att["id"]), text(att.get("file_name")) or "file",
                                    text(att.get("content_type")) or "application/octet-stream",
                                    att.get("size") if isinstance(att.get("size"), int) else None, url=url,
                                    inline=bool(att.get("inline")), kind="inline_image" if att.get("inline") else "file"))
            if text(att.get("relative_path")):
                relative[str(att["relative_path"])] = url
        source_locale = text(raw.get("source_locale")) or "en-us"
        translations = []
        for tr in self.client.paginate(f"{HC}/articles/{aid}/translations.json", "translations",
                                       what="an article's translations"):
            body = str(tr.get("body") or "")
            for path, url in relative.items():
                body = body.replace(f'src="{path}"', f'src="{url}"')
            translations.append(KbTranslation(text(tr.get("locale")) or source_locale,
                                              text(tr.get("title")) or f"Article {aid}", body, bool(tr.get("draft")),
                                              parse_time(tr.get("updated_at")) if tr.get("updated_at") else None))
        translations.sort(key=lambda t: t.locale != source_locale)  # the source locale first
        section = ident(raw.get("section_id"))
        return KbArticle(aid, f"s{section}" if section else None, translations, files,
                         parse_time(raw.get("updated_at")) if raw.get("updated_at") else None,
                         text(raw.get("html_url")))

    def knowledge_articles(self, *, cursor: dict[str, Any] | None = None) -> Iterator[KbPage]:
        url = (cursor or {}).get("next") or f"{HC}/articles.json"
        params: dict[str, Any] | None = None if cursor else {"per_page": ARTICLE_PAGE}
        while True:
            try:
                data = self.client.get(url, params, what="the help-center articles")
            except NotFound as exc:
                raise self.no_knowledge_base() from exc  # type: ignore[attr-defined]
            arts = [a for a in (self._article(r) for r in items(data.get("articles")) if isinstance(r, dict)) if a]
            nxt = _next(data, self.client)
            yield KbPage(arts, {"next": nxt} if nxt else None)
            if not nxt:
                return
            url, params = nxt, None

    def count_articles(self) -> int:
        data = self.client.get(f"{HC}/articles.json", {"per_page": 1}, what="the help-center articles")
        if isinstance(data.get("count"), int):
            return int(data["count"])
        return sum(1 for _ in self.client.paginate(f"{HC}/articles.json", "articles", what="the help-center articles"))

