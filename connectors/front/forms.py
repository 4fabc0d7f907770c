"""Multipart bodies in Front's bracket notation, and attachment spooling.

Front takes the same fields as the JSON body in `multipart/form-data` when files are attached, with
nested names (`sender[handle]`, `to[0]`, `metadata[is_inbound]`, `attachments[0]`). The client
encodes with `flatten_form`; the stand-in decodes with `unflatten_form` and validates the result
against the JSON schema of the same operation.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from connectors.front.errors import AttachmentTooLarge
from connectors.front.types import MAX_ATTACHMENT_BYTES, Upload

SPOOL_IN_MEMORY = 1024 * 1024  # bigger attachments go to a temporary file while being sent


def flatten_form(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """{"sender": {"handle": "a"}, "to": ["b"]} -> [("sender[handle]", "a"), ("to[0]", "b")]."""
    fields: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            fields.extend(flatten_form(item, f"{prefix}[{key}]" if prefix else str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            fields.extend(flatten_form(item, f"{prefix}[{index}]"))
    elif isinstance(value, bool):
        fields.append((prefix, "true" if value else "false"))
    elif value is not None:
        fields.append((prefix, str(value)))
    return fields


_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def unflatten_form(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The inverse of flatten_form; `[]` and `[n]` both build lists (ordered by n)."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = _KEY.match(name)
        if not match:
            raise ValueError(f"malformed form field name {name!r}")
        keys = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node: Any = root
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            nxt = None if last else keys[depth + 1]
            child_default: Any = [] if (nxt == "" or (nxt or "").isdigit()) else {}
            if isinstance(node, list):
                if key == "" or last:
                    if last:
                        node.append(value)
                        break
                    node.append(child_default)
                    node = node[-1]
                    continue
                index = int(key)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    if node[index] is None:
                        node[index] = child_default
                    node = node[index]
                continue
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, child_default)
    return root


def spool_uploads(uploads: list[Upload]) -> list[tuple[Upload, IO[bytes]]]:
    """Read each upload's chunks into a temporary file, refusing >25 MB before anything is sent.

    Spooling makes a streamed attachment re-sendable when a request is retried, without ever holding
    a large file in memory.
    """
    total = 0
    spooled: list[tuple[Upload, IO[bytes]]] = []
    try:
        for upload in uploads:
            if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
                raise too_large(upload, upload.size)
        for upload in uploads:
            # In memory while small: a BytesIO has no fileno(), so httpx sizes it by seek/tell, whereas
            # SpooledTemporaryFile.fileno() would roll every small attachment over to a disk file.
            spool: IO[bytes] = io.BytesIO()
            spooled.append((upload, spool))
            size = 0
            for chunk in upload.chunks:
                size += len(chunk)
                total += len(chunk)
                if size > MAX_ATTACHMENT_BYTES or total > MAX_ATTACHMENT_BYTES:
                    raise too_large(upload, size)
                if size > SPOOL_IN_MEMORY and isinstance(spool, io.BytesIO):
                    disk = tempfile.TemporaryFile()  # noqa: SIM115 - returned open
                    disk.write(spool.getvalue())
                    spool = disk
                    spooled[-1] = (upload, spool)
                spool.write(chunk)
            spool.seek(0)
    except BaseException:
        for _, spool in spooled:
            spool.close()
        raise
    return spooled


def too_large(upload: Upload, size: int) -> AttachmentTooLarge:
    megabytes = size / (1024 * 1024)
    return AttachmentTooLarge(
        f"The attachment {upload.filename!r} is {megabytes:.1f} MB; Front accepts at most 25 MB per message.",
        filename=upload.filename,
        size=size,
    )
