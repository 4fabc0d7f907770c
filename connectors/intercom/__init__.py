"""Intercom (REST API 2.16) source connector."""

from connectors.intercom.connector import IntercomConnector

__all__ = ["IntercomConnector"]
