"""Freshdesk (API v2) source connector."""

from connectors.freshdesk.connector import FreshdeskConnector

__all__ = ["FreshdeskConnector"]
