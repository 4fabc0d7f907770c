"""Freshdesk API v2 stand-in: `python -m sandbox.freshdesk --port P`, or `with FreshdeskStandin() as fd: fd.url`."""

from __future__ import annotations

from typing import Any

from sandbox.freshdesk.app import FreshdeskApp
from sandbox.vendorhttp import ServedApp


class FreshdeskStandin:
    """A running Freshdesk stand-in on 127.0.0.1 (free port) serving the sample help desk.

    `url` is what goes in the connector's `url` field; `api_key` its key. Tests reach the app (`app`) to
    change the account: `set_revision(r)`, `expire_attachment_links()`, `spam_ids`, `calls` counters.
    """

    def __init__(self, **options: Any) -> None:
        self.app = FreshdeskApp(**options)
        self._served = ServedApp(self.app)
        self.url = self._served.url
        self.api_key = self.app.api_key

    @property
    def config(self) -> dict[str, str]:
        return {"url": self.url, "api_key": self.api_key}

    def __enter__(self) -> FreshdeskStandin:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()


__all__ = ["FreshdeskApp", "FreshdeskStandin"]
