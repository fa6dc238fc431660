"""Prometheus metrics of one process, on a registry of their own.

The composition root makes one `Metrics` per process (`bootstrap.serve_ops`) and hands it
to the few places that report: the recorder (model calls, a turn's orders and risk
denials), the service (cycles, their duration, fills) and the loop's observer (equity,
cash, trading state). Without metrics those places hold None and skip one `if`. Tests make
their own `Metrics`: no state is shared through prometheus_client's global registry.

Series (every counter also has its ``_created`` sample):

- ``tradepit_cycles_total{outcome}``: answered, aborted (model or data failure), skipped
  (fills not collected: a data or broker outage)
- ``tradepit_cycle_duration_seconds``: histogram of a cycle's wall time (model included)
- ``tradepit_last_cycle_timestamp_seconds``: wall-clock time of the last cycle's end
- ``tradepit_model_calls_total{backend,outcome}`` (ok, error),
  ``tradepit_model_tokens_total{backend,kind}`` (input, output),
  ``tradepit_model_cost_usd_total{backend}``
- ``tradepit_orders_total{outcome}``: filled, accepted (sent, not filled yet),
  denied_by_risk, rejected (by the broker), duplicate, canceled, not_approved, failed
- ``tradepit_risk_denials_total{rule}``: each blocking reason of a denied order
- ``tradepit_fills_total{side}``
- ``tradepit_equity_usd{account}``, ``tradepit_cash_usd{account}``
- ``tradepit_trading_state{account,state}``: 1 for the current state (active, reducing,
  halted), 0 for the others
- ``process_*`` and ``python_info``: the process and the interpreter
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from tradepit.domain.models import TradingState

if TYPE_CHECKING:
    from tradepit.domain.models import Fill
    from tradepit.domain.ports import Clock

ORDER_TOOLS = ("place_order", "close_position")
_ORDER_OUTCOMES = {
    "filled": "filled",
    "submitted": "accepted",
    "denied_by_risk": "denied_by_risk",
    "rejected_by_broker": "rejected",
    "duplicate": "duplicate",
    "canceled": "canceled",
}
CYCLE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Seconds: offline rule models take milliseconds, LLM cycles seconds to minutes."""


class Metrics:
    """See the module docstring. `clock` is the wall clock (the last cycle's timestamp)."""

    def __init__(self, clock: Clock, registry: CollectorRegistry | None = None) -> None:
        self.clock = clock
        self.registry = r = registry or CollectorRegistry()
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self._cycles = Counter("tradepit_cycles", "Cycles by outcome", ["outcome"], registry=r)
        self._cycle_seconds = Histogram(
            "tradepit_cycle_duration_seconds", "Wall time of a cycle, the model's included",
            buckets=CYCLE_BUCKETS, registry=r,
        )  # fmt: skip
        self._last_cycle = Gauge(
            "tradepit_last_cycle_timestamp_seconds", "Unix time the last cycle ended", registry=r
        )
        self._calls = Counter(
            "tradepit_model_calls", "Model calls", ["backend", "outcome"], registry=r
        )
        self._tokens = Counter(
            "tradepit_model_tokens", "Model tokens", ["backend", "kind"], registry=r
        )
        self._cost = Counter(
            "tradepit_model_cost_usd", "Inference cost in USD", ["backend"], registry=r
        )
        self._orders = Counter("tradepit_orders", "Orders by outcome", ["outcome"], registry=r)
        self._denials = Counter(
            "tradepit_risk_denials", "Blocking reasons of denied orders", ["rule"], registry=r
        )
        self._fills = Counter(
            "tradepit_fills", "Fills delivered to the agent", ["side"], registry=r
        )
        self._equity = Gauge("tradepit_equity_usd", "Account equity", ["account"], registry=r)
        self._cash = Gauge("tradepit_cash_usd", "Account cash", ["account"], registry=r)
        self._state = Gauge(
            "tradepit_trading_state", "1 for the current trading state", ["account", "state"],
            registry=r,
        )  # fmt: skip

    # -- the recorder ----------------------------------------------------------------------

    def model_call(
        self, backend: str, input_tokens: int, output_tokens: int, cost_usd: float, ok: bool
    ) -> None:
        self._calls.labels(backend, "ok" if ok else "error").inc()
        if input_tokens:
            self._tokens.labels(backend, "input").inc(input_tokens)
        if output_tokens:
            self._tokens.labels(backend, "output").inc(output_tokens)
        if cost_usd:
            self._cost.labels(backend).inc(cost_usd)

    def orders(self, steps: Iterable[Mapping[str, Any]]) -> None:
        """Count the order-tool steps of a turn by outcome, and the rules that denied."""
        for step in steps:
            if step.get("name") not in ORDER_TOOLS:
                continue
            outcome = order_outcome(step)
            self._orders.labels(outcome).inc()
            if outcome == "denied_by_risk":
                for rule in denial_rules(step):
                    self._denials.labels(rule).inc()

    # -- the service -----------------------------------------------------------------------

    def cycle(self, outcome: str, seconds: float) -> None:
        self._cycles.labels(outcome).inc()
        self._cycle_seconds.observe(seconds)
        self._last_cycle.set(self.clock.now().timestamp())

    def cycle_skipped(self) -> None:
        self._cycles.labels("skipped").inc()

    def fills(self, fills: Sequence[Fill]) -> None:
        for fill in fills:
            self._fills.labels(fill.side.value).inc()

    # -- the loop --------------------------------------------------------------------------

    def account(self, account_id: str, equity: Decimal, cash: Decimal) -> None:
        self._equity.labels(account_id).set(float(equity))
        self._cash.labels(account_id).set(float(cash))

    def trading_state(self, account_id: str, state: TradingState) -> None:
        for each in TradingState:
            self._state.labels(account_id, each.value).set(1 if each is state else 0)


def order_outcome(step: Mapping[str, Any]) -> str:
    """What became of an order-tool step (see the module docstring for the values)."""
    approval = step.get("approval")
    if approval is not None and not approval.get("approved"):
        return "not_approved"
    if not step.get("ok"):
        return "failed"
    return _ORDER_OUTCOMES.get(str((step.get("output") or {}).get("outcome")), "failed")


def denial_rules(step: Mapping[str, Any]) -> list[str]:
    """The codes of the blocking reasons in a denied step's verdict."""
    reasons = (step.get("verdict") or {}).get("reasons") or ()
    return [str(r.get("code")) for r in reasons if r.get("blocking", True)]
