"""The time-window stream over Intercom's search (connectors/intercom/stream.py), at unit level: the search
is a function over an in-memory list that answers like the endpoint (bounds included, pages of 150)."""

from __future__ import annotations

import random

from connectors.intercom.stream import DAY, Key, WindowedSearch

NOW = 1_700_000_000


def fake_search(conversations: dict[str, int], asked: list):
    def search(query):
        asked.append(query)
        low = high = None
        for f in query["value"]:
            if f["field"] == "updated_at":
                low, high = (f["value"], high) if f["operator"] == ">" else (low, f["value"])
        found = [(cid, at) for cid, at in conversations.items()
                 if (low is None or at >= low) and (high is None or at <= high)]
        random.Random(len(asked)).shuffle(found)  # no order promised
        for start in range(0, max(1, len(found)), 150):
            yield {"total_count": len(found), "conversations": [{"id": c, "updated_at": a}
                                                                for c, a in found[start:start + 150]]}
    return search


def test_windows_narrow_and_widen_and_yield_every_conversation_once_in_order():
    rng = random.Random(3)
    conversations = {str(i): NOW - rng.randint(DAY, 900 * DAY) for i in range(1, 3001)}
    conversations.update({str(i): NOW - 400 * DAY + i for i in range(3001, 3400)})  # a busy day
    asked: list = []
    stream = WindowedSearch(search=fake_search(conversations, asked), filters=[], deleted=[
        Key.of(NOW - 10 * DAY, "9999", deleted=True)], now=lambda: NOW, window_max=200)
    keys = [key for key, _width in stream.keys(since=0, after=None)]
    assert [k.id for k in keys].count("9999") == 1 and keys[-2:][0].at <= keys[-1].at
    assert sorted(k.id for k in keys if not k.deleted) == sorted(conversations)
    assert keys == sorted(keys)
    assert stream.windows > 10 and len(asked) < 200  # narrowed around the busy day, widened elsewhere


def test_resume_after_a_key_skips_everything_up_to_it():
    conversations = {str(i): NOW - 100 * DAY + i * 60 for i in range(1, 501)}
    stream = WindowedSearch(search=fake_search(conversations, []), filters=[], deleted=[], now=lambda: NOW,
                            window_max=100)
    keys = [key for key, _width in stream.keys(since=0, after=None)]
    middle = keys[250]
    rest = [key for key, _width in stream.keys(since=0, after=Key.of(middle.at, middle.id))]
    assert rest == keys[251:]
