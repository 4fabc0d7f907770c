"""Building small export ZIPs by hand for the file-import tests (good ones and broken ones)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

AGENTS = "id,email,name\na1,alice@example.com,Alice\na2,bob@example.com,Bob\n"
CONTACTS = "id,name,emails,organization_id\nc1,Chloé,chloe@example.org,\nc2,Dmitri,dmitri@example.org;d@example.net,\n"
TICKETS = ("id,subject,status,created_at,updated_at,requester_id,assignee_id,tags\n"
           "t1,First,open,2024-03-01T09:00:00+01:00,2024-03-02T09:00:00+01:00,c1,a1,vip;billing\n"
           "t2,Second,solved,2024-03-01T10:00:00Z,2024-03-03T10:00:00Z,c2,,\n")
MESSAGES = ("id,ticket_id,created_at,author_type,author_id,body\n"
            "m1,t1,2024-03-01T09:00:00+01:00,customer,c1,<p>Hello</p>\n"
            "m2,t1,2024-03-01T09:30:00+01:00,agent,a1,<p>Hi</p>\n"
            "m3,t2,2024-03-01T10:00:00Z,customer,c2,<p>Help</p>\n")


def write_zip(path: Path, members: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            zf.writestr(info, data.encode() if isinstance(data, str) else data)
    return path


def good_members() -> dict[str, bytes | str]:
    return {"agents.csv": AGENTS, "contacts.csv": CONTACTS, "tickets.csv": TICKETS, "messages.csv": MESSAGES}


def declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in the central directory (a ZIP that *declares* `size`)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise KeyError(member)
