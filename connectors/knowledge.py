"""The optional knowledge-base part of the source interface: help-center categories and articles.

`SourceConnector` (connectors/base.py) inherits `KnowledgeSource`. A source without a help center says so
with `NotAvailable` (a sentence, never a crash): the run goes on without articles and the wizard shows why.

Canonical records: a `KbCategory` tree (a section or folder is a category whose `parent_id` names its
category), `KbArticle`s with one `KbTranslation` per locale (title, HTML body, draft or published) and
their files (`Attachment`s: inline images are those whose `url` the body's `<img src>` names). Locales are
the source's own spellings ("en-us"); the engine maps them onto the Front knowledge base's locales.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from connectors.base import Attachment, NotAvailable


@dataclass(frozen=True)
class KbCategory:
    """A category, section or folder. `names` holds its name per locale beyond `locale`'s."""

    source_id: str
    name: str
    parent_id: str | None = None
    description: str = ""
    locale: str = "en"
    names: dict[str, str] = field(default_factory=dict)
    position: int = 0


@dataclass(frozen=True)
class KbTranslation:
    locale: str
    title: str
    body: str  # HTML
    draft: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class KbArticle:
    """One article: its translations (the source's default locale first), category and files."""

    source_id: str
    category_id: str | None
    translations: list[KbTranslation]
    attachments: list[Attachment] = field(default_factory=list)
    updated_at: datetime | None = None
    url: str | None = None  # the article in the source's help center, for reports


@dataclass
class KbPage:
    """One page of articles and the cursor to resume after it (None once the listing is exhausted)."""

    articles: list[KbArticle]
    cursor: dict[str, Any] | None


class KnowledgeSource:
    label: ClassVar[str]
    # Regular expressions matching a link to one of the source's articles; group "id" is the article id.
    article_link_patterns: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def has_knowledge_base(cls) -> bool:
        """Whether this kind of source can have a help center (the wizard offers a knowledge base then)."""
        return cls.knowledge_articles is not KnowledgeSource.knowledge_articles

    def no_knowledge_base(self) -> NotAvailable:
        from connectors.base import NotAvailable  # base imports this module: no import cycle at load time

        return NotAvailable(f"{self.label} has no knowledge base that Frontport can read.")

    def knowledge_categories(self) -> list[KbCategory]:
        """Every category of the help center (a tree through `parent_id`), parents listed before children
        or not: the engine orders them. Raises NotAvailable when the source has no help center."""
        raise self.no_knowledge_base()

    def knowledge_articles(self, *, cursor: dict[str, Any] | None = None) -> Iterator[KbPage]:
        """Every article (drafts too), page by page, with the cursor contract of `tickets()`."""
        raise self.no_knowledge_base()

    def count_articles(self) -> int:
        return sum(len(page.articles) for page in self.knowledge_articles())

    def article_id_in_link(self, href: str) -> str | None:
        """The source article a link points to (an absolute or relative help-center URL), else None."""
        for pattern in self.article_link_patterns:
            found = re.search(pattern, href or "")
            if found:
                return found.group("id")
        return None
