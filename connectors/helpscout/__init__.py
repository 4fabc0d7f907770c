"""Help Scout (Mailbox API 2.0) source connector."""

from connectors.helpscout.connector import HelpScoutConnector

__all__ = ["HelpScoutConnector"]
