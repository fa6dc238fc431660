"""Errors raised by tools. Each docstring says what the caller (the model) should do."""

from __future__ import annotations

from tradepit.domain.errors import TradepitError


class ToolError(TradepitError):
    """A tool could not do what was asked. Tell the model the reason; it may try again
    with other arguments."""


class ToolArgumentError(ToolError):
    """The arguments are well-formed but make no sense here (bad timeframe, date in the
    future, strategy parameter out of range). Correct them and call again."""


class SymbolNotTradedError(ToolError):
    """The symbol exists but this run does not trade it. Use one of the run's symbols."""

    def __init__(self, symbol: str, allowed: tuple[str, ...]) -> None:
        self.symbol, self.allowed = symbol, allowed
        super().__init__(f"{symbol} is not traded in this run (symbols: {', '.join(allowed)})")


class ToolUnavailableError(ToolError):
    """The tool needs something this session lacks (e.g. a store). Do without it."""


class NothingToCloseError(ToolError):
    """No position (or it is already being closed by a pending order). Nothing to do."""


class SharesHeldError(ToolError):
    """The position's shares are held by its open exit orders (stop-loss, take-profit), as a
    broker holds them: cancel those orders first, or close the whole position."""
