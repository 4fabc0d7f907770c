"""The contract's knowledge-base checks (collected by test_contract.py for every harness).

Every connector either gives the sample help center (connectors/sample/knowledge.py) as its vendor holds it
— the category tree, every article once across pages (resumable from a page's cursor, counted), each with
its title, draft state, translations, files (readable) and category path, and the links between articles
recognised — or, for a source without a help center, says so with `NotAvailable` from every knowledge-base
method, never another error.

Harness hooks (optional): `articles_available` (False: NotAvailable expected), `one_language` (the vendor
keeps one language per help center: the first translation only).
"""

from __future__ import annotations

import re

import pytest

from connectors.base import KbArticle, KbCategory, NotAvailable
from connectors.sample.knowledge import CATEGORIES, articles_at
from tests.connectors.harness import expected

SIZE, SEED = 12, 7


def _available(harness) -> bool:
    return getattr(harness, "articles_available", True)


def _paths(categories: list[KbCategory]) -> dict[str, list[str]]:
    by_id = {c.source_id: c for c in categories}

    def path(cid: str | None) -> list[str]:
        names: list[str] = []
        while cid and cid in by_id:
            names.insert(0, by_id[cid].name)
            cid = by_id[cid].parent_id
        return names

    return {cid: path(cid) for cid in by_id}


def _shape(article: KbArticle, paths: dict[str, list[str]], one_language: bool) -> tuple:
    translations = article.translations[:1] if one_language else article.translations
    return (paths.get(article.category_id or "", []),
            sorted((t.locale.split("-")[0], t.title, t.draft) for t in translations),
            sorted((f.inline, "" if f.inline else f.filename) for f in article.attachments))  # inline: often unnamed


def test_help_center_articles_stream_each_once_or_are_not_available(harness):
    connector = harness.connector(tickets=SIZE, seed=SEED)
    if not _available(harness):
        for call in (connector.knowledge_categories, lambda: list(connector.knowledge_articles()),
                     connector.count_articles):
            with pytest.raises(NotAvailable) as caught:
                call()
            assert str(caught.value).endswith(".") and "Traceback" not in str(caught.value)
        return
    one_language = getattr(harness, "one_language", False)
    categories = connector.knowledge_categories()
    assert sorted(_paths(categories).values()) == sorted(_paths(CATEGORIES).values())
    pages = list(connector.knowledge_articles())
    assert [p.cursor is None for p in pages] == [False] * (len(pages) - 1) + [True]
    got = [a for p in pages for a in p.articles]
    assert len({a.source_id for a in got}) == len(got) == connector.count_articles()
    paths, truth_paths = _paths(categories), _paths(CATEGORIES)
    by_title = {a.translations[0].title: a for a in got}
    truth = {a.translations[0].title: a for a in articles_at(0)}
    assert {t: _shape(a, paths, one_language) for t, a in by_title.items()} == {
        t: _shape(a, truth_paths, one_language) for t, a in truth.items()}
    if len(pages) > 1:  # resumable after any page
        rest = [a.source_id for p in connector.knowledge_articles(cursor=pages[0].cursor) for a in p.articles]
        assert rest == [a.source_id for p in pages[1:] for a in p.articles]
    # Links between articles are recognised; another site's are not.
    for title, article in by_title.items():
        for tr in article.translations[:1]:
            for href in re.findall(r'href="([^"]+)"', tr.body):
                target = connector.article_id_in_link(href)
                if "see article" in tr.body and href.endswith("-read-more"):
                    assert target in {by_title["Welcome"].source_id, by_title["Refund policy"].source_id}, (title, href)
    assert connector.article_id_in_link("https://elsewhere.example/hc/en-us/articles/123-x") is None
    # Files are readable: the inline image of "Welcome" has the data set's bytes.
    image = next(f for f in by_title["Welcome"].attachments if f.inline)
    assert image.url and f'src="{image.url}"' in by_title["Welcome"].translations[0].body
    data = b"".join(connector.download(image))
    assert data == b"".join(expected(SIZE, SEED).attachment_bytes("9001", 60_000))
