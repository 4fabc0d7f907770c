"""The sample help center (connectors/sample/knowledge.py, the one truth) as a vendor stand-in shows it:
numeric ids, and bodies whose links and image addresses are the vendor's own."""

from __future__ import annotations

import re
from collections.abc import Callable

from connectors.base import Attachment, KbArticle, KbCategory
from connectors.sample.knowledge import BASE, CATEGORIES, GUIDE, IMAGE, articles_at

FILES = (IMAGE, GUIDE)
_LINK = re.compile(re.escape(BASE) + r"/(?P<locale>[^/]+)/articles/a(?P<n>\d+)-read-more")


def number(source_id: str) -> int:
    """"a3" -> 3, "c2" -> 2, "9001" -> 9001."""
    return int(source_id.lstrip("ac"))


def categories() -> list[KbCategory]:
    return list(CATEGORIES)


def articles(revision: int) -> list[KbArticle]:
    return articles_at(revision)


def vendor_body(body: str, *, article_url: Callable[[str, int], str], file_url: Callable[[Attachment], str]) -> str:
    out = _LINK.sub(lambda m: article_url(m.group("locale"), int(m.group("n"))), body)
    for att in FILES:
        out = out.replace(att.url or "", file_url(att))
    return out


def file_by_id(file_id: int) -> Attachment | None:
    return next((f for f in FILES if int(f.source_id) == file_id), None)
