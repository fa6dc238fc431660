"""Property tests: whatever the account, positions, prices and request, an approved order
(its adjusted_request) never breaks a limit.

Tolerance: none. The gate floors quantities and re-checks qty x price against the room in
50-digit Decimal arithmetic; these tests recompute the limits independently with 60 digits,
where every product below is exact, so `<=` is checked exactly.
"""

from datetime import UTC, datetime
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tradepit.domain.models import (
    Account,
    OrderRequest,
    OrderType,
    Position,
    Side,
    TradingState,
)
from tradepit.risk import (
    DailyReturns,
    MarketContext,
    ReasonCode,
    RiskGate,
    RiskLimits,
    stricter,
)
from tradepit.risk.state import evaluate_state

T0 = datetime(2024, 3, 1, 15, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG")
CODES = {c.value for c in ReasonCode}
LIMIT_SETS = (
    RiskLimits(),
    RiskLimits(max_leverage=Decimal(2), max_position_pct=Decimal("0.3")),
    RiskLimits(max_open_positions=2, max_position_pct=Decimal("0.5")),
)

money = st.decimals(min_value=Decimal(500), max_value=Decimal(10_000_000), places=2)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2)
whole = st.integers(1, 20_000).map(Decimal)
fractional = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(20_000), places=3)
quantities = st.one_of(whole, fractional)
held_quantities = st.one_of(
    st.integers(1, 500).map(Decimal),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3),
)
MOSTLY = [True] * 9 + [False]
SHARES = [Decimal(x) for x in ("0.03", "0.09", "0.12", "0.4", "0.8", "2.5")]
LAST_FACTORS = [Decimal(f) for f in ("1",) * 8 + ("0.97", "0.99", "1.02", "1.035", "1.06")]
PEAK_FACTORS = [Decimal(1)] * 12 + [Decimal("1.05"), Decimal("1.08"), Decimal("1.2")]
factor = st.decimals(min_value=Decimal("0.85"), max_value=Decimal("1.2"), places=3)


@st.composite
def accounts(draw) -> Account:
    broke = draw(st.sampled_from([None] * 38 + [Decimal(0), Decimal(-100)]))
    equity = draw(money) if broke is None else broke
    last = equity * draw(st.sampled_from(LAST_FACTORS))
    peak = max(equity, last) * draw(st.sampled_from(PEAK_FACTORS))
    bp = draw(st.sampled_from(["2x", "1x", "1x", "random", "zero"]))
    buying_power = {"2x": 2 * equity, "1x": equity, "zero": Decimal(0)}.get(bp) or draw(money)
    return Account(
        id="p",
        cash=equity,
        equity=equity,
        buying_power=max(buying_power, Decimal(0)),
        last_equity=last,
        equity_peak=peak,
        timestamp=T0,
    )


@st.composite
def books(draw) -> tuple[list[Position], dict[str, Decimal]]:
    last = {s: draw(prices) for s in SYMBOLS if draw(st.sampled_from(MOSTLY))}
    held = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=6))
    positions = []
    for s in held:
        qty = draw(held_quantities) * draw(st.sampled_from([1, -1]))
        positions.append(
            Position(symbol=s, qty=qty, avg_entry_price=Decimal(1), market_price=draw(prices))
        )
    return positions, last


@st.composite
def requests(draw, last: dict[str, Decimal], equity: Decimal) -> OrderRequest:
    symbol = draw(st.sampled_from(SYMBOLS))
    side = draw(st.sampled_from(Side))
    anchor = last.get(symbol, Decimal(100))
    kw: dict = {}
    mode = draw(st.sampled_from(["qty", "notional", "share", "share"]))
    if mode == "qty":
        kw["qty"] = draw(quantities)
    elif mode == "notional":
        kw["notional"] = draw(
            st.decimals(min_value=Decimal(1), max_value=Decimal(2_000_000), places=2)
        )
    else:  # a share of equity around the limits, so that resizing happens often
        value = max(equity, Decimal(1)) * draw(st.sampled_from(SHARES))
        kw["qty"] = (value / anchor).to_integral_value() + 1
    if not draw(st.sampled_from(MOSTLY)):
        kw["type"] = OrderType.LIMIT
        kw["limit_price"] = (anchor * draw(factor)).quantize(Decimal("0.01")) or Decimal("0.01")
    if not draw(st.sampled_from(MOSTLY)):
        kw["stop_loss"] = (anchor * draw(factor)).quantize(Decimal("0.01")) or Decimal("0.01")
    return OrderRequest(symbol=symbol, side=side, **kw)


def _held(
    positions: list[Position], last: dict[str, Decimal]
) -> dict[str, tuple[Decimal, Decimal]]:
    return {p.symbol: (p.qty, last.get(p.symbol, p.market_price)) for p in positions}


def _reference(req: OrderRequest, last: Decimal) -> Decimal:
    """The price an entry is sized at: its limit, else the last price."""
    return req.limit_price if req.type is OrderType.LIMIT else last


def _fill(req: OrderRequest, last: Decimal) -> Decimal:
    """Where the entry fills: a limit at its limit or, when the market is already better,
    at the market."""
    if req.type is not OrderType.LIMIT:
        return last
    better = min if req.side is Side.BUY else max
    return better(req.limit_price, last)


def _caps(symbol, qty, px, limits, account, book) -> list[tuple[Decimal, Decimal]]:
    """(value, cap) for the position size, gross exposure and buying power rules, exact."""
    held, held_px = book.get(symbol, (Decimal(0), px))
    with localcontext() as ctx:
        ctx.prec = 60
        position_value = abs(held) * held_px + qty * px
        others = sum((abs(q) * p for s, (q, p) in book.items() if s != symbol), Decimal(0))
        return [
            (position_value, limits.max_position_pct * account.equity),
            (others + position_value, limits.max_leverage * account.equity),
            (qty * px, account.buying_power),
        ]


def _assert_entry_within_limits(v, limits, account, book, last_px) -> None:
    req = v.adjusted_request
    assert v.state is TradingState.ACTIVE
    ref = _fill(req, last_px)
    long = req.side is Side.BUY
    # every approved entry carries a stop-loss and a take-profit on the right side
    assert req.stop_loss is not None and req.take_profit is not None
    assert (
        (req.stop_loss < ref < req.take_profit) if long else (req.take_profit < ref < req.stop_loss)
    )
    held = book.get(req.symbol, (Decimal(0), last_px))[0]
    assert held == 0 or (held > 0) == long  # an entry never trades against a holding
    px = max(_reference(req, last_px), last_px)
    for value, cap in _caps(req.symbol, req.qty, px, limits, account, book):
        assert value <= cap
    open_after = {s for s, (q, _) in book.items() if q != 0} | {req.symbol}
    assert len(open_after) <= limits.max_open_positions or held != 0


@settings(max_examples=250, deadline=None)
@given(data=st.data(), account=accounts(), book=books(), limits=st.sampled_from(LIMIT_SETS))
def test_approved_orders_never_break_a_limit(data, account, book, limits):
    positions, last = book
    request = data.draw(requests(last, account.equity))
    state = data.draw(st.sampled_from([None] * 10 + list(TradingState)))
    v = RiskGate(limits).check(request, account, positions, MarketContext(prices=last), state)

    assert set(v.codes) <= CODES
    assert v.state is stricter(state or TradingState.ACTIVE, evaluate_state(account, limits))
    if not v.approved:
        event(f"denied {v.codes[-1]}")
        assert v.adjusted_request is None and v.reasons[-1].blocking
        return
    assert not any(r.blocking for r in v.reasons)
    adj = v.adjusted_request
    assert OrderRequest.model_validate(adj.model_dump()) == adj  # a valid request
    assert adj.qty is not None and adj.qty > 0 and adj.notional is None
    assert (adj.symbol, adj.side, adj.type, adj.limit_price) == (
        request.symbol,
        request.side,
        request.type,
        request.limit_price,
    )
    if request.qty is not None:
        assert adj.qty <= request.qty
    book_ = _held(positions, last)
    held = book_.get(adj.symbol, (Decimal(0), None))[0]
    new = held + adj.side.sign * adj.qty
    reduces = held != 0 and abs(new) < abs(held) and (new == 0 or (new > 0) == (held > 0))
    if reduces:
        event("approved risk-reducing")
        return  # allowed in every state
    event("approved entry" + (" (resized)" if any("resized" in c for c in v.codes) else ""))
    last_px = last.get(adj.symbol, book_.get(adj.symbol, (0, None))[1])
    _assert_entry_within_limits(v, limits, account, book_, last_px)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), book=books(), equity=money, bp=st.sampled_from(["1x", "2x", "0.3x"]))
def test_resized_entries_get_the_largest_allowed_quantity(data, book, equity, bp):
    positions, last = book
    request = data.draw(requests(last, equity))
    power = {"1x": equity, "2x": 2 * equity, "0.3x": equity * Decimal("0.3")}[bp]
    account = Account(
        id="p",
        cash=equity,
        equity=equity,
        buying_power=power,
        last_equity=equity,
        equity_peak=equity,
        timestamp=T0,
    )
    v = RiskGate().check(request, account, positions, MarketContext(prices=last))
    book_ = _held(positions, last)
    held = book_.get(request.symbol, (Decimal(0), None))[0]
    if not v.approved or (held != 0 and (held > 0) != (request.side is Side.BUY)):
        return
    adj = v.adjusted_request
    last_px = last.get(adj.symbol, book_.get(adj.symbol, (0, None))[1])
    px = max(_reference(adj, last_px), last_px)
    resized = [c for c in v.codes if c.startswith("resized_")]
    if not resized:
        event("entry as requested")
        assert request.qty is None or adj.qty == request.qty
        return
    event("entry resized")
    whole = request.qty is not None and request.qty == request.qty.to_integral_value()
    step = Decimal(1) if whole else Decimal("1e-9")
    assert all(
        value <= cap for value, cap in _caps(adj.symbol, adj.qty, px, RiskLimits(), account, book_)
    )
    bigger = _caps(adj.symbol, adj.qty + step, px, RiskLimits(), account, book_)
    assert any(value > cap for value, cap in bigger)  # one more step breaks a limit


@settings(max_examples=100, deadline=None)
@given(
    book=books(),
    state=st.sampled_from(TradingState),
    fraction=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(3), places=3),
    data=st.data(),
)
def test_closing_orders_always_pass(book, state, fraction, data):
    positions, last = book
    if not positions:
        return
    target = data.draw(st.sampled_from(positions))
    qty = (abs(target.qty) * fraction).quantize(Decimal("0.001")) or Decimal("0.001")
    side = Side.SELL if target.qty > 0 else Side.BUY
    request = OrderRequest(symbol=target.symbol, side=side, qty=qty)
    broke = Account(
        id="p",
        cash=Decimal(0),
        equity=Decimal(1),
        buying_power=Decimal(0),
        last_equity=Decimal(1000),
        equity_peak=Decimal(5000),
        timestamp=T0,
    )
    v = RiskGate().check(request, broke, positions, MarketContext(prices=last), state)
    assert v.approved and v.state is TradingState.HALTED
    assert v.adjusted_request.qty == min(qty, abs(target.qty))


DAYS = np.busday_offset(np.datetime64("2018-12-31"), np.arange(-299, 1), roll="backward")


@st.composite
def histories(draw) -> dict[str, DailyReturns]:
    """Returns on one calendar of 300 business days; a symbol's history may be short, end
    early (its data stop before the others') or miss days."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    common = rng.normal(0, 0.02, 300)
    out = {}
    for s in SYMBOLS:
        if not draw(st.sampled_from([True] * 9 + [False])):
            continue  # no history for this symbol
        beta = draw(st.floats(-1.5, 1.5))
        length = draw(st.sampled_from([15, 60, 300, 300, 300]))
        end = 300 - draw(st.sampled_from([0, 0, 0, 5, 40, 100]))
        series = beta * common + rng.normal(0, draw(st.sampled_from([0.001, 0.01, 0.03])), 300)
        kept = np.zeros(300, dtype=bool)
        kept[max(0, end - length) : end] = True
        if draw(st.booleans()):
            kept &= rng.random(300) > 0.1  # gaps
        out[s] = DailyReturns(days=DAYS[kept], values=series[kept])
    return out


def _by_date(returns: dict[str, DailyReturns], symbols: list[str], window: int) -> pd.DataFrame:
    """The last `window` days all of `symbols` have (pandas inner join: independent of the
    gate's own alignment)."""
    columns = [pd.Series(returns[s].values, index=returns[s].days, name=s) for s in symbols]
    return pd.concat(columns, axis=1, join="inner").dropna().iloc[-window:]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), book=books(), returns=histories(), equity=money)
def test_approved_entries_respect_correlation_and_var(data, book, returns, equity):
    positions, last = book
    request = data.draw(requests(last, equity))
    limits = RiskLimits(
        max_position_pct=Decimal("0.5"), max_leverage=Decimal(2), max_open_positions=7
    )
    account = Account(
        id="p",
        cash=equity,
        equity=equity,
        buying_power=equity * 2,
        last_equity=equity,
        equity_peak=equity,
        timestamp=T0,
    )
    market = MarketContext(prices=last, returns=returns)
    v = RiskGate(limits).check(request, account, positions, market)
    book_ = _held(positions, last)
    held = book_.get(request.symbol, (Decimal(0), None))[0]
    if not v.approved or (held != 0 and (held > 0) != (request.side is Side.BUY)):
        event("denied " + v.codes[-1] if not v.approved else "approved risk-reducing")
        return
    event("approved entry" + (" (var checked)" if "var_skipped" not in v.codes else ""))
    adj = v.adjusted_request
    long = adj.side is Side.BUY
    for other, (q, _) in book_.items():
        if other == adj.symbol or q == 0 or adj.symbol not in returns or other not in returns:
            continue
        pair = _by_date(returns, [adj.symbol, other], limits.correlation_window)
        if len(pair) < limits.correlation_min_periods:
            continue
        rho = pair.corr().iloc[0, 1]
        assert (rho if long == (q > 0) else -rho) <= limits.max_correlation + 1e-9
    # VaR recomputed independently: signed exposures x the last common days
    px = max(_reference(adj, last.get(adj.symbol, Decimal(0))), last.get(adj.symbol, Decimal(0)))
    exposure = {s: float(q * p) for s, (q, p) in book_.items() if q != 0}
    exposure[adj.symbol] = float(
        held * book_.get(adj.symbol, (0, px))[1] + adj.side.sign * adj.qty * px
    )
    if all(s in returns for s in exposure):
        days = _by_date(returns, list(exposure), limits.var_window)
        if len(days) >= limits.var_min_periods:
            pnl = sum(e * days[s].to_numpy() for s, e in exposure.items())
            assert -np.quantile(pnl, 0.05) <= limits.max_var_pct * float(equity) * (1 + 1e-12)
