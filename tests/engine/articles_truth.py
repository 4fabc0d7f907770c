"""The sample help center (connectors/sample/knowledge.py) against what the Front stand-in holds, field by
field: title, body (links rewritten to the Front articles, files embedded), category path, locale, draft
state. Shared by the sample and the vendor end-to-end tests."""

from __future__ import annotations

import base64

from connectors.sample import SampleDataset
from connectors.sample.knowledge import BASE, CATEGORIES, articles_at
from migrations_engine.articles import front_locale
from migrations_engine.models import RecordMap

LOCALES = ["en", "fr"]


def _path(cid: str | None) -> list[str]:
    by_id = {c.source_id: c for c in CATEGORIES}
    names: list[str] = []
    while cid:
        names.insert(0, by_id[cid].name)
        cid = by_id[cid].parent_id
    return names


def check_articles(*, state: dict, migration, revision: int, strict: bool, dataset: SampleDataset,
                   one_language: bool = False) -> None:
    """`one_language`: the source has one language per help center (Help Scout Docs): its first text only."""
    rows = {r.front_id: r for r in RecordMap.objects.filter(migration=migration, entity="article")}
    front = {a["content"]["en"]["name"]: a for a in state["kb_articles"]}
    truth = articles_at(revision)
    slug_of = {a.source_id: front[a.translations[0].title]["slug"] for a in truth}
    for article in truth:
        got = front[article.translations[0].title]
        row = rows[got["id"]]
        assert row.state == "done", (row.source_id, row.reason)
        assert got["path"] == _path(article.category_id), (article.source_id, got["path"])
        for tr in article.translations[:1] if one_language else article.translations:
            loc = front_locale(tr.locale, LOCALES)
            if loc is None:
                assert "Locale de left out" in row.reason
                continue
            text = got["content"][loc]
            assert text["name"] == tr.title
            assert text["status"] == ("draft" if tr.draft else "published"), (article.source_id, loc)
            assert f"{BASE}/" not in text["content"] and "/articles/a" not in text["content"]
            for target in ("a1", "a3"):
                if f"articles/{target}-" in tr.body:
                    assert f'href="/{loc}{slug_of[target]}"' in text["content"], (article.source_id, loc, target)
            assert ">see article" in text["content"] or "see article" not in tr.body
    welcome = front["Welcome"]["content"]["en"]["content"]
    image = base64.b64encode(b"".join(dataset.attachment_bytes("9001", 60_000))).decode()
    welcome_row = rows[front["Welcome"]["id"]]
    if strict:  # Front reading KB3: the large data: image dropped, and the report says so
        assert image not in welcome and "did not keep 1 embedded file" in welcome_row.reason
    else:
        assert f'src="data:image/png;base64,{image}"' in welcome
    invoice = front["Download an invoice"]["content"]["en"]["content"]
    guide = base64.b64encode(b"".join(dataset.attachment_bytes("9002", 4096))).decode()
    assert f'href="data:application/pdf;base64,{guide}"' in invoice and "guide.pdf" in invoice
