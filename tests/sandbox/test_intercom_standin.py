"""The Intercom stand-in answers like Intercom: every request and answer checked against Intercom's
official OpenAPI document (a verbatim copy shipped in sandbox/intercom/), errors in Intercom's shape,
search with cursors, rate-limit windows, both readings of each guess."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sandbox.intercom import IntercomStandin, spec
from sandbox.intercom.app import SCOPES

VENDORED = Path(__file__).resolve().parents[2] / "sandbox" / "intercom" / "intercom-api-2.16.yaml"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "specs" / "intercom-api-2.16.yaml"
HEADERS = {"Authorization": "Bearer ic-access-token", "Intercom-Version": "2.16", "Accept": "application/json"}


def test_vendored_spec_is_intercoms_document():
    if not SHARED.exists():
        pytest.skip("the shared specs folder is not next to this checkout")
    assert hashlib.sha256(VENDORED.read_bytes()).digest() == hashlib.sha256(SHARED.read_bytes()).digest()


def test_answers_match_the_document(standin_strict):
    with IntercomStandin(tickets=120, seed=2, strict=standin_strict) as ic, \
            httpx.Client(base_url=ic.url, headers=HEADERS) as http:
        for path in ("/me", "/admins", "/admins/1", "/teams", "/tags", "/conversations/attributes", "/contacts",
                     "/companies/6762f1261bb69f9f2193bb01", "/conversations/deleted?per_page=60&order=asc",
                     "/conversations/50", "/conversations/53", "/conversations/71"):
            assert http.get(path).status_code == 200, path
        found = http.post("/conversations/search", json={"query": {"operator": "AND", "value": [
            {"field": "updated_at", "operator": ">", "value": 0},
            {"field": "tag_ids", "operator": "IN", "value": ["1", "2"]}]}, "pagination": {"per_page": 150}})
        assert found.status_code == 200 and found.json()["type"] == "conversation.list"
        contacts = http.post("/contacts/search", json={"query": {"field": "id", "operator": "IN",
                                                                 "value": ["1000001", "1000004"]}})
        assert [c["role"] for c in contacts.json()["data"]] == ["user", "lead"]
        assert http.get("/admins/999").status_code == 404
        assert http.get("/conversations/97").status_code == 404  # deleted
        assert not ic.app.violations, ic.app.violations[:3]
        long = http.get("/conversations/50").json()["conversation_parts"]
        held = len(ic.app.render.parts(ic.app.render.ticket(50), ic.app.render.agents()))
    assert len(long["conversation_parts"]) == 500 < held  # the 500 most recent
    assert long["total_count"] == (500 if standin_strict else held)
    times = [p["created_at"] for p in long["conversation_parts"]]
    assert times == sorted(times, reverse=standin_strict)  # strict: newest first


def test_the_check_finds_what_breaks_the_document():
    request = spec.request_for(base_url="http://127.0.0.1:80", method="GET", path="/conversations/1", query={},
                               headers={"authorization": "Bearer x"}, body=b"")
    broken = {"type": "conversation", "id": "1", "state": "pending", "created_at": "yesterday"}
    problem = spec.check_response(request, template="/conversations/{conversation_id}", status=200,
                                  body=json.dumps(broken).encode())
    assert problem and "state" in problem
    # The one erratum: boolean attribute values, as the document's own example shows them.
    flagged = {"type": "conversation", "id": "1", "custom_attributes": {"paid": True, "spend": 155.5}}
    assert spec.check_response(request, template="/conversations/{conversation_id}", status=200,
                               body=json.dumps(flagged).encode()) is None
    with pytest.raises(Exception):  # noqa: B017 - openapi-core's own error: the schema alone refuses it
        from openapi_core.testing import MockResponse
        spec.openapi().validate_response(request, MockResponse(json.dumps(flagged).encode(), status_code=200,
                                                               content_type="application/json"))
    assert spec.check_response(request, template="/conversations/{conversation_id}", status=429,
                               body=b'{"type": "error.list"}')  # `errors` is required


def test_errors_come_in_intercoms_shape():
    with IntercomStandin(tickets=5, seed=2) as ic, httpx.Client(base_url=ic.url, headers=HEADERS) as http:
        anonymous = httpx.get(ic.url + "/me")
        assert anonymous.status_code == 401 and "x-ratelimit-limit" not in anonymous.headers
        assert anonymous.json()["errors"][0] == {"code": "unauthorized", "message": "Access Token Invalid"}
        ic.app.add_token("limited", SCOPES - {"read_admins"})
        refused = http.get("/admins", headers={"Authorization": "Bearer limited"})
        assert refused.status_code == 403 and "read_admins" in refused.json()["errors"][0]["message"]
        assert http.get("/me", headers={"Intercom-Version": "9.9"}).json()["errors"][0]["code"] == \
            "intercom_version_invalid"
        bad = http.post("/conversations/search", json={"query": {"operator": "XOR", "value": []}})
        assert bad.status_code == 400 and bad.json()["type"] == "error.list"
        too_many = http.post("/conversations/search", json={"query": {"field": "id", "operator": "=", "value": "1"},
                                                            "pagination": {"per_page": 151}})
        assert too_many.status_code == 400
        assert http.post("/conversations/search", json={"pagination": {}}).status_code == 400  # query is required
        assert ic.app.violations and all(v.startswith("request") for v in ic.app.violations)


def test_search_pages_with_cursors_and_compares_dates(standin_strict):
    with IntercomStandin(tickets=120, seed=2, strict=standin_strict) as ic, \
            httpx.Client(base_url=ic.url, headers=HEADERS) as http:
        query = {"field": "updated_at", "operator": ">", "value": 0}
        seen, paging = [], {"per_page": 50}
        while True:
            page = http.post("/conversations/search", json={"query": query, "pagination": paging}).json()
            seen += [c["id"] for c in page["conversations"]]
            cursor = (page["pages"].get("next") or {}).get("starting_after")
            if not cursor:
                break
            paging = {"per_page": 50, "starting_after": cursor}
        assert len(seen) == len(set(seen)) == page["total_count"] == 119  # 97 is deleted
        everything = {c: http.get(f"/conversations/{c}").json()["updated_at"] for c in seen}
        # 10:17 in the workspace's time zone (Los Angeles) on the day of some conversation's update
        pivot = sorted(everything.values())[60] + 37
        later = http.post("/conversations/search", json={"query": {"field": "updated_at", "operator": ">",
                                                                   "value": str(pivot)}, "pagination": {"per_page": 150}})
        got = {c["id"] for c in later.json()["conversations"]}
    if standin_strict:  # matched by calendar day: from the next local midnight on
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo

        local = datetime.fromtimestamp(pivot, ZoneInfo("America/Los_Angeles"))
        midnight = (local.replace(hour=0, minute=0, second=0) + timedelta(days=1)).timestamp()
        assert got == {c for c, at in everything.items() if at >= midnight}
    else:  # to the second, the value included ("greater (or equal) than")
        assert got == {c for c, at in everything.items() if at >= pivot}


def test_rate_limit_windows_and_headers(standin_strict):
    with IntercomStandin(tickets=5, seed=2, rpm=60, strict=standin_strict) as ic, \
            httpx.Client(base_url=ic.url, headers=HEADERS) as http:
        limit = 60 if standin_strict else 10  # per one-minute window (strict) or per ten-second window
        window = 60 if standin_strict else 10
        while int(time.time()) % window > window - 3:  # not at the very end of a window
            time.sleep(0.5)
        answers = [http.get("/me") for _ in range(limit + 1)]
        assert [a.status_code for a in answers] == [200] * limit + [429]
        first, refused = answers[0], answers[-1]
        assert first.headers["x-ratelimit-limit"] == str(limit) and first.headers["x-ratelimit-remaining"] == str(limit - 1)
        reset = int(refused.headers["x-ratelimit-reset"])
        assert reset % window == 0 and 0 < reset - time.time() <= window
        assert refused.json()["errors"][0]["code"] == "rate_limit_exceeded" and "retry-after" not in refused.headers


def test_cli_serves_until_stopped():
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.intercom", "--port", "0", "--tickets", "30", "--strict"],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        url = proc.stdout.readline().split(" on ")[1].split(" ")[0]
        answer = httpx.get(url + "/conversations/30", headers=HEADERS)
        assert answer.status_code == 200 and answer.json()["statistics"] is None  # the strict reading
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_embedded_default_starts_the_intercom_standin_on_the_next_port():
    from config.embedded import STANDINS

    offsets = [offset for _name, _module, offset, _variable, _args in STANDINS]
    assert len(offsets) == len(set(offsets))
    [intercom] = [s for s in STANDINS if s[1] == "sandbox.intercom"]
    assert intercom[2] == 6 and intercom[3] == "SANDBOX_INTERCOM_URL"
