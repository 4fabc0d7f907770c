"""Email backends of our own."""

import sys

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class StderrConsoleBackend(DjangoConsoleBackend):
    """Prints emails to stderr, so commands whose stdout is JSON (`manage.py migration ...`) stay parseable."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
