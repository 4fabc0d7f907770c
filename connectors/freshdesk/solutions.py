"""Freshdesk Solutions -> canonical knowledge-base records (docs/connectors-helpscout-freshdesk.md).

Solution categories are the top of the tree, their folders (and sub-folders) below. The portal's languages
come from `/api/v2/settings/helpdesk` (read once): the primary language's text is what the lists give;
each other language's is read from `/solutions/{kind}/{id}/{language}` (404: not translated). A folder's
articles come page by page (`Link: rel="next"` when Freshdesk sends one, else the next page while a page
comes back full: FS1); the cursor is (folder, page). Article `status` 1 is a draft. Files: the article's
`attachments` (pre-signed links) and the `<img>`s of its body (inline images on Freshdesk's attachment host).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from connectors.base import Attachment, KbArticle, KbCategory, KbPage, KbTranslation

ARTICLE_PAGE = 100
_INLINE = re.compile(r"""<img\b[^>]*?\bsrc=["']([^"']*/inline/attachment\?token=[^"']+)["']""", re.I)


class FreshdeskSolutions:
    """Mixed into FreshdeskConnector (which has `_get` and `http`)."""

    article_link_patterns: ClassVar[tuple[str, ...]] = (r"/support/solutions/articles/(?P<id>\d+)",)

    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None, ok404: bool = False,
             account_level: bool = True) -> Any:
        raise NotImplementedError  # FreshdeskConnector's

    def _languages(self) -> tuple[str, list[str]]:
        known = self.__dict__.get("_fd_languages")
        if known is None:
            settings = self._get("/api/v2/settings/helpdesk", what="the help desk's languages").json()
            primary = str(settings.get("primary_language") or "en")
            others = [str(x) for x in settings.get("supported_languages") or [] if x and x != primary]
            known = (primary, others)
            self.__dict__["_fd_languages"] = known
        return known

    def _translation(self, kind: str, ident: Any, lang: str) -> dict[str, Any] | None:
        response = self._get(f"/api/v2/solutions/{kind}/{ident}/{lang}", what=f"a {lang} translation",
                             ok404=True, account_level=False)
        return None if response is None else dict(response.json())

    def article_id_in_link(self, href: str) -> str | None:
        host = urlsplit(href or "").netloc
        if host and host != urlsplit(self.http.base_url).netloc:  # type: ignore[attr-defined]
            return None
        found = re.search(self.article_link_patterns[0], href or "")
        return found.group("id") if found else None

    def _categories_raw(self) -> list[dict[str, Any]]:
        body = self._get("/api/v2/solutions/categories", what="the Solutions categories").json()
        return [c for c in body if isinstance(c, dict) and c.get("id")] if isinstance(body, list) else []

    def _folders(self, category_id: Any) -> list[dict[str, Any]]:
        body = self._get(f"/api/v2/solutions/categories/{category_id}/folders", what="the Solutions folders").json()
        return [f for f in body if isinstance(f, dict) and f.get("id")] if isinstance(body, list) else []

    def knowledge_categories(self) -> list[KbCategory]:
        primary, others = self._languages()
        out = []
        for cat in self._categories_raw():
            names = {lang: str(t["name"]) for lang in others if (t := self._translation("categories", cat["id"], lang))}
            out.append(KbCategory(f"c{cat['id']}", str(cat.get("name") or cat["id"]), None,
                                  str(cat.get("description") or ""), primary, names))
            for folder in self._folders(cat["id"]):
                names = {lang: str(t["name"]) for lang in others if (t := self._translation("folders", folder["id"], lang))}
                parent = folder.get("parent_folder_id")
                out.append(KbCategory(f"f{folder['id']}", str(folder.get("name") or folder["id"]),
                                      f"f{parent}" if parent else f"c{cat['id']}", str(folder.get("description") or ""),
                                      primary, names))
        return out

    def _files(self, raw: dict[str, Any]) -> list[Attachment]:
        files = [Attachment(str(a["id"]), str(a.get("name") or "file"), str(a.get("content_type") or "application/octet-stream"),
                            a.get("size") if isinstance(a.get("size"), int) else None, url=str(a.get("attachment_url") or ""))
                 for a in raw.get("attachments") or [] if isinstance(a, dict) and a.get("id")]
        for url in dict.fromkeys(_INLINE.findall(str(raw.get("description") or ""))):
            name = f"image-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
            files.append(Attachment(f"inline-{name}", name, mimetypes.guess_type(name)[0] or "image/png", None,
                                    url=url, inline=True, kind="inline_image"))
        return files

    def _article(self, raw: dict[str, Any], primary: str, others: list[str]) -> KbArticle:
        translations = [KbTranslation(primary, str(raw.get("title") or raw["id"]), str(raw.get("description") or ""),
                                      raw.get("status") == 1)]
        files = self._files(raw)
        for lang in others:
            found = self._translation("articles", raw["id"], lang)
            if found:
                translations.append(KbTranslation(lang, str(found.get("title") or raw["id"]),
                                                  str(found.get("description") or ""), found.get("status") == 1))
                files += [f for f in self._files(found) if f.url not in {g.url for g in files}]
        return KbArticle(str(raw["id"]), f"f{raw.get('folder_id')}", translations, files, None,
                         f"{self.http.base_url}/support/solutions/articles/{raw['id']}")  # type: ignore[attr-defined]

    def _folder_ids(self) -> list[str]:
        return [str(f["id"]) for cat in self._categories_raw() for f in self._folders(cat["id"])]

    def knowledge_articles(self, *, cursor: dict[str, Any] | None = None) -> Iterator[KbPage]:
        primary, others = self._languages()
        folders = self._folder_ids()
        at, page = int((cursor or {}).get("folder", 0)), int((cursor or {}).get("page", 1))
        if not folders:
            yield KbPage([], None)
            return
        while at < len(folders):
            response = self._get(f"/api/v2/solutions/folders/{folders[at]}/articles", what="the Solutions articles",
                                 params={"page": page, "per_page": ARTICLE_PAGE})
            body = response.json()
            rows = [r for r in body if isinstance(r, dict) and r.get("id")] if isinstance(body, list) else []
            more = bool(response.links.get("next")) or len(rows) >= ARTICLE_PAGE
            if more:
                nxt: dict[str, Any] | None = {"folder": at, "page": page + 1}
            else:
                nxt = {"folder": at + 1, "page": 1} if at + 1 < len(folders) else None
            yield KbPage([self._article(r, primary, others) for r in rows], nxt)
            if nxt is None:
                return
            at, page = int(nxt["folder"]), int(nxt["page"])

    def count_articles(self) -> int:
        total = 0
        for folder in self._folder_ids():
            page = 1
            while True:
                response = self._get(f"/api/v2/solutions/folders/{folder}/articles", what="the Solutions articles",
                                     params={"page": page, "per_page": ARTICLE_PAGE})
                rows = response.json() if isinstance(response.json(), list) else []
                total += len(rows)
                if not (response.links.get("next") or len(rows) >= ARTICLE_PAGE):
                    break
                page += 1
        return total
