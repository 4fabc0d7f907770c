"""Opening an uploaded ZIP safely: nothing in it is trusted, executed or extracted to disk.

Before a single byte is decompressed, the central directory is checked: no path that leaves the archive
(absolute, drive letter, backslash, `..`), no symbolic link, no encryption, only stored/deflated members,
no duplicate names, each member's declared size under the per-file limit, the total under the total
limit, and no member expanding more than `max_ratio` times (a ZIP bomb). Members are then read as
streams; zipfile never yields more than a member's declared size and checks its CRC at the end.
"""

from __future__ import annotations

import posixpath
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from connectors.files.mistakes import Mistake
from connectors.files.spec import ENTITIES, FORMATS, Limits

JUNK_PREFIXES = ("__MACOSX/",)
JUNK_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
RATIO_FLOOR = 1024**2  # members smaller than this are never called bombs, whatever their ratio
_DRIVE = re.compile(r"^[A-Za-z]:")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def unsafe_path(name: str) -> bool:
    """A path that is absolute, carries a drive letter or backslash, or climbs out with `..`."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return True
    return any(part == ".." for part in name.split("/"))


def _is_junk(name: str) -> bool:
    return name.startswith(JUNK_PREFIXES) or posixpath.basename(name.rstrip("/")) in JUNK_NAMES


@dataclass(frozen=True)
class DataFile:
    entity: str
    member: str  # name inside the ZIP
    fmt: str  # "csv" | "jsonl"


class Archive:
    """A checked ZIP. `problems` lists why it is refused (empty when it may be read)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = Path(path)
        self.limits = limits
        self.problems: list[Mistake] = []
        self.zip: zipfile.ZipFile | None = None
        self.files: dict[str, zipfile.ZipInfo] = {}  # regular members by name
        self.root = ""  # the folder holding tickets.* ("" or "name/")
        self.data: dict[str, DataFile] = {}
        self._open()

    # ---- checks -----------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self.zip = zipfile.ZipFile(self.path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            self.problems.append(Mistake("not_zip", params={"detail": str(exc) or type(exc).__name__}))
            return
        limits = self.limits
        if len(infos) > limits.max_members:
            self.problems.append(Mistake("too_many_files", params={"count": len(infos), "limit": limits.max_members}))
            return
        total = 0
        for info in infos:
            name = info.filename
            shown = name if len(name) <= 200 else name[:200] + "…"
            mode = (info.external_attr >> 16) & 0o177777
            if unsafe_path(name):
                self.problems.append(Mistake("unsafe_path", params={"path": shown}))
                continue
            if stat.S_ISLNK(mode):
                self.problems.append(Mistake("symlink", params={"path": shown}))
                continue
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                self.problems.append(Mistake("encrypted", params={"path": shown}))
                continue
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.problems.append(Mistake("compression", params={"path": shown}))
                continue
            if name in self.files:
                self.problems.append(Mistake("duplicate_member", params={"path": shown}))
                continue
            if info.file_size > limits.max_member_bytes:
                self.problems.append(Mistake("member_too_large", params={
                    "path": shown, "size": human_size(info.file_size), "limit": human_size(limits.max_member_bytes)}))
                continue
            if info.file_size > RATIO_FLOOR and info.file_size > max(info.compress_size, 1) * limits.max_ratio:
                ratio = info.file_size // max(info.compress_size, 1)
                self.problems.append(Mistake("zip_bomb", params={
                    "path": shown, "ratio": ratio, "size": human_size(info.file_size), "limit": limits.max_ratio}))
                continue
            total += info.file_size
            if not _is_junk(name):
                self.files[name] = info
        if total > limits.max_total_bytes:
            self.problems.append(Mistake("total_too_large", params={
                "size": human_size(total), "limit": human_size(limits.max_total_bytes)}))
        if not self.problems:
            self._find_data_files()

    def _find_data_files(self) -> None:
        names = list(self.files)
        tickets = [n for n in names if posixpath.splitext(posixpath.basename(n))[0].lower() == "tickets"
                   and posixpath.splitext(n)[1].lower() in FORMATS]
        if not tickets:
            self.problems.append(Mistake("missing_file"))
            return
        # The export's root: the shallowest folder holding a tickets file.
        self.root = min((posixpath.dirname(n) for n in tickets), key=lambda d: (d.count("/"), d))
        self.root = f"{self.root}/" if self.root else ""
        for entity in ENTITIES:
            found = [n for n in names if n.startswith(self.root) and "/" not in n[len(self.root):]
                     and posixpath.splitext(n[len(self.root):])[0].lower() == entity.name
                     and posixpath.splitext(n)[1].lower() in FORMATS]
            if len(found) > 1:
                self.problems.append(Mistake("two_formats", params={"first": found[0], "second": found[1]}))
                continue
            if found:
                fmt = FORMATS[posixpath.splitext(found[0])[1].lower()]
                self.data[entity.name] = DataFile(entity.name, found[0], fmt)

    # ---- reading ------------------------------------------------------------------------------
    def open_member(self, name: str) -> IO[bytes]:
        assert self.zip is not None
        return self.zip.open(self.files[name])

    def attachment_member(self, relative: str) -> str | None:
        """The member an attachment path names (relative to the export's root), or None when absent.

        Raises ValueError for a path that leaves the archive."""
        relative = relative.strip()
        if unsafe_path(relative):
            raise ValueError(relative)
        name = posixpath.normpath(self.root + relative.removeprefix("./"))
        if unsafe_path(name) or name.startswith("../"):
            raise ValueError(relative)
        return name if name in self.files else None

    def stream(self, name: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        with self.open_member(name) as member:
            while chunk := member.read(chunk_size):
                yield chunk

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
            self.zip = None
