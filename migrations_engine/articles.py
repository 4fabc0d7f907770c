"""Help-center articles -> the Front knowledge base chosen on the inbox step: the run's `articles` phase.

Every knowledge-base record has one `RecordMap` row (entity `kb` for a knowledge base created by name,
`category`, `article`), so reruns, deltas and a resumed chunk write nothing twice:
- a category or article whose desired content is what was last applied costs no call (digests per locale
  in `applied`); a changed one is updated in place (`PATCH …/locales/{locale}/content`), a new one created;
- before a create the row is marked (`applied.intent`): an answer lost on the way back (a kill, a dropped
  connection) leaves the mark, and the next execution finds the object Front made (categories by name under
  the same parent, articles by subject) instead of making a second one. Categories are always looked for
  first, so categories already in a chosen knowledge base are reused;
- articles seen by no run since the last full listing are reported deleted in the source (left in Front).

Front's docs say OAuth cannot reach knowledge bases: every call here goes through clients built on the
migration's API token (`_clients`), whatever connection the rest of the run uses. Links and files:
article_content.py. Locales: a source locale goes to the Front locale of the same name, else the one of its
language ("en-us" -> "en"); a locale the knowledge base does not have is left out with a reason.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from connectors.base import (
    KbArticle,
    KbCategory,
    MissingPermission,
    NotAvailable,
    NotFound,
    PermanentRefusal,
)
from connectors.front.knowledge import FrontKnowledge
from connectors.http import RetryPolicy
from migrations_engine import article_content as content
from migrations_engine.journal import RECORD_ERRORS, RunContext
from migrations_engine.kb_records import KbRecords
from migrations_engine.models import RecordMap, Run

UNAVAILABLE = (NotAvailable, PermanentRefusal, MissingPermission, NotFound)
DEMO_ARTICLES = 20


def wanted(snapshot: dict[str, Any]) -> bool:
    return bool(snapshot.get("objects", {}).get("articles", True)) and bool(snapshot.get("knowledge_base"))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]


def front_locale(locale: str, locales: list[str]) -> str | None:
    """The Front locale a source locale goes to: the same one (any letter case), else its language's."""
    wanted_ = (locale or "").strip().lower().replace("_", "-")
    lowered = {loc.lower(): loc for loc in locales}
    return lowered.get(wanted_) or lowered.get(wanted_.split("-")[0])


class KnowledgeBook:
    """One execution's view of the target knowledge base and of what the record map says was written."""

    def __init__(self, ctx: RunContext, api: FrontKnowledge, once: FrontKnowledge) -> None:
        self.ctx, self.api, self.once = ctx, api, once
        self.rows = KbRecords(ctx)
        state = (ctx.run.context or {}).get("kb") or {}
        self.kb_id: str = state.get("id", "")
        self.locales: list[str] = state.get("locales", [])
        self._front_categories: list[dict[str, Any]] | None = None
        self._front_articles: list[dict[str, Any]] | None = None

    # ---- the knowledge base ------------------------------------------------------------------
    def resolve(self) -> dict[str, Any]:
        """The target knowledge base (chosen, or created once by name), with its locales."""
        chosen = self.ctx.snapshot.get("knowledge_base") or {}
        kb_id = str(chosen.get("id") or "")
        if not kb_id:
            name = str(chosen.get("create") or "").strip() or "Help Center"
            row = self.rows.get("kb", "knowledge_base")
            kb_id = row.front_id if row and row.front_id else ""
            if not kb_id:
                found = next((kb for kb in self.api.knowledge_bases() if kb.get("name") == name), None)
                if row and (row.applied or {}).get("intent") and found:
                    kb_id = found["id"]  # made by an execution that died before recording it
                else:
                    self.rows.intend("kb", "knowledge_base", name)
                    kb_id = self.once.create_knowledge_base(name)["id"]
                self.rows.done("kb", "knowledge_base", front_id=kb_id, applied={"name": name},
                               reason=f"Knowledge base “{name}” created in Front.", count=False)
        kb = self.api.knowledge_base(kb_id)
        return {"id": kb_id, "name": kb.get("name", ""), "locales": list(kb.get("locales") or [kb.get("locale", "en")])}

    # ---- categories --------------------------------------------------------------------------
    def _category_index(self) -> list[dict[str, Any]]:
        """Front's categories with their name in the default locale (read once per execution, when needed)."""
        if self._front_categories is None:
            self._front_categories = []
            for cat in self.api.categories(self.kb_id):
                body = self.api.category_content(cat["id"], self.locales[0]) or {}
                parent = ((cat.get("_links") or {}).get("related") or {}).get("parent_category") or ""
                self._front_categories.append({"id": cat["id"], "name": body.get("name") or "",
                                               "parent": parent.rstrip("/").rsplit("/", 1)[-1] if parent else ""})
        return self._front_categories

    def sync_categories(self, categories: list[KbCategory]) -> None:
        by_id = {c.source_id: c for c in categories}
        done: set[str] = set()

        def visit(cat: KbCategory, depth: int = 0) -> None:
            if cat.source_id in done or depth > 50:
                return
            if cat.parent_id and cat.parent_id in by_id:
                visit(by_id[cat.parent_id], depth + 1)
            done.add(cat.source_id)
            self.sync_category(cat)

        for cat in sorted(categories, key=lambda c: (c.position, c.source_id)):
            visit(cat)

    def sync_category(self, cat: KbCategory) -> str:
        parent = self.rows.front_id("category", cat.parent_id) if cat.parent_id else ""
        names = {cat.locale: cat.name, **cat.names}
        per_locale: dict[str, dict[str, str]] = {}
        for source_locale, name in names.items():
            loc = front_locale(source_locale, self.locales)
            if loc and loc not in per_locale:
                per_locale[loc] = {"name": (name or f"Category {cat.source_id}")[:255], "description": cat.description}
        if not per_locale:  # no locale of the knowledge base: the default locale gets the source's words
            per_locale[self.locales[0]] = {"name": cat.name or f"Category {cat.source_id}", "description": cat.description}
        first = front_locale(cat.locale, self.locales) or next(iter(per_locale))
        digests = {loc: _digest([body, parent]) for loc, body in per_locale.items()}
        row = self.rows.get("category", cat.source_id)
        applied = dict(row.applied or {}) if row else {}
        if row and row.front_id and row.state == RecordMap.State.DONE and applied.get("locales") == digests:
            self.rows.seen("category", cat.source_id)
            return row.front_id
        try:
            front_id = row.front_id if row and row.front_id else ""
            if not front_id:
                match = next((c for c in self._category_index() if c["name"] == per_locale[first]["name"]
                              and c["parent"] == parent), None)
                if match is not None:
                    front_id = match["id"]
                else:
                    self.rows.intend("category", cat.source_id, per_locale[first]["name"])
                    body = {**per_locale[first], **({"parent_category_id": parent} if parent else {})}
                    front_id = self.once.create_category(self.kb_id, first, body)["id"]
                    self._category_index().append({"id": front_id, "name": body["name"], "parent": parent})
                    applied["locales"] = {first: digests[first]}
            for loc, body in per_locale.items():
                if (applied.get("locales") or {}).get(loc) != digests[loc]:
                    self.api.update_category(front_id, loc, body)
        except RECORD_ERRORS as exc:
            self.rows.failed("category", cat.source_id, reason=str(exc), count=False)
            return ""
        self.rows.done("category", cat.source_id, front_id=front_id, applied={"locales": digests},
                       reason="Category path kept in Front.", count=False)
        return front_id

    # ---- articles ----------------------------------------------------------------------------
    def front_link(self, source_id: str, locale: str) -> str | None:
        row = self.rows.get("article", source_id)
        slug = str((row.applied or {}).get("slug") or "") if row and row.front_id else ""
        return f"/{locale}{slug}" if slug else None

    def _link_in(self, locale: str, source_id: str) -> str | None:
        return self.front_link(source_id, locale)

    def desired(self, article: KbArticle) -> tuple[dict[str, dict[str, Any]], list[str], list[str]]:
        """(Front locale -> translation, pending link targets, why some locales are left out)."""
        out: dict[str, dict[str, Any]] = {}
        pending: list[str] = []
        left_out: list[str] = []
        for tr in article.translations:
            loc = front_locale(tr.locale, self.locales)
            if loc is None:
                left_out.append(f"Locale {tr.locale} left out: the Front knowledge base has {', '.join(self.locales)}.")
                continue
            if loc in out:
                left_out.append(f"Locale {tr.locale} left out: {loc} already holds another translation.")
                continue
            links = content.rewrite_links(tr.body or "", article_of=self.ctx.source.article_id_in_link,
                                          front_link=partial(self._link_in, loc))
            pending.extend(links.pending)
            out[loc] = {"subject": (tr.title or f"Article {article.source_id}")[:255], "content": links.html,
                        "status": "draft" if tr.draft else "published"}
        return out, pending, left_out

    def sync_article(self, article: KbArticle) -> bool:
        """Create or update the article; True when it still links to articles not migrated yet."""
        translations, pending, left_out = self.desired(article)
        category = self.rows.front_id("category", article.category_id) if article.category_id else ""
        files = content.files_digest(article.attachments)
        digests = {loc: _digest([body, files]) for loc, body in translations.items()}
        row = self.rows.get("article", article.source_id)
        applied = dict(row.applied or {}) if row else {}
        if not translations:
            self.rows.skipped("article", article.source_id, reason=" ".join(left_out) or "The article has no text.",
                              url=article.url or "")
            return False
        if row and row.front_id and row.state == RecordMap.State.DONE and applied.get("locales") == digests:
            self.rows.seen("article", article.source_id)
            return bool(pending)
        reasons = list(left_out)
        try:
            front_id, slug = (row.front_id, applied.get("slug", "")) if row and row.front_id else ("", "")
            done_locales = dict(applied.get("locales") or {}) if front_id else {}
            first = next(iter(translations))
            if not front_id and applied.get("intent"):
                front_id, slug = self._find_article(translations[first]["subject"], first)
            for loc, body in translations.items():
                if done_locales.get(loc) == digests[loc]:
                    continue
                embedded = content.embed_files(body["content"], article.attachments, read=self.ctx.source.download)
                reasons.extend(r for r in embedded.reasons if r not in reasons)
                payload = {**body, "content": embedded.html}
                if not front_id:
                    self.rows.intend("article", article.source_id, body["subject"])
                    made = self.once.create_article(self.kb_id, loc, {**payload, **({"category_id": category} if category else {})})
                    front_id, slug = made["id"], made.get("slug", "")
                    answer = made
                    self.rows.keep_id("article", article.source_id, front_id=front_id, slug=slug)
                else:
                    answer = self.api.update_article(front_id, loc, payload)
                kept = content.data_uris(str(answer.get("content") or ""))
                if kept < embedded.embedded:
                    reasons.append(f"Front did not keep {embedded.embedded - kept} embedded file(s) of the {loc} text.")
                done_locales[loc] = digests[loc]
        except RECORD_ERRORS as exc:
            self.rows.failed("article", article.source_id, reason=str(exc), url=article.url or "")
            return False
        if applied.get("category") not in (None, category):
            reasons.append("Moved to another category in the source: Front's API cannot move an article.")
        if pending:
            reasons.append(f"Links to {len(set(pending))} article(s) not migrated yet are rewritten on the next pass.")
        self.rows.done("article", article.source_id, front_id=front_id, url=article.url or "",
                       applied={"locales": digests, "slug": slug, "category": applied.get("category", category),
                                "pending": sorted(set(pending))},
                       reason=" ".join(["Migrated.", *reasons]))
        return bool(pending)

    def _find_article(self, subject: str, locale: str) -> tuple[str, str]:
        """The article an interrupted create made (its subject, not recorded for another source article)."""
        if self._front_articles is None:
            self._front_articles = list(self.api.articles(self.kb_id))
        taken = self.rows.front_ids("article")
        for found in self._front_articles:
            if found["id"] in taken:
                continue
            body = self.api.article_content(found["id"], locale)
            if body and body.get("name") == subject:
                return found["id"], found.get("slug", "")
        return "", ""


def _clients(ctx: RunContext) -> tuple[FrontKnowledge, FrontKnowledge]:
    """Knowledge-base clients on the migration's API token (OAuth cannot reach knowledge bases) and on that
    token's company budget (built here, not borrowed from the run's clients, whatever connection those use);
    creates go through one that never retries by itself (an answer lost is looked for, not resent)."""
    from migrations_engine.context import front_client, retry_base_delay

    api = front_client(ctx.migration)
    once = front_client(ctx.migration, budget=api.budget,
                        retry=RetryPolicy(max_attempts=1, base_delay=retry_base_delay()))
    ctx.extra_clients.extend([api, once])
    return FrontKnowledge(api), FrontKnowledge(once)


def run_phase(ctx: RunContext, *, heartbeat: Callable[[], None], deadline: float) -> str:
    """Categories, then every article page by page (the cursor kept in Run.context["kb"]); a second pass
    rewrites links to articles that came later. "continue" when the chunk's time is up, else "done"."""
    run = ctx.run
    if not wanted(ctx.snapshot):
        return "done"
    if ctx.counters is None:
        ctx.counters = run.counters or {}
    book = KnowledgeBook(ctx, *_clients(ctx))
    state = dict((run.context or {}).get("kb") or {})
    try:
        if not state.get("id"):
            state.update(book.resolve())
            book.kb_id, book.locales = state["id"], state["locales"]
            _save(run, state)
        if not state.get("categories_done"):
            categories = ctx.source.knowledge_categories()
            if run.kind == Run.Kind.DEMO:
                categories = _demo_categories(ctx, categories)
            book.sync_categories(categories)
            state["categories_done"] = True
            _save(run, state)
        limit = DEMO_ARTICLES if run.kind == Run.Kind.DEMO else None
        while True:
            outcome = _pass(ctx, book, state, heartbeat=heartbeat, deadline=deadline, limit=limit)
            if outcome == "continue":
                return "continue"
            if state.get("pass", 1) == 1 and state.get("pending"):
                state.update({"pass": 2, "cursor": None, "pending": False, "handled": 0})
                _save(run, state)
                continue
            break
        if run.kind not in (Run.Kind.DEMO, Run.Kind.RETRY):
            book.rows.report_deleted()
    except UNAVAILABLE as exc:
        ctx.source.warn(f"Knowledge base not available: {exc} No articles were moved.")
    return "done"


def _pass(ctx: RunContext, book: KnowledgeBook, state: dict[str, Any], *, heartbeat: Callable[[], None],
          deadline: float, limit: int | None) -> str:
    handled = int(state.get("handled", 0))
    for page in ctx.source.knowledge_articles(cursor=state.get("cursor")):
        for article in page.articles:
            if limit is not None and handled >= limit:
                break
            handled += 1
            if state.get("pass", 1) == 2:
                row = book.rows.get("article", article.source_id)
                if not (row and (row.applied or {}).get("pending")):
                    continue
            state["pending"] = book.sync_article(article) or bool(state.get("pending"))
        state.update({"cursor": page.cursor, "handled": handled})
        _save(ctx.run, state)
        heartbeat()
        if page.cursor is None or (limit is not None and handled >= limit):
            return "done"
        if time.monotonic() > deadline:
            return "continue"
    return "done"


def _demo_categories(ctx: RunContext, categories: list[KbCategory]) -> list[KbCategory]:
    """A demo makes only the categories on the paths of its articles."""
    wanted_ids: set[str] = set()
    seen = 0
    for page in ctx.source.knowledge_articles():
        for article in page.articles[:DEMO_ARTICLES - seen]:
            if article.category_id:
                wanted_ids.add(article.category_id)
        seen += len(page.articles)
        if seen >= DEMO_ARTICLES:
            break
    by_id = {c.source_id: c for c in categories}
    keep: set[str] = set()
    for cid in wanted_ids:
        while cid and cid in by_id and cid not in keep:
            keep.add(cid)
            cid = by_id[cid].parent_id or ""
    return [c for c in categories if c.source_id in keep]


def _save(run: Run, state: dict[str, Any]) -> None:
    from migrations_engine.parallel import write_lock

    with write_lock():
        stored = Run.objects.filter(pk=run.pk).values_list("context", flat=True).first() or {}
        stored["kb"] = state
        Run.objects.filter(pk=run.pk).update(context=stored)
        run.context = {**(run.context or {}), "kb": dict(state)}
