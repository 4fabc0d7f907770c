"""An article's HTML as Front's knowledge base receives it: links between articles rewritten, images and
attachments re-hosted inside the content.

- **Links**: an `href` the source connector recognises as one of its own articles
  (`SourceConnector.article_id_in_link`) becomes that article's Front link, `/{locale}{slug}` (Front's
  reference: "Construct the full URL using the template of protocol/knowledge base domain/locale/slug";
  the API gives no domain, so the link is relative to the knowledge base site: docs/vendor-guesses.md,
  KB4). A link to an article not migrated yet is left as it is and reported as pending; the phase's
  second pass rewrites it once the target exists.
- **Images and attachments**: Front's knowledge-base routes take JSON only (no upload), so a file travels
  inside the content: an inline image's `src` (the attachment whose `url` the `<img>` names) becomes a
  `data:` URI, a link naming an attachment gets it as a `data:` URI, other attachments are listed at the
  end as `data:` download links. Files above
  `MAX_EMBED_BYTES` are left out with a reason.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from connectors.base import Attachment, ConnectorError

MAX_EMBED_BYTES = 5 * 1024 * 1024
_HREF = re.compile(r"""(<a\b[^>]*?\bhref=)(["'])(.*?)\2""", re.I | re.S)
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.I | re.S)


@dataclass
class Rewritten:
    html: str
    pending: list[str] = field(default_factory=list)  # source article ids linked to but not migrated yet
    linked: list[str] = field(default_factory=list)  # source article ids whose links were rewritten


def rewrite_links(body: str, *, article_of: Callable[[str], str | None],
                  front_link: Callable[[str], str | None]) -> Rewritten:
    """`body` with every link to a source article pointing at its Front article (when it has one)."""
    out = Rewritten(html=body)

    def swap(match: re.Match[str]) -> str:
        href = html.unescape(match.group(3))
        source_id = article_of(href)
        if source_id is None:
            return match.group(0)
        target = front_link(source_id)
        if target is None:
            out.pending.append(source_id)
            return match.group(0)
        out.linked.append(source_id)
        anchor = href.split("#", 1)[1] if "#" in href else ""
        return f"{match.group(1)}{match.group(2)}{html.escape(target + ('#' + anchor if anchor else ''))}{match.group(2)}"

    out.html = _HREF.sub(swap, body)
    return out


def files_digest(attachments: list[Attachment]) -> str:
    keys = sorted(f"{a.source_id}|{a.filename}|{a.size}|{a.inline}" for a in attachments)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


@dataclass
class Embedded:
    html: str
    embedded: int = 0  # data: URIs written
    reasons: list[str] = field(default_factory=list)


def _data_uri(att: Attachment, read: Callable[[Attachment], Iterator[bytes]]) -> tuple[str | None, str]:
    if att.size is not None and att.size > MAX_EMBED_BYTES:
        return None, f"{att.filename} is larger than {MAX_EMBED_BYTES // (1024 * 1024)} MB: left out."
    data = bytearray()
    for chunk in read(att):
        data.extend(chunk)
        if len(data) > MAX_EMBED_BYTES:
            return None, f"{att.filename} is larger than {MAX_EMBED_BYTES // (1024 * 1024)} MB: left out."
    kind = att.content_type or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(bytes(data)).decode()}", ""


def embed_files(body: str, attachments: list[Attachment], *,
                read: Callable[[Attachment], Iterator[bytes]]) -> Embedded:
    """Inline images into their `<img>`s and the other attachments as download links at the end."""
    out = Embedded(html=body)
    by_url = {a.url: a for a in attachments if a.url}
    cache: dict[str, str | None] = {}

    def uri(att: Attachment) -> str | None:
        if att.source_id not in cache:
            try:
                cache[att.source_id], why = _data_uri(att, read)
            except ConnectorError as exc:  # a file the source will not give is reported, not fatal
                cache[att.source_id], why = None, f"{att.filename} could not be read from the source ({exc})."
            if why:
                out.reasons.append(why)
        return cache[att.source_id]

    used: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        att = by_url.get(html.unescape(match.group(3)))
        if att is None:
            return match.group(0)
        used.add(att.source_id)
        found = uri(att)
        if found is None:
            return match.group(0)
        out.embedded += 1
        return f"{match.group(1)}{match.group(2)}{found}{match.group(2)}"

    out.html = _HREF.sub(swap, _IMG_SRC.sub(swap, body))  # images, then links that name a file
    links = []
    for att in attachments:
        if att.source_id in used or att.inline:
            continue
        found = uri(att)
        if found is not None:
            out.embedded += 1
            links.append(f'<li><a href="{found}" download="{html.escape(att.filename)}">{html.escape(att.filename)}</a></li>')
    if links:
        out.html += f'<ul class="frontport-attachments">{"".join(links)}</ul>'
    return out


def data_uris(content: str) -> int:
    """How many files a content carries (counted in Front's answer to see whether it kept them)."""
    return content.count("data:") if content else 0
