"""Front knowledge bases through the client and the stand-in: every route answers per the spec (requests and
answers validated, 0 violations), in both readings of what the reference leaves open (docs/vendor-guesses.md,
Front "Knowledge bases")."""

from __future__ import annotations

import pytest

from connectors.front import FrontClient, NotFound
from connectors.front.knowledge import FrontKnowledge
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN


@pytest.fixture
def reading(standin_strict):
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=6000, latency_ms=0, strict=standin_strict) as standin:
        client = FrontClient(token=FRONT_TEST_TOKEN, api_url=standin.url, budget_key=f"kb-{standin_strict}")
        yield standin, client
        client.close()


def test_knowledge_base_round_trip_per_spec(reading, standin_strict):
    standin, client = reading
    kb_api = FrontKnowledge(client)
    bases = kb_api.knowledge_bases()
    assert [(b["name"], b["locales"]) for b in bases] == [("Help Center", ["en", "fr"])]  # name read either way
    kb = bases[0]["id"]
    top = kb_api.create_category(kb, "en", {"name": "Billing", "description": "Money"})
    sub = kb_api.create_category(kb, "en", {"name": "Invoices", "parent_category_id": top["id"]})
    kb_api.update_category(sub["id"], "fr", {"name": "Factures"})
    made = kb_api.create_article(kb, "en", {"subject": "Refunds", "content": "<p>How</p>", "status": "draft",
                                            "category_id": sub["id"]})
    assert made["status"] == "draft" and made["slug"].startswith("/articles/")
    kb_api.update_article(made["id"], "fr", {"subject": "Remboursements", "content": "<p>Comment</p>",
                                             "status": "published"})
    assert kb_api.article_content(made["id"], "fr")["name"] == "Remboursements"
    assert kb_api.article_content(made["id"], "en")["status"] == "draft"
    assert kb_api.article_content("kba_404", "en") is None
    assert sorted(a["id"] for a in kb_api.articles(kb)) == [made["id"]]
    assert len(list(kb_api.categories(kb))) == 2
    assert kb_api.category_content(sub["id"], "fr")["name"] == "Factures"
    with pytest.raises(NotFound):  # a locale the knowledge base does not have
        kb_api.create_article(kb, "de", {"subject": "x", "content": "", "status": "draft"})
    plain = client.http.request("GET", f"/knowledge_base_articles/{made['id']}", route="GET /knowledge_base_articles/:id")
    assert plain.status_code == 200 and sorted(plain.json()["locales"]) == ["en", "fr"]
    other = kb_api.create_article(kb, "en", {"subject": "Gone", "content": "", "status": "draft"})
    gone = client.http.request("DELETE", f"/knowledge_base_articles/{other['id']}", route="DELETE /knowledge_base_articles/:id")
    assert gone.status_code == 200 and kb_api.article_content(other["id"], "en") is None
    new = kb_api.create_knowledge_base("Docs")
    assert kb_api.knowledge_base(new["id"])["name"] == "Docs"
    state = standin.state()
    assert state["counters"]["response_violations"] == 0, state["violations"]
    assert state["counters"]["spec_violations"] == 0
    article = state["kb_articles"][0]
    assert article["path"] == ["Billing", "Invoices"] and set(article["content"]) == {"en", "fr"}


def test_readings_differ_where_the_reference_is_silent(reading, standin_strict):
    standin, client = reading
    kb_api = FrontKnowledge(client)
    kb = kb_api.knowledge_bases()[0]["id"]
    listing = client.http.request("GET", "/knowledge_bases", route="GET /knowledge_bases").json()["_results"]
    assert ("name" in listing[0]) is not standin_strict  # KB1
    kb_api.create_category(kb, "en", {"name": "Same"})
    if standin_strict:  # KB2
        with pytest.raises(Exception, match="already exists"):
            kb_api.create_category(kb, "en", {"name": "Same"})
    else:
        kb_api.create_category(kb, "en", {"name": "Same"})
    big = "<p><img src=\"data:image/png;base64," + "A" * 70_000 + "\"></p>"
    made = kb_api.create_article(kb, "en", {"subject": "Pic", "content": big, "status": "published"})
    assert ("data:image/png" in made["content"]) is not standin_strict  # KB3
