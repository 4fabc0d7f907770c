"""The read-only page listing what was imported, for people trying Frontport offline."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape, unescape

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#001b38;color:#fff;padding:18px 32px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.8;font-size:13px}main{padding:24px 32px;max-width:1100px}
.stats{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:20px}
.stat{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:10px 16px;min-width:120px}
.stat b{display:block;font-size:20px}.stat span{font-size:12px;color:#5b6472}
details{background:#fff;border:1px solid #e3e6eb;border-radius:8px;margin-bottom:8px}
summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:center}
summary .subject{flex:1;font-weight:600}.pill{font-size:12px;border-radius:10px;padding:1px 8px;background:#eef1f5}
.archived{background:#e6f4ea}.open{background:#fff4d6}.deleted{background:#fde2e1}
.msg{border-top:1px solid #eef0f3;padding:10px 14px}.msg .meta{font-size:12px;color:#5b6472}
.comment{background:#fffbea}.body{white-space:pre-wrap;word-break:break-word;max-height:12em;overflow:auto}
.empty{color:#5b6472;padding:40px 0;text-align:center}a{color:#0b63ce}
"""


def _text(body: str) -> str:
    """Message bodies are HTML from the source: show their text, never render their markup."""
    text = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S | re.I)
    text = re.sub(r"<(br|/p|/div|/li)\b[^>]*>", "\n", text, flags=re.I)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def render(state: dict, *, open_id: str | None = None) -> str:
    """The home page; `open_id` shows that conversation unfolded (the `/__sandbox/open/<id>` link)."""
    counters = state["counters"]
    inbox_names = {i["id"]: i["name"] for i in state["inboxes"]}
    stats = [("Conversations", len(state["conversations"])),
             ("Messages", sum(len(c["messages"]) for c in state["conversations"])),
             ("Comments", sum(len(c["comments"]) for c in state["conversations"])),
             ("Contacts", len(state["contacts"])), ("Still processing", state["pending_imports"]),
             ("Rate-limited (429)", counters["rate_limited_budget"] + counters["rate_limited_burst"]),
             ("Duplicates refused", counters["duplicate_imports_refused"])]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Front stand-in · "
             f"{escape(state['company']['name'])}</title><meta name='viewport' content='width=device-width'>"
             f"<style>{STYLE}</style></head><body><header><h1>Front stand-in · {escape(state['company']['name'])}</h1>"
             "<p>A local imitation of Front for trying Frontport offline. Read-only. "
             "<a style='color:#9cc7ff' href='/__sandbox/state'>JSON state</a> · "
             "<a style='color:#9cc7ff' href='/'>refresh</a></p></header><main><div class='stats'>"]
    parts += [f"<div class='stat'><b>{value}</b><span>{escape(label)}</span></div>" for label, value in stats]
    parts.append("</div>")
    if not state["conversations"]:
        parts.append("<p class='empty'>Nothing imported yet. Run a demo migration in Frontport, then refresh.</p>")
    for c in sorted(state["conversations"], key=lambda c: c["id"], reverse=True):
        if c["merged_into"]:
            continue  # its messages are listed under the conversation it was merged into
        tags = "".join(f"<span class='pill'>{escape(t)}</span>" for t in c["tags"])
        parts.append(
            f"<details id='{escape(c['id'])}'{' open' if c['id'] == open_id else ''}><summary><span class='subject'>{escape(c['subject'] or '(no subject)')}</span>"
            f"<span class='pill'>{escape(inbox_names.get(c['inbox_id'], c['inbox_id']))}</span>"
            f"<span class='pill {escape(c['status'])}'>{escape(c['status'])}</span>"
            f"<span class='pill'>{escape(c['assignee'] or 'unassigned')}</span>{tags}"
            f"<span class='pill'>{_count(len(c['messages']), 'message')} · {_count(len(c['comments']), 'comment')}"
            "</span></summary>")
        for m in c["messages"]:
            direction = "from customer" if m["inbound"] else "from team"
            files = f" · 📎 {escape(', '.join(m['attachments']))}" if m["attachments"] else ""
            parts.append(f"<div class='msg'><div class='meta'>{escape(m['sender'])} · {direction} · "
                         f"{_when(m['created_at'])} · external id {escape(m['external_id'])}{files}</div>"
                         f"<div class='body'>{escape(_text(m['body']))}</div></div>")
        for k in c["comments"]:
            parts.append(f"<div class='msg comment'><div class='meta'>internal comment · {escape(k['id'])}</div>"
                         f"<div class='body'>{escape(k['body'])}</div></div>")
        parts.append("</details>")
    parts.append("</main></body></html>")
    return "".join(parts)
