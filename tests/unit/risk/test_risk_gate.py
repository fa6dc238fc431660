"""Risk gate rules with hand-checked numbers (equity 100,000 unless stated)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import numpy as np
import pytest
from tests.dated_returns import dated

from tradepit.domain.models import (
    Account,
    Asset,
    OrderRequest,
    OrderType,
    Position,
    Side,
    TradingState,
)
from tradepit.risk import DailyReturns, MarketContext, ReasonCode, RiskGate, RiskLimits

T0 = datetime(2024, 3, 1, 15, tzinfo=UTC)
GATE = RiskGate()


def account(equity="100000", last=None, peak=None, bp=None) -> Account:
    e = D(equity)
    return Account(
        id="acc",
        cash=e,
        equity=e,
        buying_power=D(bp) if bp is not None else e,
        last_equity=D(last) if last is not None else e,
        equity_peak=D(peak) if peak is not None else e,
        timestamp=T0,
    )


def pos(symbol: str, qty, price="100") -> Position:
    return Position(symbol=symbol, qty=D(qty), avg_entry_price=D(price), market_price=D(price))


def buy(symbol="AAA", qty="50", **kw) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side.BUY, qty=D(qty), **kw)


def sell(symbol="AAA", qty="50", **kw) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side.SELL, qty=D(qty), **kw)


def market(**prices) -> MarketContext:
    return MarketContext(prices={s: D(p) for s, p in prices.items()})


M100 = market(AAA="100", BBB="100", CCC="100", DDD="100", EEE="100", FFF="100")


def codes(verdict) -> set[str]:
    return set(verdict.codes)


# --- plain entries and brackets -------------------------------------------------------------


def test_long_entry_within_limits_gets_default_bracket():
    v = GATE.check(buy(qty="50"), account(), [], M100)
    assert v.approved and v.state is TradingState.ACTIVE
    adj = v.adjusted_request
    assert adj.qty == 50
    assert (adj.stop_loss, adj.take_profit) == (D("98.00"), D("106.00"))
    assert {"stop_loss_attached", "take_profit_attached"} <= codes(v)
    assert not any(r.blocking for r in v.reasons)


def test_short_entry_bracket_is_mirrored():
    adj = GATE.check(sell(qty="50"), account(), [], M100).adjusted_request
    assert (adj.stop_loss, adj.take_profit) == (D("102.00"), D("94.00"))


def test_bracket_prices_round_away_from_reference():
    # 123.45 * 0.98 = 120.981 -> 120.98; * 1.06 = 130.857 -> 130.86
    long = GATE.check(buy(qty="1"), account(), [], market(AAA="123.45")).adjusted_request
    assert (long.stop_loss, long.take_profit) == (D("120.98"), D("130.86"))
    # 123.45 * 1.02 = 125.919 -> 125.92; * 0.94 = 116.043 -> 116.04
    short = GATE.check(sell(qty="1"), account(), [], market(AAA="123.45")).adjusted_request
    assert (short.stop_loss, short.take_profit) == (D("125.92"), D("116.04"))


def test_sub_dollar_price_uses_finer_tick():
    # 0.5 * 0.98 = 0.49 exactly; 0.01234 * 0.98 = 0.0120932 -> 0.01209 (4 significant digits)
    adj = GATE.check(buy(qty="10"), account(), [], market(AAA="0.5")).adjusted_request
    assert adj.stop_loss == D("0.4900")
    adj = GATE.check(buy(qty="10"), account(), [], market(AAA="0.01234")).adjusted_request
    assert adj.stop_loss == D("0.01209") and adj.take_profit == D("0.01309")


def test_given_bracket_is_kept_and_wrong_side_is_denied():
    v = GATE.check(buy(stop_loss=D(95), take_profit=D(120)), account(), [], M100)
    assert v.approved and (v.adjusted_request.stop_loss, v.adjusted_request.take_profit) == (
        D(95),
        D(120),
    )
    assert "stop_loss_attached" not in codes(v)
    v = GATE.check(buy(stop_loss=D(101)), account(), [], M100)
    assert not v.approved and v.codes[-1] == ReasonCode.INVALID_BRACKET
    assert v.reasons[-1].message == "long entry @ 100: stop_loss 101 on the wrong side"
    v = GATE.check(sell(take_profit=D(105)), account(), [], M100)
    assert not v.approved and v.codes[-1] == ReasonCode.INVALID_BRACKET


def test_limit_order_anchors_bracket_on_its_fill_and_sizes_at_the_higher_price():
    # buy limit 90 with last 100: bracket from 90 (88.20 / 95.40), size valued at 100 -> 100 max
    v = GATE.check(buy(qty="150", type=OrderType.LIMIT, limit_price=D(90)), account(), [], M100)
    adj = v.adjusted_request
    assert (adj.stop_loss, adj.take_profit, adj.qty) == (D("88.20"), D("95.40"), 100)
    # marketable buy limit 125: sized at 125 (10,000 / 125 = 80), but it fills at the market,
    # so its bracket is anchored on the last price, 100: a stop from 125 (122.50) would sit
    # above the fill and sell at once
    v = GATE.check(buy(qty="150", type=OrderType.LIMIT, limit_price=D(125)), account(), [], M100)
    adj = v.adjusted_request
    assert (adj.stop_loss, adj.take_profit, adj.qty) == (D("98.00"), D("106.00"), 80)
    # a marketable sell limit 80 (short entry) likewise
    v = GATE.check(sell(qty="10", type=OrderType.LIMIT, limit_price=D(80)), account(), [], M100)
    assert (v.adjusted_request.stop_loss, v.adjusted_request.take_profit) == (D(102), D(94))


# --- sizing: resize vs deny -----------------------------------------------------------------


def test_entry_above_max_position_is_resized_to_ten_percent():
    v = GATE.check(buy(qty="150"), account(), [], M100)
    assert v.approved and v.adjusted_request.qty == 100  # 10,000 / 100
    assert ReasonCode.RESIZED_MAX_POSITION in codes(v)


def test_add_to_position_counts_the_existing_holding():
    v = GATE.check(buy(qty="100"), account(), [pos("AAA", "40")], M100)
    assert v.adjusted_request.qty == 60


def test_fractional_request_is_resized_fractionally():
    v = GATE.check(buy(qty="150.5"), account(), [], market(AAA="300"))
    assert v.adjusted_request.qty == D("33.333333333")  # 10,000 / 300 in 1e-9 steps


def test_whole_request_is_resized_to_whole_shares():
    v = GATE.check(buy(qty="150"), account(), [], market(AAA="300"))
    assert v.adjusted_request.qty == 33


def test_position_already_at_cap_is_denied():
    v = GATE.check(buy(qty="1"), account(), [pos("AAA", "100")], M100)
    assert not v.approved and v.adjusted_request is None
    assert v.codes[-1] == ReasonCode.MAX_POSITION_SIZE and v.reasons[-1].blocking


def test_cap_messages_say_which_limit_and_what_is_left_in_dollars():
    """The denial read "no max position size: room 19.47 @ 83.87" (19.47 was dollars)."""
    held = [pos("AAA", "119", price="83.87")]
    v = GATE.check(buy(qty="1"), account(), held, market(AAA="83.87"))
    assert v.reasons[-1].message == (
        "max position 10% of equity reached: $19.47 left, less than one share at 83.87"
    )
    resized = GATE.check(buy(qty="150"), account(), [], M100)
    assert [r.message for r in resized.reasons if r.code == "resized_max_position"] == [
        "qty 150 -> 100: max position 10% of equity, $10,000.00 left at 100"
    ]
    broke = GATE.check(buy(qty="50"), account(bp="99.99"), [], M100)
    assert broke.reasons[-1].message == ("buying power: $99.99 left, less than one share at 100")
    gross = RiskGate(RiskLimits(max_position_pct=D("0.5"), max_open_positions=10))
    full = [pos(s, "250") for s in ("BBB", "CCC", "DDD", "EEE")]
    assert gross.check(buy(qty="1"), account(), full, M100).reasons[-1].message == (
        "max gross exposure 1x equity reached: $0.00 left, less than one share at 100"
    )


def test_position_grown_above_cap_blocks_adds_but_not_sells():
    held = [pos("AAA", "100", price="120")]
    assert not GATE.check(buy(qty="1"), account(), held, market(AAA="120")).approved
    assert GATE.check(sell(qty="30"), account(), held, market(AAA="120")).approved


def test_short_position_size_is_absolute():
    v = GATE.check(sell(qty="100"), account(), [pos("AAA", "-70")], M100)
    assert v.adjusted_request.qty == 30


def test_gross_exposure_resizes_then_denies():
    limits = RiskLimits(max_position_pct=D("0.5"), max_open_positions=10)
    held = [pos("BBB", "300"), pos("CCC", "300"), pos("DDD", "300")]  # 90,000 gross
    v = RiskGate(limits).check(buy(qty="200"), account(), held, M100)
    assert v.adjusted_request.qty == 100 and ReasonCode.RESIZED_GROSS_EXPOSURE in codes(v)
    held.append(pos("EEE", "100"))  # 100,000 gross = 1x equity
    v = RiskGate(limits).check(buy(qty="1"), account(), held, M100)
    assert not v.approved and v.codes[-1] == ReasonCode.MAX_GROSS_EXPOSURE


def test_leverage_two_allows_more_gross_exposure():
    limits = RiskLimits(max_position_pct=D("0.5"), max_open_positions=10, max_leverage=D(2))
    held = [pos("BBB", "300"), pos("CCC", "300"), pos("DDD", "300")]
    v = RiskGate(limits).check(buy(qty="200"), account(bp="200000"), held, M100)
    assert v.approved and v.adjusted_request.qty == 200 and not any("resized" in c for c in v.codes)


def test_buying_power_resizes_then_denies():
    v = GATE.check(buy(qty="50"), account(bp="3000"), [], M100)
    assert v.adjusted_request.qty == 30 and ReasonCode.RESIZED_BUYING_POWER in codes(v)
    v = GATE.check(buy(qty="50"), account(bp="99.99"), [], M100)
    assert not v.approved and v.codes[-1] == ReasonCode.INSUFFICIENT_BUYING_POWER


def test_only_the_binding_cap_is_reported():
    # position cap allows 100, buying power 120: only the position cap binds
    v = GATE.check(buy(qty="500"), account(bp="12000"), [], M100)
    assert v.adjusted_request.qty == 100
    assert ReasonCode.RESIZED_MAX_POSITION in codes(v)
    assert ReasonCode.RESIZED_BUYING_POWER not in codes(v)


def test_max_open_positions_blocks_a_sixth_symbol_but_not_adds():
    held = [pos(s, "10") for s in ("BBB", "CCC", "DDD", "EEE", "FFF")]
    v = GATE.check(buy("AAA", "10"), account(), held, M100)
    assert not v.approved and v.codes[-1] == ReasonCode.MAX_OPEN_POSITIONS
    assert GATE.check(buy("BBB", "10"), account(), held, M100).approved
    held[0] = pos("BBB", "0")  # a flat position does not count
    assert GATE.check(buy("AAA", "10"), account(), held, M100).approved


# --- notional, prices, quantities -----------------------------------------------------------


def test_notional_is_converted_at_reference_price():
    req = OrderRequest(symbol="AAA", side=Side.BUY, notional=D(2500))
    v = GATE.check(req, account(), [], M100)
    assert v.adjusted_request.qty == 25 and v.adjusted_request.notional is None
    assert ReasonCode.NOTIONAL_CONVERTED in codes(v)
    req = OrderRequest(symbol="AAA", side=Side.BUY, notional=D(1000))
    v = GATE.check(req, account(), [], market(AAA="300"))
    assert v.adjusted_request.qty == D("3.333333333")


def test_notional_on_whole_share_asset_floors_and_denies_below_one_share():
    ctx = MarketContext(
        prices={"AAA": D(300)}, assets={"AAA": Asset(symbol="AAA", fractionable=False)}
    )
    req = OrderRequest(symbol="AAA", side=Side.BUY, notional=D(1000))
    assert GATE.check(req, account(), [], ctx).adjusted_request.qty == 3
    req = OrderRequest(symbol="AAA", side=Side.BUY, notional=D(299))
    assert GATE.check(req, account(), [], ctx).codes[-1] == ReasonCode.INVALID_QUANTITY


def test_unknown_price_is_denied_but_held_position_price_is_used():
    v = GATE.check(buy("ZZZ"), account(), [], M100)
    assert not v.approved and v.codes == ("no_price",)
    v = GATE.check(sell("ZZZ", "5"), account(), [pos("ZZZ", "5", price="40")], M100)
    assert v.approved and v.adjusted_request.qty == 5


def test_non_positive_qty_is_denied():
    v = GATE.check(buy(qty="0"), account(), [], M100)
    assert v.codes[-1] == ReasonCode.INVALID_QUANTITY


def test_asset_flags():
    flags = {
        "AAA": Asset(symbol="AAA", tradable=False),
        "BBB": Asset(symbol="BBB", shortable=False),
        "CCC": Asset(symbol="CCC", fractionable=False),
    }
    ctx = MarketContext(prices=M100.prices, assets=flags)
    assert GATE.check(buy("AAA"), account(), [], ctx).codes[-1] == ReasonCode.NOT_TRADABLE
    assert GATE.check(sell("BBB"), account(), [], ctx).codes[-1] == ReasonCode.NOT_SHORTABLE
    assert GATE.check(buy("BBB"), account(), [], ctx).approved
    assert GATE.check(buy("CCC", "1.5"), account(), [], ctx).codes[-1] == "not_fractionable"
    # exits are never blocked by asset flags
    assert GATE.check(sell("AAA", "5"), account(), [pos("AAA", "5")], ctx).approved


def test_no_equity_blocks_entries():
    broke = account(equity="-10", last="0", peak="0")
    assert GATE.check(buy(), broke, [], M100).codes[-1] == ReasonCode.NO_EQUITY


# --- risk-reducing orders and trading state -------------------------------------------------


@pytest.mark.parametrize("state", list(TradingState))
def test_reducing_orders_pass_in_every_state(state):
    held = [pos("AAA", "100"), pos("BBB", "-50")]
    v = GATE.check(sell("AAA", "40"), account(), held, M100, state=state)
    assert v.approved and v.adjusted_request.qty == 40
    assert v.adjusted_request.stop_loss is None  # exits get no bracket
    v = GATE.check(buy("BBB", "50"), account(), held, M100, state=state)
    assert v.approved and v.adjusted_request.qty == 50
    assert (ReasonCode.RISK_REDUCING in codes(v)) == (state is not TradingState.ACTIVE)


def test_flip_is_cut_to_the_closing_quantity():
    v = GATE.check(sell("AAA", "150"), account(), [pos("AAA", "100")], M100)
    assert v.approved and v.adjusted_request.qty == 100
    assert ReasonCode.RESIZED_TO_CLOSE in codes(v)
    assert v.reasons[0].message == "qty 150 -> 100: closes the 100 held, no flip"
    v = GATE.check(buy("AAA", "80"), account(), [pos("AAA", "-30")], M100, TradingState.HALTED)
    assert v.approved and v.adjusted_request.qty == 30


def test_notional_close_converts_and_caps_at_position():
    req = OrderRequest(symbol="AAA", side=Side.SELL, notional=D(1000))
    v = GATE.check(req, account(), [pos("AAA", "5", "150")], market(AAA="150"))
    assert v.adjusted_request.qty == 5  # 6.666666666 requested, 5 held


def test_entries_denied_when_halted_or_reducing_by_account():
    halted = account(equity="95000", last="100000", peak="100000")  # -5.00% on the day
    v = GATE.check(buy(), halted, [], M100)
    assert v.state is TradingState.HALTED and v.codes == ("daily_loss_halt", "trading_halted")
    reducing = account(equity="92000", last="92000", peak="100000")  # -8% drawdown
    v = GATE.check(buy(), reducing, [], M100)
    assert v.state is TradingState.REDUCING
    assert v.codes == ("drawdown_reducing", "reducing_only")
    v = GATE.check(buy(), account(equity="90000", last="90000", peak="100000"), [], M100)
    assert v.codes == ("drawdown_kill", "trading_halted")


def test_caller_state_can_only_tighten():
    v = GATE.check(buy(), account(), [], M100, state=TradingState.HALTED)
    assert not v.approved and v.state is TradingState.HALTED
    assert v.codes == ("state_override", "trading_halted")
    halted = account(equity="95000", last="100000")
    v = GATE.check(buy(), halted, [], M100, state=TradingState.ACTIVE)
    assert not v.approved and v.state is TradingState.HALTED


# --- correlation and VaR --------------------------------------------------------------------

BASE = np.random.default_rng(7).normal(0.0, 0.01, 120)
NOISE = np.random.default_rng(8).normal(0.0, 0.01, 120)


def returns(**series) -> dict[str, DailyReturns]:
    return {s: dated(values) for s, values in series.items()}


def test_correlated_same_direction_entry_is_denied_and_hedge_passes():
    ctx = MarketContext(prices=M100.prices, returns=returns(AAA=BASE, BBB=BASE * 2 + 0.001))
    held = [pos("BBB", "20")]
    v = GATE.check(buy("AAA", "10"), account(), held, ctx)
    assert not v.approved and v.codes[-1] == ReasonCode.CORRELATION_LIMIT
    assert v.reasons[-1].message == "correlation 1.00 with BBB > 0.7 (60 days to 2024-02-29)"
    assert GATE.check(sell("AAA", "10"), account(), held, ctx).approved  # hedge: -1.0
    ctx = MarketContext(prices=M100.prices, returns=returns(AAA=-BASE, BBB=BASE))
    assert GATE.check(buy("AAA", "10"), account(), held, ctx).approved


def test_correlation_threshold_on_a_constructed_series():
    # b = 0.6 a + 0.8 n with a, n uncorrelated-ish; the sample rho is checked, then the gate
    b = 0.6 * BASE + 0.8 * NOISE
    rho = np.corrcoef(BASE[-60:], b[-60:])[0, 1]
    ctx = MarketContext(prices=M100.prices, returns=returns(AAA=BASE, BBB=b))
    lo = RiskGate(RiskLimits(max_correlation=rho - 0.01, max_var_pct=None))
    hi = RiskGate(RiskLimits(max_correlation=rho + 0.01, max_var_pct=None))
    assert lo.check(buy(), account(), [pos("BBB", "10")], ctx).codes[-1] == "correlation_limit"
    assert hi.check(buy(), account(), [pos("BBB", "10")], ctx).approved


def test_correlation_uses_only_the_window():
    # opposite for the old 60 days, identical for the last 60: window 60 sees +1, 120 about 0
    b = np.concatenate([-BASE[:60], BASE[60:]])
    ctx = MarketContext(prices=M100.prices, returns=returns(AAA=BASE, BBB=b))
    gate = RiskGate(RiskLimits(correlation_window=60, max_var_pct=None))
    assert gate.check(buy(), account(), [pos("BBB", "10")], ctx).codes[-1] == "correlation_limit"
    assert abs(np.corrcoef(BASE, b)[0, 1]) < 0.3
    gate = RiskGate(RiskLimits(correlation_window=120, max_var_pct=None))
    assert gate.check(buy(), account(), [pos("BBB", "10")], ctx).approved
    short_hist = MarketContext(prices=M100.prices, returns=returns(AAA=BASE, BBB=b[-10:]))
    v = gate.check(buy(), account(), [pos("BBB", "10")], short_hist)
    assert v.approved and ReasonCode.CORRELATION_SKIPPED in codes(v)


def test_correlation_pairs_returns_by_date_when_a_history_ends_early():
    """BBB's data end 80 business days before AAA's. Paired by position, BBB's last 60 days
    met AAA's last 60 (other dates: rho ~0) and the entry passed; by date they are the
    same moves (rho 1) and the entry is denied."""
    a = dated(BASE, end="2018-12-31")
    b = DailyReturns(days=a.days[:40], values=2 * BASE[:40] + 0.001)  # ends 80 days early
    ctx = MarketContext(prices=M100.prices, returns={"AAA": a, "BBB": b})
    gate = RiskGate(RiskLimits(max_var_pct=None))
    assert abs(np.corrcoef(BASE[-40:], b.values)[0, 1]) < 0.5  # the positional pairing
    v = gate.check(buy(), account(), [pos("BBB", "10")], ctx)
    assert not v.approved and v.codes[-1] == ReasonCode.CORRELATION_LIMIT
    assert v.reasons[-1].message.endswith(f"(40 days to {a.days[39]})")


def test_too_few_common_days_skip_the_pair_and_say_why():
    a = dated(BASE, end="2018-12-31")
    b = DailyReturns(days=a.days[:15], values=BASE[:15])  # 15 common days < 20 needed
    disjoint = dated(BASE, end="2010-12-31")
    ctx = MarketContext(prices=M100.prices, returns={"AAA": a, "BBB": b, "CCC": disjoint})
    v = GATE.check(buy(), account(), [pos("BBB", "10"), pos("CCC", "10")], ctx)
    notes = {r.code: r.message for r in v.reasons}
    assert v.approved
    assert notes["correlation_skipped"] == (
        "not checked vs BBB (only 15 common days of AAA, BBB returns, 20 needed), "
        "CCC (only 0 common days of AAA, CCC returns, 20 needed)"
    )
    assert notes["var_skipped"] == (
        "VaR not checked: only 0 common days of BBB, CCC, AAA returns, 20 needed"
    )


def test_missing_history_skips_with_notes():
    v = GATE.check(buy(), account(), [pos("BBB", "10")], M100)
    assert v.approved
    notes = {r.code: r for r in v.reasons}
    assert not notes["correlation_skipped"].blocking and not notes["var_skipped"].blocking
    assert notes["correlation_skipped"].message == (
        "not checked vs BBB (no return history for AAA, BBB)"
    )


def test_var_cap_on_hand_computed_quantile():
    # returns -50%..+49% (100 days): 5% quantile (linear) = -45.05% -> VaR of a 10,000
    # position = 4,505 = 4.505% of equity: above 3%, below 5%
    r = np.arange(-50, 50) / 100.0
    ctx = MarketContext(
        prices=M100.prices, returns=returns(AAA=np.random.default_rng(1).permutation(r))
    )
    v = GATE.check(buy(qty="100"), account(), [], ctx)
    assert not v.approved and v.codes[-1] == ReasonCode.VAR_LIMIT
    assert "4.50%" in v.reasons[-1].message or "4.51%" in v.reasons[-1].message
    assert RiskGate(RiskLimits(max_var_pct=0.05)).check(buy(qty="100"), account(), [], ctx).approved
    assert RiskGate(RiskLimits(max_var_pct=None)).check(buy(qty="100"), account(), [], ctx).approved


def test_var_counts_holdings_and_hedges():
    r = np.arange(-50, 50) / 100.0
    ctx = MarketContext(prices=M100.prices, returns=returns(AAA=r, BBB=r))
    # a 2,000 long alone: VaR 901 (0.9%); with a 6,000 long in BBB (same returns): 3,604 (3.6%)
    assert GATE.check(buy(qty="20"), account(), [], ctx).approved
    limits = RiskLimits(max_correlation=1.0)
    v = RiskGate(limits).check(buy(qty="20"), account(), [pos("BBB", "60")], ctx)
    assert v.codes[-1] == ReasonCode.VAR_LIMIT
    # a short BBB of the same size hedges: P&L is 0 every day
    assert RiskGate(limits).check(buy(qty="20"), account(), [pos("BBB", "-20")], ctx).approved


def test_var_replays_the_holdings_on_the_same_dates():
    """BBB's history ends 50 days before AAA's. Paired by date, a long AAA hedged by a
    short BBB with the same returns has a P&L of 0 every common day (VaR 0); paired by
    position the two series met on other dates and the hedge looked risky."""
    r = np.random.default_rng(2).normal(0.0, 0.05, 150)
    a = dated(r, end="2018-12-31")
    b = DailyReturns(days=a.days[:100], values=r[:100])
    ctx = MarketContext(prices=M100.prices, returns={"AAA": a, "BBB": b})
    limits = RiskLimits(max_correlation=1.0, max_position_pct=D("0.5"), max_var_pct=0.01)
    v = RiskGate(limits).check(buy(qty="400"), account(), [pos("BBB", "-400")], ctx)
    assert v.approved, v.reasons


def test_check_is_deterministic_and_leaves_inputs_alone():
    held = [pos("BBB", "10")]
    prices = dict(M100.prices)
    first = GATE.check(buy(qty="150"), account(), held, MarketContext(prices=prices))
    second = GATE.check(buy(qty="150"), account(), held, MarketContext(prices=prices))
    assert first == second and prices == dict(M100.prices)


def test_max_qty_guards_against_a_quotient_rounded_up():
    from decimal import localcontext

    from tradepit.risk.gate import WHOLE, _max_qty

    with localcontext() as ctx:
        ctx.prec = 50
        # 888...8 (50 digits) / 5 = 177...7.6 needs 51 digits: rounds up to 177...78
        room = D("8" * 50)
        assert _max_qty(room, D(5), WHOLE) == int("8" * 50) // 5
        assert _max_qty(D(1), D(1), WHOLE) == 1


def test_reason_messages_show_prices_without_float_noise():
    noisy = D(repr(69.72800000000001))
    v = GATE.check(buy(qty="500"), account(), [], market(AAA=noisy))
    text = " ".join(r.message for r in v.reasons)
    assert "69.728" in text and "69.72800000000001" not in text


def test_a_correlation_just_above_the_limit_is_shown_above_it():
    """The denial read "correlation 0.70 with SPX > 0.7"."""
    from tradepit.risk.gate import _above

    assert _above(0.7012, 0.7) == "0.701"
    assert _above(0.7049, 0.7) == "0.705"
    assert _above(0.85, 0.7) == "0.85"
