"""Source HTML is sanitized before it reaches Front (issue 13, item 7): nothing that runs or fetches on
its own survives; formatting, links, images (cid: and data: images included) and tables do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import Message
from migrations_engine import mapping
from migrations_engine.pipeline import _body
from migrations_engine.sanitize import clean_html

NASTY = [
    ("<p>Hi</p><script>alert(1)</script>", "<p>Hi</p>"),
    ("<SCRIPT src=//evil.example/x.js></SCRIPT>ok", "ok"),
    ('<img src=x onerror="alert(1)">', '<img src="x">'),
    ('<p onclick="steal()" onmouseover=x>Click</p>', "<p>Click</p>"),
    ('<a href="javascript:evil()">a</a>', '<a rel="noopener noreferrer">a</a>'),
    ('<a href="JaVaScRiPt:evil()">b</a>', '<a rel="noopener noreferrer">b</a>'),
    ('<a href="&#106;avascript:evil()">c</a>', '<a rel="noopener noreferrer">c</a>'),
    ('<a href=" javascript:evil()">d</a>', '<a rel="noopener noreferrer">d</a>'),
    ('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">e</a>', '<a rel="noopener noreferrer">e</a>'),
    ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
    ('<iframe src="https://evil.example"></iframe>after', "after"),
    ("<style>body{display:none}</style>text", "text"),
    ('<form action="https://evil.example"><input name="pw"><button>Send</button></form>', ""),
    ('<svg onload="alert(1)"><circle r="4"/></svg>x', "x"),
    ('<object data="x.swf"></object><embed src="x.swf">y', "y"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">z', "z"),
    ('<div style="position:fixed;top:0;color:red;background:url(javascript:x)">s</div>',
     '<div style="color:red">s</div>'),
    ("<!--[if mso]><script>x</script><![endif]-->after comment", "after comment"),
    ("<math><mi>x</mi></math><title>t</title>m", "m"),
]

KEPT = [
    '<p><b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code></p>',
    '<a href="https://example.org/x?a=1&amp;b=2" rel="noopener noreferrer">link</a>',
    '<a href="mailto:someone@example.org" rel="noopener noreferrer">mail</a>',
    '<img src="cid:img123@mail" alt="inline">',
    '<img src="https://example.org/a.png" alt="remote" width="20" height="10">',
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="embedded">',
    '<table border="1"><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>',
    '<ul><li>a</li></ul><ol start="3"><li>b</li></ol><blockquote>q</blockquote><pre>p</pre>',
    '<font color="red" face="Arial">red</font><span style="color:blue;font-weight:bold">blue</span>',
    '<h1>T</h1><hr><br>ünïcödé — 日本語 🎉 &amp; &lt;tags&gt;',
]


@pytest.mark.parametrize(("dirty", "clean"), NASTY)
def test_what_runs_or_fetches_on_its_own_is_removed(dirty, clean):
    assert clean_html(dirty) == clean


@pytest.mark.parametrize("html", KEPT)
def test_formatting_links_images_and_tables_are_kept(html):
    assert clean_html(html) == html


def test_imported_bodies_and_note_comments_are_sanitized():
    at = datetime(2021, 3, 1, 9, 30, tzinfo=UTC)
    dirty = '<p onclick="x()">Hello</p><script>alert(1)</script><img src="cid:logo">'
    reply = Message(source_id="1", kind="reply", created_at=at, body=dirty, inbound=True)
    assert _body(reply) == ('<p>Hello</p><img src="cid:logo">', "html")
    assert _body(Message(source_id="2", kind="reply", created_at=at, body="<script>x</script>")) == ("<p></p>", "html")
    text = Message(source_id="3", kind="reply", created_at=at, body="a < b\nnext", body_format="text")
    assert _body(text) == ("a &lt; b<br>\nnext", "html")
    note = Message(source_id="4", kind="private_note", created_at=at, body=dirty, author_name="Alice Agent")
    body = mapping.note_body(author="Alice Agent", created_at=at, body=mapping.note_text(note), marker="m")
    assert body.startswith("**Alice Agent** wrote on 2021-03-01 09:30 UTC:")
    assert "<script" not in body and "onclick" not in body and '<img src="cid:logo">' in body
