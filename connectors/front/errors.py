"""Front-specific errors, on top of the connector errors every part of Frontport understands.

Every message is a sentence a user can read: no stack trace, no token, no raw JSON.
"""

from __future__ import annotations

import httpx

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

    def __init__(self, message: str, external_id: str | None = None, after_retry: bool = False) -> None:
        super().__init__(message)
        self.external_id = external_id
        # True when our own earlier attempt (whose answer was lost) imported it: not a user-visible error.
        self.after_retry = after_retry


class AttachmentTooLarge(ConnectorError):
    """An attachment exceeds Front's 25 MB limit; raised before a single byte is uploaded."""

    code = "attachment_too_large"

    def __init__(self, message: str, filename: str | None = None, size: int | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.size = size


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("_error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("title") or "")[:300]
    return ""


def raise_for_front(response: httpx.Response, *, what: str, scope: str | None = None,
                    conflict: type[InvalidRequest] | None = None) -> None:
    """Turn a final non-2xx answer into a typed error a user can read.

    `scope` is the permission the call needs (Front's x-required-scopes): a 403 names it whether or not
    Front's answer does. `conflict` is what a 409 means on this route (imports: the external_id was
    imported already), whatever words Front's answer uses.
    """
    status = response.status_code
    if status < 400:
        return
    detail = _error_message(response)
    suffix = f" ({detail})" if detail else ""
    if status == 401:
        raise BadCredentials(
            "Front rejected the API token: check that it was copied whole and has not been revoked."
        )
    if status == 403:
        if scope:
            raise MissingPermission(
                f"The Front API token is not allowed to {what}: it lacks the permission {scope}. "
                "Paste a token that has it on the connect step, then resume the run.")
        raise MissingPermission(f"The Front API token is not allowed to {what}{suffix}.")
    if status == 404:
        raise NotFound(f"Front could not find what was asked while trying to {what}{suffix}.")
    if status == 409 and (conflict is DuplicateExternalId or "external" in detail.lower()):
        raise DuplicateExternalId(f"Front already has this message{suffix}.")
    if status == 413:
        raise AttachmentTooLarge(f"Front refused an attachment as too large{suffix}.")
    if status in (400, 409, 422):
        raise InvalidRequest(f"Front refused the request to {what}{suffix}.")
    raise VendorError(f"Front answered with error {status} while trying to {what}{suffix}.")
