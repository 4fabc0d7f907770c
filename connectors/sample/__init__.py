"""The sample source: a synthetic help desk that needs no server (offline try-out, tests, benchmarks)."""

from connectors.sample.connector import SampleConnector
from connectors.sample.generator import SampleDataset

__all__ = ["SampleConnector", "SampleDataset"]
