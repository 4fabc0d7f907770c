"""Front Core API client (the target of every migration). See docs/front.md."""

from connectors.front.client import FrontClient
from connectors.front.errors import (
    AttachmentTooLarge,
    BadCredentials,
    ConnectorError,
    DuplicateExternalId,
    InvalidConfig,
    InvalidRequest,
    MissingPermission,
    NotFound,
    RateLimited,
    Unreachable,
    VendorError,
)
from connectors.front.types import MAX_ATTACHMENT_BYTES, ImportedMessage, Preflight, Upload

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "AttachmentTooLarge",
    "BadCredentials",
    "ConnectorError",
    "DuplicateExternalId",
    "FrontClient",
    "ImportedMessage",
    "InvalidConfig",
    "InvalidRequest",
    "MissingPermission",
    "NotFound",
    "Preflight",
    "RateLimited",
    "Unreachable",
    "Upload",
    "VendorError",
]
