"""Notifications from the autonomous loop (`tradepit run`): a `LoopObserver` that turns each
cycle into events for the notification hub.

- every fill of the cycle -> `OrderFilled`;
- every order the risk gate denied or the broker rejected -> `OrderRejected`;
- a change of the trading state (ACTIVE / REDUCING / HALTED, from the account under the risk
  limits and the kill switch) -> `RiskStateChanged`;
- the first aborted or skipped cycle of a streak -> `ServiceAlert` (and one when cycles
  succeed again), so a data outage is reported once, not every 15 minutes;
- after a session's close, the daily summary (`SummarySchedule`: once per session, also
  across restarts).

Events go to `submit` (a `BackgroundPublisher`: trading never waits for Slack); the daily
summary is published synchronously so that a failed delivery leaves it due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tradepit.domain.errors import OrderRejectedError
from tradepit.domain.models import Fill, OrderRequest, RiskVerdict, TradingState
from tradepit.integrations.events import (
    NotifyEvent,
    OrderFilled,
    OrderRejected,
    RiskStateChanged,
    ServiceAlert,
)
from tradepit.integrations.summary import build_daily_summary
from tradepit.risk.state import assess_state

if TYPE_CHECKING:
    import pandas as pd

    from tradepit.agent.service import Reply
    from tradepit.domain.ports import Broker, Clock
    from tradepit.integrations.hub import NotificationHub
    from tradepit.integrations.schedule import SummarySchedule
    from tradepit.risk import RiskLimits
    from tradepit.storage import Store

log = logging.getLogger(__name__)
COMPONENT = "agent-loop"


class RunNotifier:
    """See the module docstring. `manual_state()` is the kill switch's state (None: off)."""

    def __init__(
        self,
        submit: Callable[[NotifyEvent], Any],
        *,
        run_id: str,
        account_id: str,
        broker: Broker,
        clock: Clock,
        limits: RiskLimits,
        manual_state: Callable[[], TradingState | None] = lambda: None,
        store: Store | None = None,
        hub: NotificationHub | None = None,
        schedule: SummarySchedule | None = None,
    ) -> None:
        self.submit, self.run_id, self.account_id = submit, run_id, account_id
        self.broker, self.clock, self.limits = broker, clock, limits
        self.manual_state = manual_state
        self.store, self.hub, self.schedule = store, hub, schedule
        self.state: TradingState | None = None
        self.failing = False

    # -- LoopObserver ------------------------------------------------------------------

    def cycle_done(self, n: int, when: pd.Timestamp, reply: Reply, fills: Sequence[Fill]) -> None:
        at = self.clock.now()
        for fill in fills:
            self.submit(OrderFilled(at=at, account_id=self.account_id, fill=fill))
        for event in rejections(reply.steps, self.account_id, at):
            self.submit(event)
        if reply.status == "aborted":
            self._failure(f"cycle {n} aborted", reply.error_type or "Aborted", reply.text)
        else:
            self._recovered(n)
        self._check_state()
        self._daily_summary()

    def cycle_skipped(self, n: int, when: pd.Timestamp, error: Exception) -> None:
        self._failure(f"cycle {n} skipped", type(error).__name__, str(error))

    # -- internals ---------------------------------------------------------------------

    def _failure(self, what: str, error_type: str, message: str) -> None:
        if self.failing:
            return
        self.failing = True
        self.submit(
            ServiceAlert(
                at=self.clock.now(), alert="error", component=COMPONENT,
                error_type=error_type, message=f"{self.run_id}: {what}: {message}"[:500],
            )
        )  # fmt: skip

    def _recovered(self, n: int) -> None:
        if not self.failing:
            return
        self.failing = False
        self.submit(
            ServiceAlert(
                at=self.clock.now(), alert="error", component=COMPONENT,
                error_type="Recovered", message=f"{self.run_id}: cycle {n} ran normally again",
                level="info",
            )
        )  # fmt: skip

    def _check_state(self) -> None:
        try:
            account = self.broker.get_account()
        except Exception as e:  # noqa: BLE001 - notifications must never stop trading
            log.warning("trading state not checked: %s", e, extra={"run": self.run_id})
            return
        manual = self.manual_state() is TradingState.HALTED
        assessed = assess_state(account, self.limits, manual_halt=manual)
        previous, self.state = self.state, assessed.state
        if previous is None and assessed.state is TradingState.ACTIVE:
            return
        if assessed.state is not (previous or TradingState.ACTIVE):
            self.submit(
                RiskStateChanged(
                    at=self.clock.now(), scope=self.run_id,
                    previous=previous or TradingState.ACTIVE, state=assessed.state,
                    reasons=assessed.reasons,
                )
            )  # fmt: skip

    def _daily_summary(self) -> None:
        if self.schedule is None or self.hub is None or self.store is None:
            return
        store, account_id, state = self.store, self.account_id, self.state

        def build(day: Any) -> Any:
            return build_daily_summary(store, account_id, day, state or TradingState.ACTIVE)

        report = self.schedule.run(build, self.hub.publish)
        if report is not None and not report.ok:
            log.warning("daily summary not delivered everywhere", extra={"run": self.run_id})


def rejections(steps: Sequence[dict[str, Any]], account_id: str, at: Any) -> list[OrderRejected]:
    """`OrderRejected` events for the place_order steps the gate denied or the broker
    rejected (read from the recorded steps: the verdict and the tool's output)."""
    events: list[OrderRejected] = []
    for step in steps:
        if step.get("name") != "place_order" or not step.get("verdict"):
            continue
        outcome = (step.get("output") or {}).get("outcome")
        verdict = RiskVerdict.model_validate(step["verdict"])
        if outcome == "denied_by_risk":
            events.append(OrderRejected.from_verdict(verdict, account_id, at))
        elif outcome == "rejected_by_broker":
            request: OrderRequest = verdict.adjusted_request or verdict.request
            reason = str((step.get("output") or {}).get("reason") or "rejected")
            error = OrderRejectedError("broker_rejected", reason)
            events.append(OrderRejected.from_error(request, error, account_id, at))
    return events
