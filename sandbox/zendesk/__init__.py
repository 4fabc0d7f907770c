"""Zendesk Support stand-in: `python -m sandbox.zendesk --port P [--tickets N] [--seed S] [--rpm N]`."""

from sandbox.zendesk.standin import ZendeskStandin

__all__ = ["ZendeskStandin"]
