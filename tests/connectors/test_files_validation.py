"""The file import refuses or partially accepts a broken export, naming every mistake by file, line and
column (issue 19, acceptance 2); nothing can be read from a refused file."""

from __future__ import annotations

import zipfile

import pytest

from connectors.base import InvalidConfig
from connectors.files import FileExportConnector, Limits, ensure_checked, sidecars, validate_export
from tests.connectors.files_support import TICKETS, declare_size, good_members, write_zip

AGENTS = ("id,email,name,active\n"
          "a1,alice@example.com,Alice,true\n"
          "a2,not-an-email,Bob,true\n"
          "a1,again@example.com,Dup,true\n"
          "a3,carol@example.com,Carol,maybe\n")
CONTACTS = ('{"id": "c1", "name": "Chloé", "emails": ["chloe@example.org"]}\n'
            '{"id": "c2", "emails": "dmitri@example.org", "nickname": "D"}\n'
            '{"id": "c3", "emails": ["x@example.org"],\n'
            '{"id": "bad id!", "name": "X"}\n')
T = "2024-03-01T09:00:00Z,2024-03-02T09:00:00Z"
TICKETS_BAD = (
    "id,subject,status,created_at,updated_at,requester_id,assignee_id,cf:Product,colour\n"
    "t1,Ok,open,2024-03-01T09:00:00+01:00,2024-03-02T09:00:00+01:00,c1,a1,Widget,red\n"
    "t2,No offset,open,2024-03-01T09:00:00,2024-03-02T09:00:00+01:00,c1,,,\n"
    "t3,Bad date,open,yesterday,2024-03-02T09:00:00+01:00,c1,,,\n"
    f"t4,Unknown agent,open,{T},c1,a9,,\n"
    f"t5,Empty status,,{T},c1,,,\n"
    f"t1,Duplicate,open,{T},c1,,,\n"
).encode() + f"t6,Encoding \xff\xfe here,open,{T},c1,,,\n".encode("latin-1") + (
    "t7,Backwards,open,2024-03-05T09:00:00Z,2024-03-02T09:00:00Z,c1,,,\n"
    f"t8,Unknown contact,open,{T},c99,,,\n"
    f"t9,Left-out agent,open,{T},c1,a2,,\n"
    f"t10,Extra,open,{T},c1,,,,extra,more\n"
    "t11,Fine,pending,2024-03-01T09:00:00Z,2024-03-04T09:00:00Z,c2,a1,Gadget,\n"
).encode()
MESSAGES = ("id,ticket_id,created_at,author_type,author_id,body,body_format,cc\n"
            "m1,t1,2024-03-01T09:00:00+01:00,customer,c1,<p>Hi</p>,html,\n"
            "m2,t404,2024-03-01T09:00:00Z,customer,c1,x,html,\n"
            "m3,t1,2024-03-01T09:30:00+01:00,robot,,x,html,\n"
            "m4,t2,2024-03-01T09:00:00Z,customer,c1,x,html,\n"
            'm5,t11,2024-03-01T10:00:00Z,agent,a1,"two\nlines",text,\n'
            "m6,t11,2024-03-01T11:00:00Z,customer,c2,x,html,not-an-email\n")
NOTES = "id,ticket_id,created_at,author_id,body\nn1,t11,2024-03-01T10:30:00Z,a7,note\n"
ATTACHMENTS = ("id,message_id,path\n"
               "f1,m1,files/ok.txt\n"
               "f2,m1,../../etc/passwd\n"
               "f3,m1,/etc/passwd\n"
               "f4,m1,files/missing.txt\n"
               "f5,,files/ok.txt\n")

EXPECTED = [  # (file, line, column, code) in the order they are found
    ("agents.csv", 3, "email", "bad_email"),
    ("agents.csv", 4, "id", "duplicate_id"),
    ("agents.csv", 5, "active", "bad_bool"),
    ("contacts.jsonl", 2, "nickname", "unknown_column"),
    ("contacts.jsonl", 3, "42", "bad_json"),
    ("contacts.jsonl", 4, "id", "bad_id"),
    ("tickets.csv", 1, "colour", "unknown_column"),
    ("tickets.csv", 3, "created_at", "bad_date"),
    ("tickets.csv", 4, "created_at", "bad_date"),
    ("tickets.csv", 5, "assignee_id", "unknown_ref"),
    ("tickets.csv", 6, "status", "empty_required"),
    ("tickets.csv", 7, "id", "duplicate_id"),
    ("tickets.csv", 8, "13", "encoding"),
    ("tickets.csv", 9, "updated_at", "date_order"),
    ("tickets.csv", 10, "requester_id", "unknown_ref"),
    ("tickets.csv", 12, None, "extra_values"),
    ("messages.csv", 3, "ticket_id", "unknown_ref"),
    ("messages.csv", 4, "author_type", "bad_choice"),
    ("messages.csv", 8, "cc", "bad_email"),
    ("notes.csv", 2, "author_id", "unknown_ref"),
    ("attachments.csv", 3, "path", "path_outside"),
    ("attachments.csv", 4, "path", "path_outside"),
    ("attachments.csv", 5, "path", "missing_attachment"),
    ("attachments.csv", 6, "message_id", "no_owner"),
]


@pytest.fixture
def broken(tmp_path):
    return write_zip(tmp_path / "broken.zip", {
        "agents.csv": AGENTS, "contacts.jsonl": CONTACTS, "tickets.csv": TICKETS_BAD, "messages.csv": MESSAGES,
        "notes.csv": NOTES, "attachments.csv": ATTACHMENTS, "files/ok.txt": "hello",
    })


def test_every_mistake_is_named_and_the_rest_is_accepted(broken):
    report = ensure_checked(broken)
    assert report.verdict == "partial"
    found = [(m.file, m.line, m.column, m.code) for m in report.mistakes]
    assert found == EXPECTED
    assert len({code for *_x, code in found}) >= 15  # kinds of mistakes
    assert report.mistake_count == len(EXPECTED) and not report.stopped_early
    text = [str(m) for m in report.mistakes]
    assert text[0] == "agents.csv, line 3, column email: “not-an-email” is not an email address."
    assert "tickets.csv, line 8, column 13: Bytes that are not UTF-8 (ff)" in text[12]
    assert "“t404” is not an id in tickets." in text[16]
    assert "“../../etc/passwd” points outside the export" in text[20]
    # Accepted: what has no mistake; left out: each faulty line plus what depends on one (t9 -> a2, m4 -> t2).
    assert report.counts["tickets"] == 2 and report.counts["agents"] == 1 and report.counts["contacts"] == 2
    assert report.counts["messages"] == 2 and report.counts["attachments"] == 1 and report.counts["notes"] == 0
    assert report.left_out == {"agents": 3, "contacts": 2, "tickets": 10, "messages": 4, "notes": 1, "attachments": 4}

    connector = FileExportConnector({"path": str(broken)})
    tickets = [t for page in connector.tickets() for t in page.tickets]
    assert [t.source_id for t in tickets] == ["t1", "t11"]
    t1, t11 = tickets
    assert t1.custom_fields == {"Product": "Widget"}
    assert [m.source_id for m in t1.messages] == ["m1"]
    assert [a.filename for a in t1.messages[0].attachments] == ["ok.txt"]
    assert b"".join(connector.download(t1.messages[0].attachments[0])) == b"hello"
    # What a known ticket lost is reported on the ticket (the run report lists it as skipped).
    lost = {(s.kind, s.source_id): s.reason for s in t1.skipped}
    assert set(lost) == {("message", "m3"), ("attachment", "f2"), ("attachment", "f3"), ("attachment", "f4")}
    assert "messages.csv, line 4, column author_type" in lost[("message", "m3")]
    assert [m.body for m in t11.messages] == ["two\nlines"] and t11.messages[0].body_format == "text"
    assert {s.source_id for s in t11.skipped} == {"m6", "n1"}
    assert connector.check().account_name == "broken.zip: 2 tickets, 24 lines left out"
    connector.close()


def test_reading_stops_after_too_many_mistakes_and_refuses(broken):
    index, report_path, _lock = sidecars(broken)
    report = validate_export(broken, index_path=index, report_path=report_path, limits=Limits(max_mistakes=5))
    assert report.verdict == "refused" and report.stopped_early
    assert [m.code for m in report.mistakes][-1] == "too_many_mistakes" and len(report.mistakes) == 6
    assert str(report.mistakes[-1]) == "Stopped after 5 mistakes: fix these and upload again."
    assert not index.exists()


def _refusal_cases(tmp_path):
    good = good_members()
    cases = {}
    cases["not_zip"] = tmp_path / "not.zip"
    cases["not_zip"].write_bytes(b"id,subject\n1,hello\n")
    cases["unsafe_path"] = write_zip(tmp_path / "dotdot.zip", {**good, "../evil.csv": "x"})
    cases["unsafe_path/abs"] = write_zip(tmp_path / "abs.zip", {**good, "/etc/cron.d/evil": "x"})
    cases["unsafe_path/backslash"] = write_zip(tmp_path / "bs.zip", {**good, "..\\evil.csv": "x"})
    link = tmp_path / "link.zip"
    write_zip(link, good)
    with zipfile.ZipFile(link, "a") as zf:
        info = zipfile.ZipInfo("attachments/passwd", date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd
        zf.writestr(info, "/etc/passwd")
    cases["symlink"] = link
    big = write_zip(tmp_path / "big.zip", {**good, "attachments/video.mp4": b"0" * 1000})
    declare_size(big, "attachments/video.mp4", 2 * 1024**3)  # declares 2 GB
    cases["member_too_large"] = big
    cases["zip_bomb"] = write_zip(tmp_path / "bomb.zip", {**good, "attachments/zeros.bin": bytes(20 * 1024**2)})
    cases["missing_file"] = write_zip(tmp_path / "none.zip", {"agents.csv": good["agents.csv"]})
    cases["missing_column"] = write_zip(tmp_path / "col.zip", {**good, "tickets.csv": TICKETS.replace(
        "status,", "state,", 1)})
    cases["utf16"] = write_zip(tmp_path / "utf16.zip", {**good, "tickets.csv": TICKETS.encode("utf-16")})
    cases["two_formats"] = write_zip(tmp_path / "two.zip", {**good, "tickets.jsonl": "{}\n"})
    enc = write_zip(tmp_path / "enc.zip", good)
    data = bytearray(enc.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 8] |= 1  # the central directory's "encrypted" flag of the first member
    enc.write_bytes(bytes(data))
    cases["encrypted"] = enc
    crc = write_zip(tmp_path / "crc.zip", good, compression=zipfile.ZIP_STORED)
    data = bytearray(crc.read_bytes())
    at = data.find(b"t2,Second")
    data[at:at + 2] = b"t9"  # the bytes change, the recorded CRC does not
    crc.write_bytes(bytes(data))
    cases["corrupt"] = crc
    return cases


REFUSALS = ["not_zip", "unsafe_path", "unsafe_path/abs", "unsafe_path/backslash", "symlink", "member_too_large",
            "zip_bomb", "missing_file", "missing_column", "utf16", "two_formats", "encrypted", "corrupt"]


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_export_cannot_be_read(tmp_path, case):
    path = _refusal_cases(tmp_path)[case]
    report = ensure_checked(path)
    assert report.verdict == "refused"
    assert case.split("/")[0] in [m.code for m in report.mistakes], [str(m) for m in report.mistakes]
    assert not sidecars(path)[0].exists()  # no index: nothing to migrate from
    connector = FileExportConnector({"path": str(path)})
    with pytest.raises(InvalidConfig, match="refused"):
        connector.check()
    with pytest.raises(InvalidConfig, match="refused"):
        list(connector.tickets())
    with pytest.raises(InvalidConfig):
        connector.counts()


def test_total_size_limit(tmp_path):
    path = write_zip(tmp_path / "e.zip", {**good_members(), "attachments/a.bin": bytes(3000)})
    index, report_path, _ = sidecars(path)
    report = validate_export(path, index_path=index, report_path=report_path, limits=Limits(max_total_bytes=2000))
    assert [m.code for m in report.mistakes] == ["total_too_large"]
    assert str(report.mistakes[0]).startswith("The files in the ZIP add up to")


def test_reports_are_reused_until_the_file_changes(tmp_path):
    path = write_zip(tmp_path / "e.zip", good_members())
    first = ensure_checked(path)
    assert first.verdict == "accepted" and first.counts["tickets"] == 2
    assert ensure_checked(path).fingerprint == first.fingerprint
    write_zip(path, {**good_members(), "tickets.csv": TICKETS + "t3,Third,open,2024-03-04T10:00:00Z,"
                                                               "2024-03-04T10:00:00Z,c1,,\n"})
    again = ensure_checked(path)
    assert again.counts["tickets"] == 3 and again.fingerprint != first.fingerprint
