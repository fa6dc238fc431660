"""The loop's metrics and health observer (a `LoopObserver` of `tradepit.agent.loop`):
after each cycle it asks the broker for the account (equity and cash gauges; whether the
broker is reachable) and assesses the trading state under the risk limits and the kill
switch; a skipped cycle is counted. Never raises: observing must not stop trading."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tradepit.domain.models import TradingState
from tradepit.risk.state import assess_state

if TYPE_CHECKING:
    import pandas as pd

    from tradepit.agent.service import Reply
    from tradepit.domain.models import Fill
    from tradepit.domain.ports import Broker
    from tradepit.ops.health import Health
    from tradepit.ops.metrics import Metrics
    from tradepit.risk import RiskLimits

log = logging.getLogger(__name__)


class LoopMetrics:
    """See the module docstring. `manual_state()` is the kill switch's state (None: off)."""

    def __init__(
        self,
        metrics: Metrics,
        health: Health,
        *,
        run_id: str,
        account_id: str,
        broker: Broker,
        limits: RiskLimits,
        manual_state: Callable[[], TradingState | None] = lambda: None,
    ) -> None:
        self.metrics, self.health = metrics, health
        self.run_id, self.account_id = run_id, account_id
        self.broker, self.limits, self.manual_state = broker, limits, manual_state
        health.update(run=run_id)

    def cycle_done(self, n: int, when: pd.Timestamp, reply: Reply, fills: Sequence[Fill]) -> None:
        self.health.cycle(self.run_id, n, reply.status, when.to_pydatetime())
        self._account()

    def cycle_skipped(self, n: int, when: pd.Timestamp, error: Exception) -> None:
        self.metrics.cycle_skipped()
        self.health.cycle(self.run_id, n, "skipped", when.to_pydatetime())
        self._account()

    def _account(self) -> None:
        try:
            account = self.broker.get_account()
            halted = self.manual_state() is TradingState.HALTED
        except Exception as e:  # noqa: BLE001 - a broker outage is what health reports
            log.warning("account not read: %s", e, extra={"run": self.run_id})
            self.health.broker(False, f"{type(e).__name__}: {e}"[:300])
            return
        self.health.broker(True)
        state = assess_state(account, self.limits, manual_halt=halted).state
        self.metrics.account(self.account_id, account.equity, account.cash)
        self.metrics.trading_state(self.account_id, state)
        self.health.update(trading_state=state.value)
