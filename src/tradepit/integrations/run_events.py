"""Notifications from the autonomous loop (`tradepit run`): a `LoopObserver` that turns each
cycle into events for the notification hub.

- every fill of the cycle -> `OrderFilled`;
- every order the risk gate denied or the broker rejected -> `OrderRejected`, identical
  ones (same symbol, source and reasons) once per `repeat_window_s` of wall-clock time
  (`RepeatedRejections`; all of them are counted in the daily summary);
- a change of the trading state (ACTIVE / REDUCING / HALTED, from the account under the risk
  limits and the kill switch) -> `RiskStateChanged`; a kill switch's scope (``global`` or
  the run) and the operator's reason are read from the store;
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
from tradepit.domain.models import (
    GLOBAL_SCOPE,
    Fill,
    OrderRequest,
    RiskReason,
    RiskVerdict,
    TradingState,
)
from tradepit.integrations.events import (
    NotifyEvent,
    OrderFilled,
    OrderRejected,
    RiskStateChanged,
    ServiceAlert,
)
from tradepit.integrations.repeats import RepeatedRejections
from tradepit.integrations.summary import build_daily_summary
from tradepit.risk.limits import ReasonCode
from tradepit.risk.state import assess_state

if TYPE_CHECKING:
    import pandas as pd

    from tradepit.agent.service import Reply
    from tradepit.domain.ports import Broker, Clock
    from tradepit.integrations.hub import NotificationHub
    from tradepit.integrations.schedule import SummarySchedule
    from tradepit.risk import RiskLimits
    from tradepit.storage import Store
    from tradepit.storage.records import TradingFlag

log = logging.getLogger(__name__)
COMPONENT = "agent-loop"


class RunNotifier:
    """See the module docstring. `manual_state()` is the kill switch's state (None: off);
    with a `store`, the stored flags also give its scope and reason. `wall` (default:
    `clock`) measures the window of repeated rejections."""

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
        repeat_window_s: float = 3600.0,
        wall: Clock | None = None,
    ) -> None:
        self.submit, self.run_id, self.account_id = submit, run_id, account_id
        self.broker, self.clock, self.limits = broker, clock, limits
        self.manual_state = manual_state
        self.store, self.hub, self.schedule = store, hub, schedule
        self.repeats = RepeatedRejections(wall or clock, repeat_window_s)
        self.state: TradingState | None = None
        self.scope = run_id
        """The scope of the last state change sent (a lifted global halt says global)."""
        self.failing = False

    # -- LoopObserver ------------------------------------------------------------------

    def cycle_done(self, n: int, when: pd.Timestamp, reply: Reply, fills: Sequence[Fill]) -> None:
        at = self.clock.now()
        for fill in fills:
            self.submit(OrderFilled(at=at, account_id=self.account_id, fill=fill))
        for event in rejections(reply.steps, self.account_id, at):
            admitted = self.repeats.admit(event)
            if admitted is not None:
                self.submit(admitted)
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
            halts = self._halts()
            manual = bool(halts) or self.manual_state() is TradingState.HALTED
        except Exception as e:  # noqa: BLE001 - notifications must never stop trading
            log.warning("trading state not checked: %s", e, extra={"run": self.run_id})
            return
        assessed = assess_state(account, self.limits, manual_halt=manual)
        previous, self.state = self.state, assessed.state
        if previous is None and assessed.state is TradingState.ACTIVE:
            return
        if assessed.state is not (previous or TradingState.ACTIVE):
            if assessed.state is not TradingState.ACTIVE:  # lifted: the halt's own scope
                scopes = {flag.scope for flag in halts}
                self.scope = GLOBAL_SCOPE if GLOBAL_SCOPE in scopes else self.run_id
            self.submit(
                RiskStateChanged(
                    at=self.clock.now(), scope=self.scope,
                    previous=previous or TradingState.ACTIVE, state=assessed.state,
                    reasons=halt_reasons(assessed.reasons, halts),
                )
            )  # fmt: skip

    def _halts(self) -> list[TradingFlag]:
        """The stored kill switches on for this run: global and the run's own."""
        if self.store is None:
            return []
        flags = self.store.get_trading_flags([GLOBAL_SCOPE, self.run_id])
        return [flag for flag in flags if flag.state is TradingState.HALTED]

    def _daily_summary(self) -> None:
        if self.schedule is None or self.hub is None or self.store is None:
            return
        store, account_id, state = self.store, self.account_id, self.state

        def build(day: Any) -> Any:
            summary = build_daily_summary(store, account_id, day, state or TradingState.ACTIVE)
            return summary.model_copy(update={"rejections": self.repeats.counts()})

        report = self.schedule.run(build, self.hub.publish)
        if report is not None and (report.delivered or report.ok):
            self.repeats.reset()  # counted in a summary that went out
        if report is not None and not report.ok:
            log.warning("daily summary not delivered everywhere", extra={"run": self.run_id})


def halt_reasons(
    reasons: Sequence[RiskReason], halts: Sequence[TradingFlag]
) -> tuple[RiskReason, ...]:
    """`reasons` with the generic kill-switch reason replaced by each stored halt's scope
    and the reason the operator gave (`tradepit halt --reason`)."""
    if not halts:
        return tuple(reasons)
    stored = tuple(
        RiskReason(
            code=ReasonCode.MANUAL_HALT, blocking=False,
            message=f"kill switch on {_where(flag.scope)} since "
            f"{flag.updated_at:%Y-%m-%d %H:%M}Z: {flag.reason or 'no reason given'}",
        )
        for flag in halts
    )  # fmt: skip
    return stored + tuple(r for r in reasons if r.code != ReasonCode.MANUAL_HALT)


def _where(scope: str) -> str:
    return "for every run (global)" if scope == GLOBAL_SCOPE else f"for run {scope}"


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
