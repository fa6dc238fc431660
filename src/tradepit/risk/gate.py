"""Pre-trade risk gate: `RiskGate(limits).check(...) -> RiskVerdict`. Pure and fast.

No I/O and no clock: everything comes in through the arguments. Every reason carries a
`ReasonCode`; blocking reasons deny, the others are notes on an approved (maybe adjusted) order.

Policy
- Prices: the last price is `market.prices[symbol]`, else the held position's market price;
  neither -> deny `no_price`. The reference price (notional conversion, bracket anchor) is
  the limit price of limit orders, the stop price of stop orders, else the last price.
  Sizes are valued at max(reference, last), held positions at their last price.
- Notional requests are converted to a quantity at the reference price (whole shares when the
  asset lookup says not fractionable, else 1e-9 steps); the adjusted request carries `qty`.
- "Reduces risk" = moves a held position toward zero: a sell on a long, a buy on a short.
  Such orders pass in every state, HALTED included (never trap a position). An order that
  would flip through zero is cut to the closing quantity (`resized_to_close`): a reversal is
  a close plus a new entry, which then faces the entry rules (brokers reject flips anyway).
- Everything else is an entry. Entries are denied in REDUCING and HALTED. The state used is
  the stricter of `state` (e.g. a stored halt or the kill switch) and the account's own.
- Resizing vs denying: an entry above the max position size, gross exposure or buying power
  is cut to the largest allowed quantity (whole if the requested qty is whole, else 1e-9
  steps) and approved with a `resized_*` note; when that quantity is 0 it is denied
  (`max_position_size`, `max_gross_exposure`, `insufficient_buying_power`). The open-position
  count, correlation and VaR rules deny (resizing would not cure them).
- Entries without a stop-loss / take-profit get them at the default percentages from the
  reference price (below/above for longs, above/below for shorts), rounded away from it to
  the tick (0.01 at or above 1, finer below); a given one on the wrong side is denied.
- Correlation: direction-adjusted Pearson (same-direction holdings count positively, a short
  against a long negatively) over the last `correlation_window` days both symbols have
  returns for (paired by date, see `tradepit.risk.portfolio`) must not exceed
  `max_correlation`. Fewer than `correlation_min_periods` common days (no history, or data
  that end before the other's start) -> the pair is skipped with a note saying so.
- VaR: 1-day historical VaR of the post-trade portfolio (exposures replayed over the last
  `var_window` days every symbol has) as a fraction of equity must not exceed
  `max_var_pct`; fewer than `var_min_periods` common days -> note.
Pending open orders are not seen by the gate; callers should net them into `positions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from tradepit.domain.models import (
    Account,
    Asset,
    OrderRequest,
    OrderType,
    Position,
    RiskReason,
    RiskVerdict,
    Side,
    TradingState,
)
from tradepit.risk.limits import ReasonCode, RiskLimits
from tradepit.risk.portfolio import (
    AlignedReturns,
    DailyReturns,
    aligned_returns,
    historical_var,
    pearson,
    replay,
)
from tradepit.risk.state import assess_state, stricter

ZERO = Decimal(0)
WHOLE = Decimal(1)
FRACTIONAL_STEP = Decimal("1e-9")
_PRECISION = 50
"""Decimal digits for the gate's arithmetic: sizes and caps compare exactly."""


@dataclass(frozen=True, slots=True)
class MarketContext:
    """What the gate knows about the market. Treat the mappings as read-only.

    `returns` holds each symbol's dated daily returns (paired by date, see
    `tradepit.risk.portfolio`); `assets` is an optional lookup for tradability flags.
    """

    prices: Mapping[str, Decimal]
    returns: Mapping[str, DailyReturns] = field(default_factory=dict)
    assets: Mapping[str, Asset] = field(default_factory=dict)


_CAPS = (
    (ReasonCode.RESIZED_MAX_POSITION, ReasonCode.MAX_POSITION_SIZE),
    (ReasonCode.RESIZED_GROSS_EXPOSURE, ReasonCode.MAX_GROSS_EXPOSURE),
    (ReasonCode.RESIZED_BUYING_POWER, ReasonCode.INSUFFICIENT_BUYING_POWER),
)


class _Denied(Exception):
    def __init__(self, code: ReasonCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RiskGate:
    """Applies `RiskLimits` to one order request at a time."""

    def __init__(self, limits: RiskLimits | None = None) -> None:
        self.limits = limits if limits is not None else RiskLimits()

    def check(
        self,
        request: OrderRequest,
        account: Account,
        positions: Sequence[Position],
        market: MarketContext,
        state: TradingState | None = None,
    ) -> RiskVerdict:
        """Approve (maybe resized, with a bracket attached) or deny `request`."""
        assessed = assess_state(account, self.limits)
        current = assessed.state if state is None else stricter(state, assessed.state)
        reasons = list(assessed.reasons)
        if current is not assessed.state:
            reasons.append(_note(ReasonCode.STATE_OVERRIDE, f"caller state {current}"))
        check = _Check(self.limits, request, account, positions, market, current, reasons)
        try:
            with localcontext() as ctx:
                ctx.prec = _PRECISION
                adjusted = check.run()
        except _Denied as denial:
            reasons.append(RiskReason(code=denial.code, message=denial.message))
            return RiskVerdict(
                approved=False, request=request, reasons=tuple(reasons), state=current
            )
        return RiskVerdict(
            approved=True,
            request=request,
            adjusted_request=adjusted,
            reasons=tuple(reasons),
            state=current,
        )


class _Check:
    """One evaluation; rules raise `_Denied` or append notes to `reasons`."""

    def __init__(
        self,
        limits: RiskLimits,
        request: OrderRequest,
        account: Account,
        positions: Sequence[Position],
        market: MarketContext,
        state: TradingState,
        reasons: list[RiskReason],
    ) -> None:
        self.lim, self.req, self.account, self.market = limits, request, account, market
        self.state, self.reasons = state, reasons
        self.book = _book(positions, market.prices)

    def run(self) -> OrderRequest:
        req = self.req
        held, held_px = self.book.get(req.symbol, (ZERO, None))
        last = self.market.prices.get(req.symbol, held_px)
        if last is None or last <= 0:
            raise _Denied(ReasonCode.NO_PRICE, f"no price for {req.symbol}")
        ref = order_price(req, last)
        qty, step = self._quantity(ref)
        if held != 0 and (held > 0) != (req.side is Side.BUY):
            return self._reduce(qty, held)
        fill = expected_fill_price(req, last)
        return self._enter(qty, step, held, held_px or last, max(ref, last), fill)

    def _quantity(self, ref: Decimal) -> tuple[Decimal, Decimal]:
        req = self.req
        if req.qty is not None:
            if req.qty <= 0:
                raise _Denied(ReasonCode.INVALID_QUANTITY, f"qty {req.qty} is not positive")
            return req.qty, WHOLE if req.qty == req.qty.to_integral_value() else FRACTIONAL_STEP
        assert req.notional is not None
        if req.notional <= 0:
            raise _Denied(ReasonCode.INVALID_QUANTITY, f"notional {req.notional} not positive")
        asset = self.market.assets.get(req.symbol)
        step = WHOLE if asset is not None and not asset.fractionable else FRACTIONAL_STEP
        qty = _floor(req.notional / ref, step)
        if qty <= 0:
            raise _Denied(ReasonCode.INVALID_QUANTITY, f"notional {req.notional} < one step")
        converted = f"notional {req.notional} -> qty {_n(qty)} @ {_n(ref)}"
        self._note(ReasonCode.NOTIONAL_CONVERTED, converted)
        return qty, step

    def _reduce(self, qty: Decimal, held: Decimal) -> OrderRequest:
        if qty > abs(held):
            closes = f"qty {_n(qty)} -> {_n(abs(held))}: closes the {_n(held)} held, no flip"
            self._note(ReasonCode.RESIZED_TO_CLOSE, closes)
            qty = abs(held)
        if self.state is not TradingState.ACTIVE:
            self._note(ReasonCode.RISK_REDUCING, f"reduces {self.req.symbol} in {self.state}")
        return self.req.model_copy(update={"qty": qty, "notional": None})

    def _enter(
        self,
        qty: Decimal,
        step: Decimal,
        held: Decimal,
        held_px: Decimal,
        px: Decimal,
        fill: Decimal,
    ) -> OrderRequest:
        """`px`: the price the entry is sized at; `fill`: where it should fill, the anchor of
        its stop-loss and take-profit."""
        if self.state is TradingState.HALTED:
            raise _Denied(ReasonCode.TRADING_HALTED, "trading halted: only risk-reducing orders")
        if self.state is TradingState.REDUCING:
            raise _Denied(ReasonCode.REDUCING_ONLY, "reducing: no new or larger positions")
        long = self.req.side is Side.BUY
        self._check_asset(long, step)
        if self.account.equity <= 0:
            raise _Denied(ReasonCode.NO_EQUITY, f"equity {self.account.equity} <= 0")
        self._check_given_bracket(fill, long)
        self._check_open_positions(held)
        qty = self._resize(qty, step, abs(held) * held_px, px)
        self._check_correlation(long)
        self._check_var(held * held_px + (qty * px if long else -qty * px))
        stop_loss, take_profit = self._bracket(fill, long)
        update = {"qty": qty, "notional": None, "stop_loss": stop_loss, "take_profit": take_profit}
        return self.req.model_copy(update=update)

    def _check_asset(self, long: bool, step: Decimal) -> None:
        asset = self.market.assets.get(self.req.symbol)
        if asset is None:
            return
        if not asset.tradable:
            raise _Denied(ReasonCode.NOT_TRADABLE, f"{asset.symbol} is not tradable")
        if not long and not asset.shortable:
            raise _Denied(ReasonCode.NOT_SHORTABLE, f"{asset.symbol} cannot be shorted")
        if self.req.qty is not None and step != WHOLE and not asset.fractionable:
            raise _Denied(ReasonCode.NOT_FRACTIONABLE, f"{asset.symbol} needs whole quantities")

    def _check_given_bracket(self, ref: Decimal, long: bool) -> None:
        sl, tp = self.req.stop_loss, self.req.take_profit
        sl_wrong = sl is not None and (sl >= ref if long else sl <= ref)
        tp_wrong = tp is not None and (tp <= ref if long else tp >= ref)
        if sl_wrong or tp_wrong:
            side = "long" if long else "short"
            legs = (("stop_loss", sl, sl_wrong), ("take_profit", tp, tp_wrong))
            wrong = [f"{name} {_n(value)}" for name, value, bad in legs if bad]
            msg = f"{side} entry @ {_n(ref)}: {' and '.join(wrong)} on the wrong side"
            raise _Denied(ReasonCode.INVALID_BRACKET, msg)

    def _check_open_positions(self, held: Decimal) -> None:
        if held != 0:
            return
        count = sum(1 for s, (q, _) in self.book.items() if q != 0 and s != self.req.symbol)
        if count >= self.lim.max_open_positions:
            limit = self.lim.max_open_positions
            raise _Denied(ReasonCode.MAX_OPEN_POSITIONS, f"{count} open positions, max {limit}")

    def _resize(self, qty: Decimal, step: Decimal, existing: Decimal, px: Decimal) -> Decimal:
        lim, account = self.lim, self.account
        gross = sum((abs(q) * p for q, p in self.book.values()), ZERO)
        rooms = (
            lim.max_position_pct * account.equity - existing,
            lim.max_leverage * account.equity - gross,
            account.buying_power,
        )
        sizes = [_max_qty(room, px, step) for room in rooms]
        allowed = min(qty, *sizes)
        if allowed == qty:
            return qty
        caps = (
            f"max position {_pct(lim.max_position_pct)} of equity",
            f"max gross exposure {_n(lim.max_leverage)}x equity",
            "buying power",
        )
        for size, room, cap, (resized, denied) in zip(sizes, rooms, caps, _CAPS, strict=True):
            if size != allowed:
                continue
            left = f"${max(room, ZERO):,.2f} left"
            if allowed <= 0:
                unit = "one share" if step == WHOLE else "the smallest quantity"
                head = f"{cap}: {left}" if resized is ReasonCode.RESIZED_BUYING_POWER else (
                    f"{cap} reached: {left}"
                )  # fmt: skip
                raise _Denied(denied, f"{head}, less than {unit} at {_n(px)}")
            self._note(resized, f"qty {_n(qty)} -> {_n(allowed)}: {cap}, {left} at {_n(px)}")
        return allowed

    def _check_correlation(self, long: bool) -> None:
        symbol, lim = self.req.symbol, self.lim
        others = [(s, q) for s, (q, _) in self.book.items() if q != 0 and s != symbol]
        if not others:
            return
        skipped, worst = [], (-2.0, "", "")
        for other, q in others:
            pair_symbols = (symbol, other)
            pair = aligned_returns(self.market.returns, pair_symbols, lim.correlation_window)
            gap = self._history_gap(pair_symbols, pair, lim.correlation_min_periods)
            rho = None if gap or pair is None else pearson(*pair.matrix)
            if rho is None:
                skipped.append(f"{other} ({gap or 'constant returns'})")
                continue
            effective = rho if long == (q > 0) else -rho
            worst = max(worst, (effective, other, _span(pair)))
        if worst[0] > lim.max_correlation:
            shown = _above(worst[0], lim.max_correlation)
            msg = f"correlation {shown} with {worst[1]} > {lim.max_correlation} {worst[2]}"
            raise _Denied(ReasonCode.CORRELATION_LIMIT, msg)
        if skipped:
            self._note(ReasonCode.CORRELATION_SKIPPED, f"not checked vs {', '.join(skipped)}")

    def _check_var(self, symbol_exposure: Decimal) -> None:
        cap, lim = self.lim.max_var_pct, self.lim
        if cap is None:
            return
        exposures = {s: float(q * p) for s, (q, p) in self.book.items() if q != 0}
        exposures[self.req.symbol] = float(symbol_exposure)
        aligned = aligned_returns(self.market.returns, list(exposures), lim.var_window)
        gap = self._history_gap(list(exposures), aligned, lim.var_min_periods)
        if gap or aligned is None:
            self._note(ReasonCode.VAR_SKIPPED, f"VaR not checked: {gap}")
            return
        pnl = replay(exposures, aligned)
        var = historical_var(pnl, lim.var_confidence) / float(self.account.equity)
        if var > cap:
            msg = f"post-trade VaR{lim.var_confidence:.0%} {var:.2%} of equity > {cap:.2%}"
            raise _Denied(ReasonCode.VAR_LIMIT, f"{msg} {_span(aligned)}")

    def _bracket(self, ref: Decimal, long: bool) -> tuple[Decimal, Decimal]:
        sl, tp, lim = self.req.stop_loss, self.req.take_profit, self.lim
        sign = 1 if long else -1
        if sl is None:
            sl = _round_away(ref * (1 - sign * lim.default_stop_loss_pct), ref)
            self._note(ReasonCode.STOP_LOSS_ATTACHED, f"stop-loss {_n(sl)} from {_n(ref)}")
        if tp is None:
            tp = _round_away(ref * (1 + sign * lim.default_take_profit_pct), ref)
            self._note(ReasonCode.TAKE_PROFIT_ATTACHED, f"take-profit {_n(tp)} from {_n(ref)}")
        return sl, tp

    def _history_gap(
        self, symbols: Sequence[str], aligned: AlignedReturns | None, needed: int
    ) -> str:
        """Why the returns of `symbols` are too short to judge on ("" when they are not):
        a symbol without history, or too few days they all have (data that end early)."""
        missing = [s for s in symbols if s not in self.market.returns]
        if missing or aligned is None:
            return f"no return history for {', '.join(missing)}"
        if aligned.count >= needed:
            return ""
        return f"only {aligned.count} common days of {', '.join(symbols)} returns, {needed} needed"

    def _note(self, code: ReasonCode, message: str) -> None:
        self.reasons.append(_note(code, message))


def _n(value: Decimal) -> str:
    """A price or quantity for a message: at most 4 decimals, no float noise."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _span(aligned: AlignedReturns) -> str:
    """The days a figure was computed over, for its message: "(60 days to 2017-11-10)"."""
    return f"({aligned.count} days to {aligned.last_day})"


def _pct(fraction: Decimal) -> str:
    """0.10 -> "10%"."""
    return f"{_n(fraction * 100)}%"


def _note(code: ReasonCode, message: str) -> RiskReason:
    return RiskReason(code=code, message=message, blocking=False)


def _book(
    positions: Sequence[Position], prices: Mapping[str, Decimal]
) -> dict[str, tuple[Decimal, Decimal]]:
    """symbol -> (net signed qty, last price); duplicates are netted."""
    book: dict[str, tuple[Decimal, Decimal]] = {}
    for p in positions:
        qty = book[p.symbol][0] + p.qty if p.symbol in book else p.qty
        book[p.symbol] = (qty, prices.get(p.symbol, p.market_price))
    return book


def order_price(req: OrderRequest, last: Decimal) -> Decimal:
    """The price an order names (a limit's limit, a stop's trigger), else the last price: the
    worst it may fill at, so orders are sized and valued at it."""
    if req.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and req.limit_price is not None:
        return req.limit_price
    if req.type is OrderType.STOP and req.stop_price is not None:
        return req.stop_price
    return last


def expected_fill_price(req: OrderRequest, last: Decimal) -> Decimal:
    """Where `req` should fill with the market at `last`: a market order, a limit the market
    already crosses (buy limit 90 with the last at 83.87) and a stop already triggered fill
    at the market; a resting limit at its limit, a resting stop at its trigger. Stops and
    targets are set from this price (not from a limit the fill will beat)."""
    buy = req.side is Side.BUY
    at_market = min if buy else max  # the better of the order's price and the market's
    triggered = max if buy else min  # a stop fills at its trigger or, once crossed, market
    if req.type is OrderType.LIMIT and req.limit_price is not None:
        return at_market(req.limit_price, last)
    if req.type is OrderType.STOP and req.stop_price is not None:
        return triggered(req.stop_price, last)
    if req.type is OrderType.STOP_LIMIT and req.limit_price is not None:
        trigger = triggered(req.stop_price, last) if req.stop_price is not None else last
        return at_market(req.limit_price, trigger)
    return last


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _max_qty(room: Decimal, px: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of `step` whose value at `px` fits in `room` (0 when none)."""
    if room <= 0:
        return ZERO
    qty = _floor(room / px, step)
    if qty * px > room:  # the quotient was rounded up in its last digit
        qty -= step
    return max(qty, ZERO)


def price_tick(price: Decimal) -> Decimal:
    """The price increment near `price`: 0.01 at or above 1, else four significant digits
    (at least 1e-4)."""
    return Decimal("0.01") if price >= 1 else WHOLE.scaleb(min(-4, price.adjusted() - 3))


def _round_away(price: Decimal, ref: Decimal) -> Decimal:
    """Round `price` to the tick of `ref`, away from `ref` (a stop never lands on it)."""
    rounding = ROUND_FLOOR if price < ref else ROUND_CEILING
    return price.quantize(price_tick(ref), rounding=rounding)


def _above(value: float, limit: float) -> str:
    """`value` with the fewest decimals (2 at least) that still show it above `limit`:
    "0.7012", not "0.70 > 0.7"."""
    for digits in range(2, 7):
        text = f"{value:.{digits}f}"
        if float(text) > limit:
            return text
    return repr(value)
