"""tradepit: LLM agents that trade, offline by default."""

__version__ = "0.1.0"
