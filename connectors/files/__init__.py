"""File-import source (key "files"): a ZIP of CSV / JSON Lines files in the documented format
(docs/import-format.md), validated line by line before any run, streamed from an on-disk index."""

from connectors.files.connector import FileExportConnector, current_report, ensure_checked, sidecars
from connectors.files.mistakes import Mistake, Report
from connectors.files.spec import Limits
from connectors.files.validate import validate_export

__all__ = ["FileExportConnector", "Limits", "Mistake", "Report", "current_report", "ensure_checked", "sidecars",
           "validate_export"]
