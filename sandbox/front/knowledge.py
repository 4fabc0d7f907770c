"""Front knowledge bases in the stand-in: knowledge bases, categories (a tree) and articles, content per locale.

Every request is validated against the spec by server.py (as for every route). Readings of what the
reference leaves open (docs/vendor-guesses.md, Front "Knowledge bases"):
- KB1: the knowledge base listing documents no `name`. Ours: it carries one; strict: it does not (the name
  is only in `/knowledge_bases/{id}/content`).
- KB2: a category whose name is already taken under the same parent. Ours: a second one is made; strict:
  refused with 400.
- KB3: images as `data:` URIs inside an article's HTML. Ours: kept; strict: Front drops `<img>`s whose
  `src` is a `data:` URI larger than 64 KB (the product notices from the answer and says so).
- A locale the knowledge base does not have (its `locales`): 404 in both readings (the spec's locale enum
  is `en`, `fr`; the seeded knowledge base has both).
"""

from __future__ import annotations

import re
import time
from typing import Any

from sandbox.front.routes import ApiError, Call, page, route
from sandbox.front.state import Company

STRICT_DATA_URI_LIMIT = 64 * 1024
_DATA_IMG = re.compile(r"<img\b[^>]*\bsrc=\"(data:[^\"]*)\"[^>]*>", re.I)


def seed(co: Company) -> None:
    kb = co.new_id("knb")
    now = time.time()
    co.knowledge_bases[kb] = {"id": kb, "name": "Help Center", "type": "external", "status": "published",
                              "locales": ["en", "fr"], "created_at": now, "updated_at": now}


def _kb(co: Company, kb_id: str) -> dict:
    if kb_id not in co.knowledge_bases:
        raise ApiError(404, "Not found", f"Unknown knowledge base {kb_id}")
    return co.knowledge_bases[kb_id]


def _locale(kb: dict, locale: str) -> str:
    if locale not in kb["locales"]:
        raise ApiError(404, "Not found", f"The knowledge base has no locale {locale!r}")
    return locale


def _kb_links(co: Company, kb: str) -> dict:
    return {"self": co.link(f"/knowledge_bases/{kb}"),
            "related": {"articles": co.link(f"/knowledge_bases/{kb}/articles"),
                        "categories": co.link(f"/knowledge_bases/{kb}/categories")}}


def kb_json(co: Company, kb: dict) -> dict:
    body = {"_links": _kb_links(co, kb["id"]), "id": kb["id"], "type": kb["type"], "locales": list(kb["locales"]),
            "created_at": kb["created_at"], "updated_at": kb["updated_at"]}
    return body if co.strict else {**body, "name": kb["name"]}


def kb_content_json(co: Company, kb: dict, locale: str) -> dict:
    return {"_links": _kb_links(co, kb["id"]), "id": kb["id"], "name": kb["name"], "status": kb["status"],
            "type": kb["type"], "locale": locale, "created_at": kb["created_at"], "updated_at": kb["updated_at"]}


def _category_links(co: Company, c: dict) -> dict:
    parent = co.link(f"/knowledge_base_categories/{c['parent']}") if c["parent"] else None
    return {"self": co.link(f"/knowledge_base_categories/{c['id']}"),
            "related": {"knowledge_base": co.link(f"/knowledge_bases/{c['kb']}"), "parent_category": parent,
                        "articles": co.link(f"/knowledge_base_categories/{c['id']}/articles")}}


def category_json(co: Company, c: dict) -> dict:
    return {"_links": _category_links(co, c), "id": c["id"], "slug": c["slug"], "is_hidden": False,
            "locales": list(c["content"]), "created_at": c["created_at"], "updated_at": c["updated_at"]}


def category_content_json(co: Company, c: dict, locale: str) -> dict:
    content = c["content"][locale]
    return {"_links": _category_links(co, c), "id": c["id"], "name": content["name"],
            "description": content["description"], "is_hidden": False, "locale": locale,
            "created_at": c["created_at"], "updated_at": c["updated_at"]}


def _article_links(co: Company, a: dict) -> dict:
    return {"self": co.link(f"/knowledge_base_articles/{a['id']}"),
            "related": {"knowledge_base": co.link(f"/knowledge_bases/{a['kb']}"),
                        "category": co.link(f"/knowledge_base_categories/{a['category']}") if a["category"] else None,
                        "content": co.link(f"/knowledge_base_articles/{a['id']}/content")}}


def article_json(co: Company, a: dict) -> dict:
    return {"_links": _article_links(co, a), "id": a["id"], "slug": a["slug"], "locales": list(a["content"]),
            "created_at": a["created_at"], "updated_at": a["updated_at"]}


def article_content_json(co: Company, a: dict, locale: str) -> dict:
    content = a["content"][locale]
    links = _article_links(co, a)
    related = {"knowledge_base": links["related"]["knowledge_base"]}
    if a["category"]:
        related["category"] = links["related"]["category"]
    return {"_links": {"self": links["self"], "related": related}, "id": a["id"], "slug": a["slug"],
            "name": content["name"], "status": content["status"], "keywords": [], "content": content["content"],
            "locale": locale, "attachments": [], "last_edited_at": a["updated_at"],
            "created_at": a["created_at"], "updated_at": a["updated_at"]}


def _kept_content(co: Company, html: str) -> str:
    if not co.strict:
        return html
    return _DATA_IMG.sub(lambda m: "" if len(m.group(1)) > STRICT_DATA_URI_LIMIT else m.group(0), html)


# ---- knowledge bases ----------------------------------------------------------------------------
@route("GET", "/knowledge_bases")
def knowledge_bases(co: Company, call: Call) -> tuple[int, Any]:
    return 200, {"_links": {"self": co.link("/knowledge_bases")},
                 "_results": [kb_json(co, kb) for kb in co.knowledge_bases.values()]}


@route("POST", "/knowledge_bases")
def create_knowledge_base(co: Company, call: Call) -> tuple[int, Any]:
    name = str(call.body.get("name") or "").strip()
    if not name:
        raise ApiError(400, "Bad request", "A knowledge base needs a name")
    kb = co.new_id("knb")
    now = time.time()
    co.knowledge_bases[kb] = {"id": kb, "name": name, "type": call.body.get("type") or "external",
                              "status": "unpublished", "locales": ["en"], "created_at": now, "updated_at": now}
    return 201, kb_content_json(co, co.knowledge_bases[kb], "en")


@route("GET", "/knowledge_bases/{knowledge_base_id}")
def get_knowledge_base(co: Company, call: Call) -> tuple[int, Any]:
    return 200, kb_json(co, _kb(co, call.params["knowledge_base_id"]))


@route("GET", "/knowledge_bases/{knowledge_base_id}/content")
def get_knowledge_base_content(co: Company, call: Call) -> tuple[int, Any]:
    kb = _kb(co, call.params["knowledge_base_id"])
    return 200, kb_content_json(co, kb, kb["locales"][0])


# ---- categories -----------------------------------------------------------------------------------
@route("GET", "/knowledge_bases/{knowledge_base_id}/categories")
def categories(co: Company, call: Call) -> tuple[int, Any]:
    kb = _kb(co, call.params["knowledge_base_id"])["id"]
    found = [category_json(co, c) for c in co.kb_categories.values() if c["kb"] == kb]
    return 200, page(co, f"/knowledge_bases/{kb}/categories", call, found)


def _create_category(co: Company, kb_id: str, locale: str, body: dict) -> tuple[int, Any]:
    kb = _kb(co, kb_id)
    _locale(kb, locale)
    name = str(body.get("name") or "").strip()
    parent = body.get("parent_category_id")
    if parent is not None and (parent not in co.kb_categories or co.kb_categories[parent]["kb"] != kb["id"]):
        raise ApiError(400, "Bad request", f"Unknown parent category {parent}")
    if co.strict and any(c["kb"] == kb["id"] and c["parent"] == parent and locale in c["content"]
                         and c["content"][locale]["name"] == name for c in co.kb_categories.values()):
        raise ApiError(400, "Bad request", f"A category named {name!r} already exists there")
    cid = co.new_id("kbc")
    now = time.time()
    co.kb_categories[cid] = {"id": cid, "kb": kb["id"], "parent": parent, "slug": f"/categories/{cid[4:]}",
                             "content": {locale: {"name": name, "description": body.get("description") or ""}},
                             "created_at": now, "updated_at": now}
    return 201, category_content_json(co, co.kb_categories[cid], locale)


@route("POST", "/knowledge_bases/{knowledge_base_id}/categories")
def create_category(co: Company, call: Call) -> tuple[int, Any]:
    kb = _kb(co, call.params["knowledge_base_id"])
    return _create_category(co, kb["id"], kb["locales"][0], call.body)


@route("POST", "/knowledge_bases/{knowledge_base_id}/locales/{locale}/categories")
def create_category_in_locale(co: Company, call: Call) -> tuple[int, Any]:
    return _create_category(co, call.params["knowledge_base_id"], call.params["locale"], call.body)


def _category(co: Company, cid: str) -> dict:
    if cid not in co.kb_categories:
        raise ApiError(404, "Not found", f"Unknown category {cid}")
    return co.kb_categories[cid]


@route("GET", "/knowledge_base_categories/{category_id}/locales/{locale}/content")
def get_category_content(co: Company, call: Call) -> tuple[int, Any]:
    c = _category(co, call.params["category_id"])
    if call.params["locale"] not in c["content"]:
        raise ApiError(404, "Not found", "The category has no content in this locale")
    return 200, category_content_json(co, c, call.params["locale"])


@route("PATCH", "/knowledge_base_categories/{category_id}/locales/{locale}/content")
def update_category_content(co: Company, call: Call) -> tuple[int, Any]:
    c = _category(co, call.params["category_id"])
    locale = _locale(co.knowledge_bases[c["kb"]], call.params["locale"])
    content = c["content"].setdefault(locale, {"name": "", "description": ""})
    for key in ("name", "description"):
        if key in call.body:
            content[key] = call.body[key]
    c["updated_at"] = time.time()
    return 200, category_content_json(co, c, locale)


# ---- articles -------------------------------------------------------------------------------------
@route("GET", "/knowledge_bases/{knowledge_base_id}/articles")
def articles(co: Company, call: Call) -> tuple[int, Any]:
    kb = _kb(co, call.params["knowledge_base_id"])["id"]
    found = [article_json(co, a) for a in co.kb_articles.values() if a["kb"] == kb]
    return 200, page(co, f"/knowledge_bases/{kb}/articles", call, found)


def _write_content(co: Company, a: dict, locale: str, body: dict) -> None:
    content = a["content"].setdefault(locale, {"name": "", "content": "", "status": "draft"})
    if "subject" in body:
        content["name"] = body["subject"]
    if "content" in body:
        content["content"] = _kept_content(co, body["content"])
    content["status"] = body.get("status") or "draft"  # the spec's default
    if "author_id" in body and body["author_id"] not in co.teammates:
        raise ApiError(400, "Bad request", f"Unknown teammate {body['author_id']}")
    a["updated_at"] = time.time()


def _create_article(co: Company, kb_id: str, locale: str, body: dict) -> tuple[int, Any]:
    kb = _kb(co, kb_id)
    _locale(kb, locale)
    category = body.get("category_id")
    if category is not None and (category not in co.kb_categories or co.kb_categories[category]["kb"] != kb["id"]):
        raise ApiError(400, "Bad request", f"Unknown category {category}")
    aid = co.new_id("kba")
    now = time.time()
    article = {"id": aid, "kb": kb["id"], "category": category, "slug": f"/articles/{int(aid[4:], 16)}",
               "content": {}, "created_at": now, "updated_at": now}
    _write_content(co, article, locale, body)
    co.kb_articles[aid] = article
    return 201, article_content_json(co, article, locale)


@route("POST", "/knowledge_bases/{knowledge_base_id}/articles")
def create_article(co: Company, call: Call) -> tuple[int, Any]:
    kb = _kb(co, call.params["knowledge_base_id"])
    return _create_article(co, kb["id"], kb["locales"][0], call.body)


@route("POST", "/knowledge_bases/{knowledge_base_id}/locales/{locale}/articles")
def create_article_in_locale(co: Company, call: Call) -> tuple[int, Any]:
    return _create_article(co, call.params["knowledge_base_id"], call.params["locale"], call.body)


def _article(co: Company, aid: str) -> dict:
    if aid not in co.kb_articles:
        raise ApiError(404, "Not found", f"Unknown article {aid}")
    return co.kb_articles[aid]


@route("GET", "/knowledge_base_articles/{article_id}")
def get_article(co: Company, call: Call) -> tuple[int, Any]:
    return 200, article_json(co, _article(co, call.params["article_id"]))


@route("GET", "/knowledge_base_articles/{article_id}/locales/{locale}/content")
def get_article_content(co: Company, call: Call) -> tuple[int, Any]:
    a = _article(co, call.params["article_id"])
    if call.params["locale"] not in a["content"]:
        raise ApiError(404, "Not found", "The article has no content in this locale")
    return 200, article_content_json(co, a, call.params["locale"])


@route("PATCH", "/knowledge_base_articles/{article_id}/locales/{locale}/content")
def update_article_content(co: Company, call: Call) -> tuple[int, Any]:
    a = _article(co, call.params["article_id"])
    locale = _locale(co.knowledge_bases[a["kb"]], call.params["locale"])
    _write_content(co, a, locale, call.body)
    return 200, article_content_json(co, a, locale)


@route("DELETE", "/knowledge_base_articles/{article_id}")
def delete_article(co: Company, call: Call) -> tuple[int, Any]:
    article = _article(co, call.params["article_id"])
    answer = article_json(co, article)  # the spec answers the (slim) article that was deleted
    del co.kb_articles[article["id"]]
    return 200, answer


def dump_knowledge(co: Company) -> dict:
    """What a migration wrote into the knowledge bases (the state page), with category paths."""
    def path(cid: str | None) -> list[str]:
        names: list[str] = []
        while cid:
            c = co.kb_categories[cid]
            names.insert(0, next(iter(c["content"].values()))["name"])
            cid = c["parent"]
        return names

    return {
        "knowledge_bases": [{"id": kb["id"], "name": kb["name"], "locales": list(kb["locales"])}
                            for kb in co.knowledge_bases.values()],
        "kb_categories": [{"id": c["id"], "kb": c["kb"], "parent": c["parent"], "path": path(c["id"]),
                           "content": {k: dict(v) for k, v in c["content"].items()}} for c in co.kb_categories.values()],
        "kb_articles": [{"id": a["id"], "kb": a["kb"], "category": a["category"], "slug": a["slug"],
                         "path": path(a["category"]), "content": {k: dict(v) for k, v in a["content"].items()}}
                        for a in co.kb_articles.values()],
    }
