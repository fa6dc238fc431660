"""Memory errors. Each docstring says what the caller should do."""

from __future__ import annotations

from tradepit.domain.errors import TradepitError


class MemoryUnavailableError(TradepitError):
    """The vector memory cannot be reached (e.g. the chromadb server is down). Retry later,
    or run without memory; nothing was written."""
