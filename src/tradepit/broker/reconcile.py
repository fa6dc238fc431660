"""Startup reconciliation: bring the store in line with the broker before trading.

On start the broker's account, open orders, positions and the fills since the last saved
run are fetched. Orders the store had open that closed while the bot was down (filled,
cancelled, expired) are updated; fills are added with their orders; positions are replaced
by the broker's (the broker is the truth), and any quantity not explained by the stored
position plus the bot's own fills is adopted as an *external* position and reported.

If anything fails (broker unreachable, an order the store knows has vanished, the store
cannot write) `ReconciliationError` is raised and nothing is written: the caller must not
start trading.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tradepit.domain.errors import BrokerError, OrderNotFoundError, StoreError
from tradepit.domain.models import Account, Fill, Order, Position
from tradepit.domain.ports import Broker, Clock, LedgerSnapshot, LedgerStore

log = logging.getLogger(__name__)
ZERO = Decimal(0)
FIRST_RUN_LOOKBACK = timedelta(days=7)


class ReconciliationError(BrokerError):
    """Startup reconciliation failed; the store may not match the broker. Do not start
    trading: fix the cause (see the message) and reconcile again."""


@dataclass(frozen=True)
class ExternalPosition:
    """Quantity the broker holds that the bot's records do not explain."""

    symbol: str
    expected_qty: Decimal
    broker_qty: Decimal

    @property
    def external_qty(self) -> Decimal:
        return self.broker_qty - self.expected_qty


@dataclass(frozen=True)
class ReconcileReport:
    account: Account
    since: datetime | None
    open_orders: tuple[Order, ...]
    closed_while_down: tuple[Order, ...]
    """Orders the store had open that the broker has closed since."""
    unknown_orders: tuple[Order, ...]
    """Orders the store did not know (open at the broker, or behind a new fill)."""
    new_fills: tuple[Fill, ...]
    positions: tuple[Position, ...]
    external: tuple[ExternalPosition, ...] = field(default=())

    @property
    def clean(self) -> bool:
        """True when the broker held nothing the store did not expect."""
        return not self.external and not self.unknown_orders


def _stored_orders(snapshot: LedgerSnapshot | None) -> dict[str, Order]:
    out: dict[str, Order] = {}

    def visit(order: Order) -> None:
        out[order.id] = order
        for leg in order.legs:
            visit(leg)

    for order in snapshot.orders if snapshot else ():
        visit(order)
    return out


def reconcile(
    broker: Broker,
    store: LedgerStore,
    account_id: str,
    clock: Clock,
    *,
    is_ours: Callable[[Order], bool] | None = None,
    first_run_lookback: timedelta = FIRST_RUN_LOOKBACK,
) -> ReconcileReport:
    """Fetch the broker's state and write it to `store` under `account_id` (one
    transaction). `is_ours(order)` tells the bot's orders apart (default: orders the store
    knew). Raises ReconciliationError; on error nothing is written."""
    try:
        previous = store.load_ledger(account_id)
        return _reconcile(broker, store, account_id, clock, previous, is_ours, first_run_lookback)
    except ReconciliationError:
        raise
    except (BrokerError, StoreError) as e:
        log.error("reconciliation failed: %s", e, extra={"account": account_id})
        raise ReconciliationError(f"reconciliation of {account_id} failed: {e}") from e


def _reconcile(
    broker: Broker,
    store: LedgerStore,
    account_id: str,
    clock: Clock,
    previous: LedgerSnapshot | None,
    is_ours: Callable[[Order], bool] | None,
    lookback: timedelta,
) -> ReconcileReport:
    now = clock.now()
    since = previous.updated_at if previous is not None else now - lookback
    stored = _stored_orders(previous)
    account = broker.get_account()
    open_orders = {o.id: o for o in broker.list_orders("open")}
    positions = broker.get_positions()
    fills = broker.get_fills(since)
    known_fills = {f.id for f in store.list_fills(account_id, since)}
    new_fills = [f for f in fills if f.id not in known_fills]

    closed = _closed_while_down(broker, stored, open_orders)
    updates = {o.id: o for o in closed}
    for order_id in {f.order_id for f in new_fills} - set(open_orders) - set(updates):
        updates[order_id] = stored.get(order_id) or broker.get_order(order_id)
    involved = {**updates, **open_orders}
    unknown = [o for o in involved.values() if o.id not in stored and o.parent_id is None]
    ours = is_ours or (lambda order: order.id in stored)
    external = _external(previous, positions, new_fills, involved, stored, ours)

    peak = max(account.equity, previous.equity_peak if previous else account.equity)
    snapshot = LedgerSnapshot(
        account_id=account_id,
        cash=account.cash,
        last_equity=account.last_equity,
        equity_peak=peak,
        day=now.date().isoformat(),
        positions=tuple(positions),
        orders=tuple(_parents_first(involved.values())),
        updated_at=now,
    )
    store.save_ledger(snapshot, new_fills)
    report = ReconcileReport(
        account=account, since=since, open_orders=tuple(open_orders.values()),
        closed_while_down=tuple(closed), unknown_orders=tuple(unknown),
        new_fills=tuple(new_fills), positions=tuple(positions), external=tuple(external),
    )  # fmt: skip
    _log(report, account_id)
    return report


def _closed_while_down(
    broker: Broker, stored: dict[str, Order], open_now: dict[str, Order]
) -> list[Order]:
    closed = []
    for order in stored.values():
        if not order.status.is_open or order.id in open_now:
            continue
        try:
            current = broker.get_order(order.id)
        except OrderNotFoundError as e:
            raise ReconciliationError(
                f"order {order.id} ({order.client_order_id}) is open in the store but unknown "
                "to the broker: is this store for another account?"
            ) from e
        if current.status.is_open:  # opened between the two calls: keep it open
            open_now[current.id] = current
        else:
            closed.append(current)
    return closed


def _external(
    previous: LedgerSnapshot | None,
    positions: list[Position],
    fills: Iterable[Fill],
    orders: dict[str, Order],
    stored: dict[str, Order],
    ours: Callable[[Order], bool],
) -> list[ExternalPosition]:
    expected: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for position in previous.positions if previous else ():
        expected[position.symbol] += position.qty
    for fill in fills:
        order = orders.get(fill.order_id) or stored.get(fill.order_id)
        if order is not None and ours(order):
            expected[fill.symbol] += fill.side.sign * fill.qty
    held = {p.symbol: p.qty for p in positions}
    return [
        ExternalPosition(symbol, expected.get(symbol, ZERO), held.get(symbol, ZERO))
        for symbol in sorted(set(held) | set(expected))
        if held.get(symbol, ZERO) != expected.get(symbol, ZERO)
    ]


def _parents_first(orders: Iterable[Order]) -> list[Order]:
    """Top-level orders (legs travel inside their parents; orphan legs stand alone)."""
    items = list(orders)
    ids = {o.id for o in items}
    nested = {leg.id for o in items for leg in o.legs}
    return [o for o in items if o.id not in nested or o.parent_id not in ids]


def _log(report: ReconcileReport, account_id: str) -> None:
    for item in report.external:
        log.warning(
            "external position adopted",
            extra={"account": account_id, "symbol": item.symbol,
                   "expected_qty": str(item.expected_qty), "broker_qty": str(item.broker_qty)},
        )  # fmt: skip
    log.info(
        "reconciled",
        extra={"account": account_id, "open_orders": len(report.open_orders),
               "closed_while_down": len(report.closed_while_down),
               "new_fills": len(report.new_fills), "external": len(report.external)},
    )  # fmt: skip
