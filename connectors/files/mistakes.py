"""Mistakes found in an export, each named by file, line and column, and the validation report.

Messages are templates with named parameters so the wizard can show them translated: `gettext_noop`
below only marks them for `makemessages` (connectors/locale); `str(mistake)` is the English text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal


def gettext_noop(text: str) -> str:  # marks a template for makemessages; translated where it is shown
    return text


Effect = Literal["refused", "line", "ignored"]

# code -> (effect, template). "refused": the whole file is refused; "line": that line (and what hangs on
# it) is left out; "ignored": the column or value is not used, the line is kept.
TEMPLATES: dict[str, tuple[Effect, str]] = {
    "not_zip": ("refused", gettext_noop("The file is not a ZIP archive (%(detail)s).")),
    "unsafe_path": ("refused", gettext_noop("The ZIP holds a file whose path leaves the archive or is absolute: "
                                            "%(path)s.")),
    "symlink": ("refused", gettext_noop("The ZIP holds a symbolic link (%(path)s): only plain files are accepted.")),
    "encrypted": ("refused", gettext_noop("The ZIP holds an encrypted file (%(path)s): export without a password.")),
    "compression": ("refused", gettext_noop("%(path)s uses a compression method other than deflate or none.")),
    "member_too_large": ("refused", gettext_noop("%(path)s declares %(size)s uncompressed; one file may hold at "
                                                 "most %(limit)s.")),
    "zip_bomb": ("refused", gettext_noop("%(path)s would expand %(ratio)s times (%(size)s): the limit is "
                                         "%(limit)s times. This looks like a ZIP bomb.")),
    "total_too_large": ("refused", gettext_noop("The files in the ZIP add up to %(size)s uncompressed; the limit is "
                                                "%(limit)s.")),
    "too_many_files": ("refused", gettext_noop("The ZIP holds %(count)s files; the limit is %(limit)s.")),
    "duplicate_member": ("refused", gettext_noop("The ZIP holds %(path)s twice.")),
    "corrupt": ("refused", gettext_noop("The ZIP is damaged: %(detail)s.")),
    "check_failed": ("refused", gettext_noop("The check could not finish (%(detail)s): upload the file again.")),
    "missing_file": ("refused", gettext_noop("The export has no tickets file: add tickets.csv or tickets.jsonl "
                                             "(see the template).")),
    "two_formats": ("refused", gettext_noop("Both %(first)s and %(second)s are present: keep one of them.")),
    "missing_column": ("refused", gettext_noop("The required column “%(column)s” is missing.")),
    "duplicate_column": ("refused", gettext_noop("The column “%(column)s” appears twice in the header.")),
    "empty_header": ("refused", gettext_noop("The first line must name the columns.")),
    "utf16": ("refused", gettext_noop("The file is UTF-16: save it as UTF-8 (in Excel: “CSV UTF-8”).")),
    "too_many_mistakes": ("refused", gettext_noop("Stopped after %(limit)s mistakes: fix these and upload again.")),
    "no_tickets": ("refused", gettext_noop("No ticket could be read from the export.")),
    "unknown_column": ("ignored", gettext_noop("Unknown column “%(column)s”: it is ignored (check its spelling).")),
    "encoding": ("line", gettext_noop("Bytes that are not UTF-8 (%(bytes)s): save the file as UTF-8.")),
    "long_line": ("line", gettext_noop("The line is longer than %(limit)s.")),
    "bad_csv": ("line", gettext_noop("The line cannot be read as CSV: %(detail)s.")),
    "extra_values": ("line", gettext_noop("The line has %(count)s values but the header names %(expected)s.")),
    "bad_json": ("line", gettext_noop("The line is not valid JSON: %(detail)s.")),
    "not_object": ("line", gettext_noop("Each line must be one JSON object ({…}).")),
    "empty_required": ("line", gettext_noop("“%(column)s” is required and empty.")),
    "bad_id": ("line", gettext_noop("“%(value)s” is not a usable id: letters, digits and - _ . : @, at most 64.")),
    "bad_date": ("line", gettext_noop("“%(value)s” is not an ISO 8601 date with a UTC offset, such as "
                                      "2024-03-01T14:05:00+01:00.")),
    "date_order": ("line", gettext_noop("updated_at (%(updated)s) is before created_at (%(created)s).")),
    "bad_bool": ("line", gettext_noop("“%(value)s” is not true or false.")),
    "bad_choice": ("line", gettext_noop("“%(value)s” is not one of: %(choices)s.")),
    "bad_email": ("line", gettext_noop("“%(value)s” is not an email address.")),
    "bad_url": ("line", gettext_noop("“%(value)s” is not an http(s) address.")),
    "bad_type": ("line", gettext_noop("Expected %(expected)s, found %(found)s.")),
    "duplicate_id": ("line", gettext_noop("The id “%(value)s” was already used on line %(first)s.")),
    "unknown_ref": ("line", gettext_noop("“%(value)s” is not an id in %(entity)s.")),
    "two_owners": ("line", gettext_noop("Give message_id or note_id, not both.")),
    "no_owner": ("line", gettext_noop("Give message_id or note_id.")),
    "path_outside": ("line", gettext_noop("“%(value)s” points outside the export (absolute path or “..”).")),
    "missing_attachment": ("line", gettext_noop("There is no file “%(value)s” in the ZIP.")),
}


@dataclass(frozen=True)
class Mistake:
    code: str
    file: str = ""  # the member's name inside the ZIP ("" = the ZIP itself)
    line: int | None = None
    column: str | None = None  # a column name (CSV/JSON field) or a character position
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def effect(self) -> Effect:
        return TEMPLATES[self.code][0]

    @property
    def template(self) -> str:
        return TEMPLATES[self.code][1]

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def text(self) -> str:
        return self.template % self.params

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.text()}" if where else self.text()


@dataclass
class Report:
    """What the validator found. `verdict`: accepted (no mistake), partial (lines left out) or refused."""

    verdict: Literal["accepted", "partial", "refused"]
    mistakes: list[Mistake]  # the first ones, at most max_mistakes + the reason of a refusal
    mistake_count: int  # every mistake found (reading stops after max_mistakes)
    counts: dict[str, int]  # accepted lines per entity ("tickets", "messages"...)
    left_out: dict[str, int]  # lines left out per entity (their own mistake or one they depend on)
    stopped_early: bool = False  # reading stopped at max_mistakes
    fingerprint: str = ""  # sha256 of the ZIP, the first 16 hex digits
    stamp: list[int] = field(default_factory=list)  # the ZIP's size and mtime_ns when it was checked
    version: int = 0

    @property
    def refused(self) -> bool:
        return self.verdict == "refused"

    def summary(self, limit: int = 5) -> str:
        """A few sentences for an error message (the wizard shows the whole list)."""
        head = {"refused": "The export was refused", "partial": "The export was accepted with mistakes",
                "accepted": "The export was accepted"}[self.verdict]
        lines = [f"{head} ({self.mistake_count} mistake{'s' if self.mistake_count != 1 else ''})."]
        lines += [f"- {m}" for m in self.mistakes[:limit]]
        if len(self.mistakes) > limit:
            lines.append(f"- … and {self.mistake_count - limit} more.")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        data["mistakes"] = [Mistake(**m) for m in data["mistakes"]]
        return cls(**data)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Report | None:
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError):
            return None
