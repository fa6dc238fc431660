"""Paper broker: a simulated account that implements `tradepit.domain.ports.Broker`.

The caller drives it: ``on_bar(bar)`` for each new bar as the clock advances (fills open
orders of that symbol per the rules in `paper_fills`, then marks the symbol to the close),
``mark(symbol, price)`` for a price without fills. A bar of a later UTC date first starts a
new session (``last_equity`` = equity before the bar, stale DAY orders expire).

Submit-time checks raise and create no order (like Alpaca's 4xx): duplicate client_order_id,
unknown symbol, ``not_tradable``, ``invalid_qty``, ``invalid_bracket``, ``no_price``,
``not_shortable``, insufficient buying power. Buying power is
``max(0, equity * max_leverage - gross market value - value reserved by open orders that
increase exposure)``; a pending order that reduces exposure frees nothing until it fills.

With a `LedgerStore` the ledger is loaded on construction and saved, with the new fills, in
one call after every state change (submit, fill, cancel, expiry, a new session that moved
last_equity). Marks alone (equity, equity_peak) are saved with the next change. A save
carries the orders that may have changed (open now or at the previous save); the store
upserts orders by id, so a load returns them all. The broker's lock is per process: the
caller keeps other processes off the account while the broker is open (the store's account
lease, `bootstrap.hold_account`), and opens the broker after taking it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from tradepit.broker.paper_config import PaperConfig
from tradepit.broker.paper_engine import expire_day_orders, process_bar
from tradepit.broker.paper_fills import notional_qty
from tradepit.broker.paper_orders import WorkingOrder, utc_date
from tradepit.broker.paper_persist import build_snapshot, open_ids, restore
from tradepit.broker.paper_state import PaperState
from tradepit.domain.errors import (
    DuplicateClientOrderIdError,
    InsufficientBuyingPowerError,
    OrderNotCancelableError,
    OrderNotFoundError,
    OrderRejectedError,
)
from tradepit.domain.models import (
    Account,
    Asset,
    Bar,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from tradepit.domain.ports import Clock, LedgerSnapshot, LedgerStore, OrderQuery

__all__ = ["PaperBroker", "PaperConfig"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class PaperBroker:
    """Simulated broker over a `Clock`; see the module docstring and `paper_fills`."""

    def __init__(
        self,
        clock: Clock,
        assets: Callable[[str], Asset],
        config: PaperConfig | None = None,
        store: LedgerStore | None = None,
        account_id: str = "paper",
    ) -> None:
        self._clock = clock
        self._config = config or PaperConfig()
        self._store = store
        self.account_id = account_id
        self._state = PaperState(self._config, account_id, assets)
        self._lock = threading.RLock()
        if store is not None:
            self._load(store)

    @property
    def config(self) -> PaperConfig:
        return self._config

    # -- simulation ------------------------------------------------------------------------

    def on_bar(self, bar: Bar) -> list[Fill]:
        """Fill open orders of ``bar.symbol`` on `bar`, then mark the symbol to its close."""
        with self._lock:
            state = self._state
            ledger = state.ledger
            day = utc_date(bar.timestamp)
            if ledger.day is None or day > ledger.day:
                self._roll(day, bar.timestamp)
            fills = process_bar(state, bar, day) if bar.symbol in state.groups else []
            ledger.marks[bar.symbol] = bar.close
            if fills or bar.symbol in ledger.holdings:
                ledger.update_peak()
            if state.dirty:
                self._commit()
            return fills

    def _quote_tick(self, symbol: str) -> list[Fill]:
        """Work the symbol's open orders against its last price at the clock's time: one
        price point, so market orders fill there and limits or stops only when crossed."""
        price = self._state.ledger.marks.get(symbol)
        if price is None:
            return []
        now = self._clock.now()
        tick = Bar(symbol=symbol, timestamp=now, open=price, high=price, low=price, close=price)
        return process_bar(self._state, tick, utc_date(now))

    def mark(self, symbol: str, price: Decimal) -> None:
        """Set the market price of `symbol` without processing orders."""
        with self._lock:
            ledger = self._state.ledger
            ledger.marks[symbol] = price
            if symbol in ledger.holdings:
                ledger.update_peak()

    def new_session(self, day: date) -> None:
        """Start the session of UTC date `day` (no-op unless later than the current one)."""
        with self._lock:
            current = self._state.ledger.day
            if current is None or day > current:
                self._roll(day, self._clock.now())
                if self._state.dirty:
                    self._commit()

    def _roll(self, day: date, when: datetime) -> None:
        """New session: last_equity = current equity, DAY orders of older sessions expire.
        Saved only when that changed something (the date alone is not worth a write)."""
        state = self._state
        ledger = state.ledger
        if ledger.day is not None:
            equity = ledger.equity()
            if equity != ledger.last_equity:
                ledger.last_equity = equity
                state.dirty = True
        ledger.day = day
        if state.groups:
            expire_day_orders(state, day, when)

    # -- orders ----------------------------------------------------------------------------

    def submit_order(self, request: OrderRequest) -> Order:
        with self._lock:
            order = self._accept(request)
            if self._config.fill_at_last_price:
                self._quote_tick(order.symbol)
            self._commit()
            log.info(
                "paper order accepted",
                extra={
                    "account": self.account_id,
                    "order_id": order.id,
                    "client_order_id": order.client_order_id,
                    "symbol": order.symbol,
                },
            )
            return order.to_order()

    def _accept(self, request: OrderRequest) -> WorkingOrder:
        state = self._state
        cid = request.client_order_id
        if cid is not None:
            for taken in (cid, *_leg_ids(cid, request)):
                if taken in state.by_client_id:
                    raise DuplicateClientOrderIdError(taken)
        asset = state.asset(request.symbol)
        if not asset.tradable:
            raise OrderRejectedError("not_tradable", f"{request.symbol} is not tradable")
        self._check_qty(request)
        _check_bracket(request)
        price = state.reference_price(
            request.type, request.limit_price, request.stop_price, request.symbol
        )
        if price is None:
            raise OrderRejectedError("no_price", f"no price known yet for {request.symbol}")
        qty = request.qty
        if qty is None:
            fractional = state.fractional_in(request.symbol)
            qty = notional_qty(request.notional, price, fractional)  # type: ignore[arg-type]
            if qty <= 0:
                raise OrderRejectedError(
                    "invalid_qty", f"notional {request.notional} buys no unit at {price}"
                )
        self._check_short(request, qty)
        self._check_buying_power(request, qty, price)
        return self._create(request, cid)

    def _check_qty(self, request: OrderRequest) -> None:
        if request.qty is not None:
            if request.qty <= 0:
                raise OrderRejectedError("invalid_qty", f"qty must be positive, got {request.qty}")
            whole = request.qty == request.qty.to_integral_value()
            if not whole and not self._state.fractional_in(request.symbol):
                raise OrderRejectedError(
                    "invalid_qty", f"fractional qty {request.qty} is not allowed"
                )
        elif request.notional is not None and request.notional <= 0:
            raise OrderRejectedError(
                "invalid_qty", f"notional must be positive, got {request.notional}"
            )

    def _check_short(self, request: OrderRequest, qty: Decimal) -> None:
        if request.side is not Side.SELL:
            return
        held = max(ZERO, self._state.ledger.qty(request.symbol))
        if qty > held and not self._state.can_short(request.symbol):
            why = "shorting is disabled" if not self._config.allow_short else "asset not shortable"
            raise OrderRejectedError(
                "not_shortable", f"sell {qty} {request.symbol} exceeds the {held} held: {why}"
            )

    def _check_buying_power(self, request: OrderRequest, qty: Decimal, price: Decimal) -> None:
        state = self._state
        _, projected = state.projection()
        position = projected.get(request.symbol, state.ledger.qty(request.symbol))
        increase = state.exposure_increase(position, request.side, qty)
        if increase <= 0:
            return
        cost = increase * price + state.commission(qty, price)
        available = state.buying_power()[0]
        if cost > available:
            raise InsufficientBuyingPowerError(
                f"{request.side} {qty} {request.symbol} needs {cost:.2f}, "
                f"buying power is {available:.2f}"
            )

    def _create(self, request: OrderRequest, cid: str | None) -> WorkingOrder:
        state = self._state
        now = self._clock.now()
        number = state.next_order_number()
        if cid is None:
            cid = f"{self.account_id}-c{number}"
            while any(c in state.by_client_id for c in (cid, *_leg_ids(cid, request))):
                number = state.next_order_number()
                cid = f"{self.account_id}-c{number}"
        parent = WorkingOrder(
            seq=number, id=f"{self.account_id}-o{number}", client_order_id=cid,
            symbol=request.symbol, side=request.side, qty=request.qty, notional=request.notional,
            type=request.type, time_in_force=request.time_in_force,
            limit_price=request.limit_price, stop_price=request.stop_price,
            order_class=request.order_class, status=OrderStatus.ACCEPTED,
            created_at=now, updated_at=now,
        )  # fmt: skip
        if request.take_profit is not None:
            parent.take_profit = self._leg(parent, "tp", OrderType.LIMIT, request.take_profit)
        if request.stop_loss is not None:
            parent.stop_loss = self._leg(parent, "sl", OrderType.STOP, request.stop_loss)
        state.created(parent)
        for leg in parent.legs():
            state.created(leg)
        state.dirty = True
        return parent

    def _leg(self, parent: WorkingOrder, tag: str, kind: OrderType, price: Decimal) -> WorkingOrder:
        number = self._state.next_order_number()
        return WorkingOrder(
            seq=number, id=f"{self.account_id}-o{number}",
            client_order_id=f"{parent.client_order_id}-{tag}", symbol=parent.symbol,
            side=parent.side.opposite, qty=parent.qty, notional=None, type=kind,
            time_in_force=TimeInForce.GTC,
            limit_price=price if kind is OrderType.LIMIT else None,
            stop_price=price if kind is OrderType.STOP else None,
            order_class=parent.order_class, status=OrderStatus.NEW,
            created_at=parent.created_at, updated_at=parent.created_at, parent=parent,
        )  # fmt: skip

    def cancel_order(self, order_id: str) -> Order:
        with self._lock:
            order = self._find(order_id)
            if not order.is_open:
                raise OrderNotCancelableError(f"order {order_id} is {order.status}")
            self._state.close(order, OrderStatus.CANCELED, self._clock.now())
            self._state.prune(order.symbol)
            self._commit()
            return order.to_order()

    def close_position(self, symbol: str) -> Order:
        """Cancel the symbol's open bracket legs and send a market order for the position."""
        with self._lock:
            state = self._state
            qty = state.ledger.qty(symbol)
            if qty == 0:
                raise OrderRejectedError("no_position", f"no open position in {symbol}")
            now = self._clock.now()
            for parent in state.groups.get(symbol, ()):
                for leg in parent.legs():
                    if leg.is_open:
                        state.close(leg, OrderStatus.CANCELED, now, "position closed")
            state.prune(symbol)
            side = Side.SELL if qty > 0 else Side.BUY
            return self.submit_order(OrderRequest(symbol=symbol, side=side, qty=abs(qty)))

    # -- queries ---------------------------------------------------------------------------

    def get_order(self, order_id: str) -> Order:
        with self._lock:
            return self._find(order_id).to_order()

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        with self._lock:
            order = self._state.by_client_id.get(client_order_id)
            return order.to_order() if order is not None else None

    def list_orders(self, status: OrderQuery = "open") -> list[Order]:
        """Every order (legs too, flat, in creation order) with that status; parents also
        carry their legs."""
        if status not in ("open", "closed", "all"):
            raise ValueError(f"status must be open, closed or all, not {status!r}")
        with self._lock:
            if status == "open":  # from the open groups: a long run has many closed orders
                working = sorted(self._state.open_orders(), key=lambda order: order.seq)
            else:
                working = [
                    o for o in self._state.orders.values() if status == "all" or not o.is_open
                ]
            return [order.to_order() for order in working]

    def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Fills in execution order; `since` is inclusive."""
        with self._lock:
            if since is None:
                return list(self._state.fills)
            return [fill for fill in self._state.fills if fill.timestamp >= since]

    def get_positions(self) -> list[Position]:
        with self._lock:
            return self._state.ledger.positions()

    def get_position(self, symbol: str) -> Position | None:
        with self._lock:
            return self._state.ledger.position(symbol)

    def get_account(self) -> Account:
        with self._lock:
            state = self._state
            ledger = state.ledger
            power, equity, long_value, short_value = state.buying_power()
            return Account(
                id=self.account_id,
                cash=ledger.cash,
                equity=equity,
                buying_power=power,
                long_market_value=long_value,
                short_market_value=short_value,
                last_equity=ledger.last_equity,
                equity_peak=max(ledger.equity_peak, equity),
                timestamp=self._clock.now(),
            )

    def _find(self, order_id: str) -> WorkingOrder:
        order = self._state.orders.get(order_id)
        if order is None:
            raise OrderNotFoundError(f"no order {order_id!r} in account {self.account_id}")
        return order

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self, changed_only: bool = False) -> LedgerSnapshot:
        """The ledger as a `LedgerSnapshot` (see `paper_persist.build_snapshot`)."""
        with self._lock:
            return build_snapshot(self._state, self._clock.now(), changed_only)

    def save(self) -> None:
        """Save the ledger now, marks included (a mark alone is not saved: the last prices
        of an account that stops are, so `tradepit account` shows what the run ended with)."""
        with self._lock:
            self._commit()

    def _commit(self) -> None:
        state = self._state
        if self._store is not None:
            snapshot = build_snapshot(state, self._clock.now(), changed_only=True)
            self._store.save_ledger(snapshot, tuple(state.pending_fills))
            state.saved_open = open_ids(state)
        state.unsaved.clear()
        state.pending_fills.clear()
        state.dirty = False

    def _load(self, store: LedgerStore) -> None:
        restore(self._state, store)
        log.info(
            "paper ledger loaded",
            extra={
                "account": self.account_id,
                "orders": len(self._state.orders),
                "fills": len(self._state.fills),
            },
        )


def _check_bracket(request: OrderRequest) -> None:
    tp, sl = request.take_profit, request.stop_loss
    if tp is None or sl is None:
        return
    if (request.side is Side.BUY and tp <= sl) or (request.side is Side.SELL and tp >= sl):
        raise OrderRejectedError(
            "invalid_bracket", f"take_profit {tp} and stop_loss {sl} are on the wrong sides"
        )


def _leg_ids(cid: str, request: OrderRequest) -> tuple[str, ...]:
    """Client order ids of a bracket's legs: ``<parent>-tp`` and ``<parent>-sl``."""
    tags = (("tp", request.take_profit), ("sl", request.stop_loss))
    return tuple(f"{cid}-{tag}" for tag, price in tags if price is not None)
