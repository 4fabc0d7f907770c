"""Zendesk Support source connector (key "zendesk")."""

from connectors.zendesk.connector import ZendeskConnector

__all__ = ["ZendeskConnector"]
