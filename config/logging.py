"""A logging filter that blanks anything that looks like a credential, as a last line of defence.

Code must not log secrets in the first place; this catches the accidental `%r` of a config dict.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # key=value / "key": "value" pairs whose key names a secret
    re.compile(
        r"(?i)([\"']?(?:token|api_key|apikey|password|secret|authorization|app_secret|client_secret)[\"']?\s*[:=]\s*)"
        r"(?:Bearer\s+|Basic\s+)?[\"']?[^\s\"',}]+"
    ),
    re.compile(r"(?i)(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(Basic\s+)[A-Za-z0-9+/=]{8,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
