"""Brokers: the paper broker (simulated fills, costs, brackets) and its in-memory store."""

from tradepit.broker.memory_store import InMemoryLedgerStore
from tradepit.broker.paper import PaperBroker
from tradepit.broker.paper_config import PaperConfig

__all__ = ["InMemoryLedgerStore", "PaperBroker", "PaperConfig"]
