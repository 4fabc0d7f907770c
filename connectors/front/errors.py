"""Front-specific errors, on top of the connector errors every part of Frontport understands.

Every message is a sentence a user can read: no stack trace, no token, no raw JSON.
"""

from __future__ import annotations

from connectors.base import (
    BadCredentials,
    ConnectorError,
    InvalidConfig,
    MissingPermission,
    NotFound,
    RateLimited,
    Unreachable,
    VendorError,
)

__all__ = [
    "AttachmentTooLarge",
    "BadCredentials",
    "ConnectorError",
    "DuplicateExternalId",
    "InvalidConfig",
    "InvalidRequest",
    "MissingPermission",
    "NotFound",
    "RateLimited",
    "Unreachable",
    "VendorError",
]


class InvalidRequest(ConnectorError):
    """Front refused the request's content (400/422): a bug on our side or bad source data."""

    code = "invalid_request"


class DuplicateExternalId(InvalidRequest):
    """Front already imported a message with this external_id: the message is there, do not retry."""

    code = "duplicate_external_id"

    def __init__(self, message: str, external_id: str | None = None) -> None:
        super().__init__(message)
        self.external_id = external_id


class AttachmentTooLarge(ConnectorError):
    """An attachment exceeds Front's 25 MB limit; raised before a single byte is uploaded."""

    code = "attachment_too_large"

    def __init__(self, message: str, filename: str | None = None, size: int | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.size = size
