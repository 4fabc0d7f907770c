"""Intercom REST API 2.16 stand-in: `python -m sandbox.intercom --port P`, or `with IntercomStandin() as ic`."""

from __future__ import annotations

from typing import Any

from sandbox.intercom.app import IntercomApp
from sandbox.vendorhttp import ServedApp


class IntercomStandin:
    """A running Intercom stand-in on 127.0.0.1 (free port) serving the sample help desk.

    `config` is a ready connector config (access token, api_url). Tests reach the app (`app`) to change the
    workspace: `set_revision(r)`, `merge(a, b)`, `refuse_next(n, retry_after)`, `set_rate_limit(rpm)`,
    `add_token(token, scopes)`, `foreign_tokens`, `merged_contacts`; and read `calls`, `served`, `violations`.
    """

    def __init__(self, **options: Any) -> None:
        self.app = IntercomApp(**options)
        self._served = ServedApp(self.app)
        self.url = self._served.url

    @property
    def token(self) -> str:
        return next(iter(self.app.tokens))

    @property
    def config(self) -> dict[str, str]:
        return {"access_token": self.token, "region": "us", "api_url": self.url}

    def __enter__(self) -> IntercomStandin:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()


__all__ = ["IntercomApp", "IntercomStandin"]
