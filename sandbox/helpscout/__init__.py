"""Help Scout Mailbox API 2.0 stand-in: `python -m sandbox.helpscout --port P`, or `with HelpScoutStandin() as hs`."""

from __future__ import annotations

from typing import Any

from sandbox.helpscout.app import HelpScoutApp
from sandbox.helpscout.docs import DOCS_KEY
from sandbox.vendorhttp import ServedApp


class HelpScoutStandin:
    """A running Help Scout stand-in on 127.0.0.1 (free port) serving the sample help desk.

    `config` is a ready connector config (app id/secret, api_url). Tests reach the app (`app`) to change
    the account: `expire_tokens()`, `merge(a, b)`, `set_revision(r)`, `calls` counters.
    """

    def __init__(self, **options: Any) -> None:
        self.app = HelpScoutApp(**options)
        self._served = ServedApp(self.app)
        self.url = self._served.url

    @property
    def config(self) -> dict[str, str]:
        return {"app_id": self.app.app_id, "app_secret": self.app.app_secret, "api_url": self.url,
                "docs_api_key": DOCS_KEY, "docs_api_url": self.url}

    def __enter__(self) -> HelpScoutStandin:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()


__all__ = ["HelpScoutApp", "HelpScoutStandin"]
