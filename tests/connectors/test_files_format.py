"""The documented format and the code agree: every table and column of spec.py is in docs/import-format.md,
the template is a valid export, and an export written as CSV reads back like the JSON Lines one."""

from __future__ import annotations

import zipfile
from pathlib import Path

from connectors.files import FileExportConnector, ensure_checked
from connectors.files.spec import ENTITIES
from connectors.files.writer import template_zip, write_sample_export
from connectors.sample import SampleDataset

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"


def test_every_table_and_column_is_documented():
    text = DOC.read_text()
    for entity in ENTITIES:
        section = text.split(f"### `{entity.name}.csv` / `{entity.name}.jsonl`")[1].split("###")[0]
        for column in entity.columns:
            assert f"| `{column.name}` |" in section, (entity.name, column.name)


def test_template_uses_every_table_and_is_accepted(tmp_path):
    path = tmp_path / "template.zip"
    path.write_bytes(template_zip())
    names = zipfile.ZipFile(path).namelist()
    assert {f"frontport-import/{e.name}.csv" for e in ENTITIES} <= set(names)
    report = ensure_checked(path)
    assert report.verdict == "accepted", [str(m) for m in report.mistakes]
    ticket = next(t for p in FileExportConnector({"path": str(path)}).tickets() for t in p.tickets
                  if t.source_id == "1001")
    assert ticket.custom_fields == {"Order number": "ORD-12345", "Product": "Widget", "Organization": "Acme Corp"}
    assert [m.kind for m in ticket.messages] == ["reply", "private_note", "reply"]
    assert ticket.messages[0].attachments[0].filename == "screenshot.png"
    assert ticket.requester.emails == ["chloe@acme.example"] and [c.source_id for c in ticket.cc_contacts] == ["c2"]


def test_csv_and_jsonl_exports_read_back_the_same(tmp_path):
    dataset = SampleDataset(tickets=60, seed=4, revision=1)
    read = {}
    for fmt in ("csv", "jsonl"):
        path = write_sample_export(dataset, tmp_path / f"e.{fmt}.zip", fmt=fmt)
        read[fmt] = [t for p in FileExportConnector({"path": str(path), "page_size": 7}).tickets() for t in p.tickets]
    for a, b in zip(read["csv"], read["jsonl"], strict=True):
        assert (a.source_id, a.subject, a.status, a.created_at, a.updated_at, a.tags, a.deleted) == \
            (b.source_id, b.subject, b.status, b.created_at, b.updated_at, b.tags, b.deleted)
        assert [(m.source_id, m.kind, m.body, m.body_format, m.cc, [x.size for x in m.attachments]) for m in a.messages] \
            == [(m.source_id, m.kind, m.body, m.body_format, m.cc, [x.size for x in m.attachments]) for m in b.messages]
        # CSV cells are text: booleans become "true"/"false", empty cells None.
        assert {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in b.custom_fields.items()} == \
            a.custom_fields
