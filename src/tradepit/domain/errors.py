"""Error taxonomy. Each docstring says what the caller should do.

Adapters translate vendor errors into these at their boundary (``raise X from e``), so the
rest of the code never sees an Alpaca, SQLAlchemy or HTTP exception.
"""

from __future__ import annotations


class TradepitError(Exception):
    """Base of every tradepit error. Catch a subclass, not this, unless you re-raise."""


class ConfigError(TradepitError):
    """Configuration is missing or contradictory. Fix the settings; retrying will not help."""


class InvalidSettingsError(ConfigError):
    """A variable (environment or `.env`) has a value tradepit cannot use, or `.env` cannot
    be read. The message names the variable and file; fix it there (CLI exit code 2)."""


class LiveNotConfirmedError(ConfigError):
    """Live trading is switched on (TRADEPIT_ALPACA_LIVE) but the caller did not confirm
    it. Nothing was sent. The front end says how its user confirms (e.g. --confirm-live)."""


class DataError(TradepitError):
    """Market data problem. See the subclass; never substitute other data silently."""


class UnknownSymbolError(DataError):
    """The symbol is not known to this data source or broker. Tell the user which symbols
    exist; do not guess another symbol."""

    def __init__(self, symbol: str, known: list[str] | None = None) -> None:
        self.symbol = symbol
        self.known = known or []
        shown, more = self.known[:30], len(self.known) - 30
        listed = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        hint = f" (known: {listed})" if self.known else ""
        super().__init__(f"unknown symbol {symbol!r}{hint}")


class MalformedDataError(DataError):
    """The input data (CSV, parquet, API payload) cannot be read as OHLCV. Show the reason
    to the user and stop; the data must be fixed at its source."""


class NoDataError(DataError):
    """The source has no bars in the requested range. Widen the range or pick another
    symbol; do not fill the gap."""


class DataUnavailableError(DataError):
    """A data source is temporarily unreachable. Retry later or stop trading on it; in live
    mode alert the operator. Never fall back to synthetic data."""


class LookAheadError(DataError):
    """Code asked for data stamped after the clock. This is a bug in the caller: fix it."""


class BrokerError(TradepitError):
    """Broker problem. See the subclass to decide between retry, resolve and report."""


class OrderRejectedError(BrokerError):
    """The broker refused the order for a business reason (``code``). Do not retry the same
    order; report the reason to whoever asked."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


class InsufficientBuyingPowerError(OrderRejectedError):
    """Not enough buying power. Reduce the size or free cash; do not retry as is."""

    def __init__(self, message: str) -> None:
        super().__init__("insufficient_buying_power", message)


class DuplicateClientOrderIdError(OrderRejectedError):
    """An order with this client_order_id exists. Look that order up instead of resending:
    it is probably the one you already placed."""

    def __init__(self, client_order_id: str) -> None:
        self.client_order_id = client_order_id
        super().__init__("duplicate_client_order_id", f"client_order_id {client_order_id!r} exists")


class OrderNotFoundError(BrokerError):
    """No order with that id. Refresh the order list; it may never have been placed."""


class OrderNotCancelableError(BrokerError):
    """The order is already filled, cancelled or rejected. Refresh its state; nothing to do."""


class BrokerUnavailableError(BrokerError):
    """Transient failure (network, 5xx, circuit open). Retry with backoff; if an order submit
    timed out, look it up by client_order_id before any retry."""


class RateLimitedError(BrokerUnavailableError):
    """Too many requests. Wait ``retry_after`` seconds (when known), then retry."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RiskRejectedError(TradepitError):
    """The risk gate denied the order. Do not send it; show the verdict's reasons."""

    def __init__(self, verdict: object) -> None:
        self.verdict = verdict
        codes = getattr(verdict, "codes", ())
        super().__init__(f"risk gate denied the order: {', '.join(codes) or 'no reason'}")


class StoreError(TradepitError):
    """Persistence failed; the transaction was rolled back. Retry once, then stop and alert:
    trading on without a record is not allowed."""


class AccountInUseError(TradepitError):
    """Another tradepit process has this paper account open (a run, a chat, the Slack bot,
    an ask). Nothing was saved: wait for it to finish, or use another account."""

    def __init__(self, account_id: str, waited_s: float) -> None:
        self.account_id = account_id
        self.waited_s = waited_s
        super().__init__(
            f"paper account {account_id!r} is in use by another tradepit process "
            f"(waited {waited_s:g}s; TRADEPIT_ACCOUNT_LOCK_TIMEOUT_S sets the wait)"
        )


class StrategyError(TradepitError):
    """Unknown strategy or invalid parameters. Show the valid names and ranges to the user."""
