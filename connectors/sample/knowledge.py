"""The sample help desk's help center: a small, fixed category tree and articles in three locales, with a
draft, an inline image, an attachment and links between articles (one to an article listed later), so the
offline sandbox shows every part of a knowledge-base migration. Revision 1 and later change one article,
add one and delete one (to try a delta)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from connectors.base import Attachment, KbArticle, KbCategory, KbPage, KbTranslation

BASE = "https://help.sample.example/hc"
IMAGE = Attachment(source_id="9001", filename="screenshot.png", content_type="image/png", size=60_000,
                   url=f"{BASE}/article_attachments/9001/screenshot.png", inline=True, kind="inline_image")
GUIDE = Attachment(source_id="9002", filename="guide.pdf", content_type="application/pdf", size=4096,
                   url=f"{BASE}/article_attachments/9002/guide.pdf")

# Two levels, as every vendor has them (category -> section / collection -> category / category -> folder):
# articles live in the second level.
CATEGORIES = [
    KbCategory("c1", "Getting started", None, "First steps", "en-us", {"fr": "Premiers pas"}, 1),
    KbCategory("c2", "Billing", None, "Money matters", "en-us", {"fr": "Facturation"}, 2),
    KbCategory("c3", "Invoices", "c2", "Your invoices", "en-us", {"fr": "Factures"}, 1),
    KbCategory("c4", "Basics", "c1", "", "en-us", {}, 1),
]


def _link(article: str, locale: str = "en-us") -> str:
    return f'<a href="{BASE}/{locale}/articles/{article}-read-more">see article {article}</a>'


def articles_at(revision: int) -> list[KbArticle]:
    intro_body = (f"<p>Welcome. Next: {_link('a3')}.</p><p><img src=\"{IMAGE.url}\" alt=\"screen\"></p>"
                  if revision == 0 else f"<p>Welcome (updated). Next: {_link('a3')}.</p><p><img src=\"{IMAGE.url}\"></p>")
    rows = [
        KbArticle("a1", "c4", [KbTranslation("en-us", "Welcome", intro_body),
                               KbTranslation("fr", "Bienvenue", f"<p>Bienvenue. {_link('a3', 'fr')}</p>"),
                               KbTranslation("de", "Willkommen", "<p>Willkommen.</p>")],
                  attachments=[IMAGE], url=f"{BASE}/en-us/articles/a1"),
        KbArticle("a2", "c3", [KbTranslation("en-us", "Download an invoice", f"<p>See {_link('a1')}.</p>"),
                               KbTranslation("fr", "Télécharger une facture", "<p>Voir le guide.</p>", draft=True)],
                  attachments=[GUIDE], url=f"{BASE}/en-us/articles/a2"),
        KbArticle("a3", "c3", [KbTranslation("en-us", "Refund policy", "<p>Refunds within 30 days.</p>")],
                  url=f"{BASE}/en-us/articles/a3"),
        KbArticle("a4", "c3", [KbTranslation("en-us", "Tax on invoices (draft)", "<p>Work in progress.</p>", draft=True)],
                  url=f"{BASE}/en-us/articles/a4"),
    ]
    if revision == 0:
        rows.append(KbArticle("a5", "c4", [KbTranslation("en-us", "Old FAQ", "<p>To be removed.</p>")],
                              url=f"{BASE}/en-us/articles/a5"))
    else:
        rows.append(KbArticle("a6", "c4", [KbTranslation("en-us", "New in this release", f"<p>{_link('a1')}</p>")],
                              url=f"{BASE}/en-us/articles/a6"))
    return rows


class SampleKnowledge:
    """Mixed into SampleConnector (which has `dataset` and `page_size`)."""

    article_link_patterns: ClassVar[tuple[str, ...]] = (r"help\.sample\.example/hc/[^/]+/articles/(?P<id>a\d+)",)
    dataset: Any

    def knowledge_categories(self) -> list[KbCategory]:
        return list(CATEGORIES)

    def knowledge_articles(self, *, cursor: dict[str, Any] | None = None) -> Iterator[KbPage]:
        rows = articles_at(self.dataset.revision)
        start = int((cursor or {}).get("offset", 0))
        size = 2  # small pages, so resuming mid-listing is exercised
        while True:
            chunk = rows[start:start + size]
            start += len(chunk)
            yield KbPage(chunk, {"offset": start} if start < len(rows) else None)
            if start >= len(rows):
                return
