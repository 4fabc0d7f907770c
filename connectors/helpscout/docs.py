"""Help Scout Docs (Docs API v1) -> canonical knowledge-base records (docs/connectors-helpscout-freshdesk.md).

The Docs API has its own API key (Help Scout: Your Profile -> Authentication -> API Keys), sent as the
HTTP Basic user name, and its own address (`https://docsapi.helpscout.net`). Collections are the top of
the tree, their categories below; an article goes to its first category (else its collection). Lists are
`{"items", "page", "pages"}`, walked page by page; articles are listed with `status=all` (HD1) and read
one by one (`GET /v1/articles/{id}`: the HTML `text`). Docs has one language per site (config
`docs_locale`, "en" by default). Images and linked files are Docs assets: each becomes an attachment the
engine re-hosts; links to `/article/{number}-…` are links between articles.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from connectors.base import (
    Attachment,
    KbArticle,
    KbCategory,
    KbPage,
    KbTranslation,
    NotAvailable,
    VendorError,
)
from connectors.downloads import stream_download
from connectors.http import HttpClient
from connectors.source_http import raise_for_status

DOCS_API_URL = "https://docsapi.helpscout.net"
SERVICE = "Help Scout Docs"
_ASSET = re.compile(r"""(?:src|href)=["']([^"']*/docs/assets/[^"']+|https://[^"']*cloudfront\.net/docs/assets/[^"']+)["']""")
_ARTICLE_LINK = re.compile(r"/article/(?P<n>\d+)(?:-|$|[/?#])")


class HelpScoutDocs:
    """Mixed into HelpScoutConnector (which has `config`)."""

    config: dict[str, Any]
    article_link_patterns: ClassVar[tuple[str, ...]] = (_ARTICLE_LINK.pattern,)

    @property
    def docs(self) -> HttpClient:
        if not self.config.get("docs_api_key"):
            raise NotAvailable("Help Scout Docs needs its own API key (Your Profile → Authentication → API Keys): "
                               "add it on the connection step to move your articles.")
        client = self.__dict__.get("_docs")
        if client is None:
            url = str(self.config.get("docs_api_url") or DOCS_API_URL).rstrip("/")
            client = HttpClient(url, service_name=SERVICE, auth=httpx.BasicAuth(str(self.config["docs_api_key"]), "X"))
            self.__dict__["_docs"] = client
        return client

    def _docs_get(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.docs.request("GET", path, params=params, route="GET " + re.sub(r"/[0-9a-f]{24}", "/:id", path))
        if response.status_code != 200:
            raise_for_status(response, service=SERVICE, what=what)
        body = response.json()
        if not isinstance(body, dict):
            raise VendorError(f"{SERVICE} sent {what} in an unexpected form.")
        return body

    def _docs_list(self, path: str, name: str, *, what: str, params: dict[str, Any] | None = None,
                   start: int = 1) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
        """(page, pages, items) of a Docs list, from page `start`."""
        number = start
        while True:
            block = self._docs_get(path, what=what, params={**(params or {}), "page": number}).get(name) or {}
            found = [i for i in block.get("items") or [] if isinstance(i, dict)]
            pages = int(block.get("pages") or 1)
            yield number, pages, found
            if number >= pages:
                return
            number += 1

    def _collections(self) -> list[dict[str, Any]]:
        return [c for _n, _p, items in self._docs_list("/v1/collections", "collections", what="the Docs collections")
                for c in items if c.get("id")]

    def knowledge_categories(self) -> list[KbCategory]:
        locale = str(self.config.get("docs_locale") or "en")
        out: list[KbCategory] = []
        for col in self._collections():
            out.append(KbCategory(f"col-{col['id']}", str(col.get("name") or col["id"]), None,
                                  str(col.get("description") or ""), locale, {}, int(col.get("order") or 0)))
            for _n, _p, cats in self._docs_list(f"/v1/collections/{col['id']}/categories", "categories",
                                                what="the Docs categories"):
                for cat in cats:
                    out.append(KbCategory(f"cat-{cat['id']}", str(cat.get("name") or cat["id"]), f"col-{col['id']}",
                                          str(cat.get("description") or ""), locale, {}, int(cat.get("order") or 0)))
        return out

    def _numbers(self) -> dict[str, str]:
        """Article number -> id (links between articles name the number), read once."""
        known = self.__dict__.get("_docs_numbers")
        if known is None:
            known = {}
            for col in self._collections():
                for _n, _p, refs in self._docs_list(f"/v1/collections/{col['id']}/articles", "articles",
                                                    what="the Docs articles", params={"status": "all"}):
                    known.update({str(r.get("number")): str(r["id"]) for r in refs if r.get("id")})
            self.__dict__["_docs_numbers"] = known
        return known

    def article_id_in_link(self, href: str) -> str | None:
        found = _ARTICLE_LINK.search(urlsplit(href or "").path)
        if not found or "/docs/assets/" in (href or ""):
            return None
        return self._numbers().get(found.group("n"))

    def _article(self, ref: dict[str, Any]) -> KbArticle:
        raw = self._docs_get(f"/v1/articles/{ref['id']}", what="a Docs article").get("article") or {}
        text = str(raw.get("text") or "")
        files = []
        for url in dict.fromkeys(_ASSET.findall(text)):
            name = urlsplit(url).path.rsplit("/", 1)[-1] or "file"
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            inline = f'src="{url}"' in text
            files.append(Attachment(url, name, kind, None, url=url, inline=inline,
                                    kind="inline_image" if inline else "file"))
        category = next(iter(raw.get("categories") or []), None)
        locale = str(self.config.get("docs_locale") or "en")
        title = str(raw.get("name") or ref.get("name") or ref["id"])
        return KbArticle(str(ref["id"]), f"cat-{category}" if category else f"col-{raw.get('collectionId')}",
                         [KbTranslation(locale, title, text, str(raw.get("status") or ref.get("status")) != "published")],
                         files, None, str(raw.get("publicUrl") or ref.get("publicUrl") or "") or None)

    def knowledge_articles(self, *, cursor: dict[str, Any] | None = None) -> Iterator[KbPage]:
        collections = [c["id"] for c in self._collections()]
        at = int((cursor or {}).get("collection", 0))
        page = int((cursor or {}).get("page", 1))
        if not collections:
            yield KbPage([], None)
            return
        while at < len(collections):
            for number, pages, refs in self._docs_list(f"/v1/collections/{collections[at]}/articles", "articles",
                                                       what="the Docs articles", params={"status": "all"}, start=page):
                done = number >= pages and at + 1 >= len(collections)
                nxt = None if done else ({"collection": at, "page": number + 1} if number < pages
                                         else {"collection": at + 1, "page": 1})
                yield KbPage([self._article(r) for r in refs], nxt)
            at, page = at + 1, 1

    def count_articles(self) -> int:
        return len(self._numbers())

    def download_docs_file(self, attachment: Attachment) -> Iterator[bytes]:
        return stream_download(self.docs, attachment.url or "", what=f"the file {attachment.filename!r}")
