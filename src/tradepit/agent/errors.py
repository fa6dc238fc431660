"""Agent errors. Each docstring says what the caller should do."""

from __future__ import annotations

from tradepit.domain.errors import TradepitError


class ModelError(TradepitError):
    """The model backend failed. Record an abort for the cycle; never turn it into a HOLD."""


class ModelUnavailableError(ModelError):
    """Timeout, 5xx or rate limit that persisted through the retries. Abort the cycle and
    record it; the next cycle may try again."""


class ModelOutputError(ModelError):
    """The model's reply could not be understood (malformed JSON, unknown tool) after the
    allowed corrections. Abort the cycle and record the raw reply."""


class BudgetExceededError(TradepitError):
    """A token, dollar or tool-round budget is used up. Abort fail-closed and record which."""

    def __init__(self, what: str, used: float, limit: float) -> None:
        self.what, self.used, self.limit = what, used, limit
        super().__init__(f"budget exceeded: {what} {used:g} > {limit:g}")
