"""The deterministic chat intent parser, table-driven."""

from __future__ import annotations

import pytest

from tradepit.agent.backends.intents import find_symbol, parse_intent

CASES = [
    ("price of MSFT", "quote", {"symbol": "MSFT"}),
    ("what's the price of msft?", "quote", {"symbol": "MSFT"}),
    ("quote SPX", "quote", {"symbol": "SPX"}),
    ("MSFT", "quote", {"symbol": "MSFT"}),
    ("what is the RSI of SPX", "indicators", {"symbol": "SPX", "indicators": ["rsi"]}),
    ("SMA 50 and MACD of MSFT", "indicators", {"symbol": "MSFT", "indicators": ["sma:50", "macd"]}),
    ("what's the 200-day sma of spx", "indicators", {"symbol": "SPX", "indicators": ["sma:200"]}),
    ("rsi(7) for IXIC", "indicators", {"symbol": "IXIC", "indicators": ["rsi:7"]}),
    ("is SPX trending? adx and supertrend", "indicators",
     {"symbol": "SPX", "indicators": ["adx", "supertrend"]}),
    ("how is my portfolio doing", "portfolio", {}),
    ("what's my P&L", "portfolio", {}),
    ("show my positions", "positions", {}),
    ("show my open orders", "orders", {"status": "open"}),
    ("list all orders", "orders", {"status": "all"}),
    ("how much cash do I have", "account", {}),
    ("what is my buying power", "account", {}),
    ("backtest supertrend on SPX since 2010", "backtest",
     {"strategy": "supertrend", "symbol": "SPX", "start": "2010-01-01"}),
    ("backtest buy and hold on IXIC from 2005 to 2010", "backtest",
     {"strategy": "buy_and_hold", "symbol": "IXIC", "start": "2005-01-01", "end": "2010-12-31"}),
    ("backtest macd_rsi on MSFT in 2012", "backtest",
     {"strategy": "macd_rsi", "symbol": "MSFT", "start": "2012-01-01", "end": "2012-12-31"}),
    ("backtest SPX", "backtest", {"strategy": "supertrend", "symbol": "SPX"}),
    ("backtest SPX since 2015", "backtest",
     {"strategy": "supertrend", "symbol": "SPX", "start": "2015-01-01"}),
    ("backtest rsi on MSFT from 2015 to 2017", "backtest",
     {"strategy": "rsi", "symbol": "MSFT", "start": "2015-01-01", "end": "2017-12-31"}),
    ("backtest the turtle strategy for SPX", "backtest", {"strategy": "turtle", "symbol": "SPX"}),
    ("backtest sma cross with fast 20 and slow 50 on SPX since 2015", "backtest",
     {"strategy": "sma_cross", "symbol": "SPX", "start": "2015-01-01",
      "params": {"fast": 20.0, "slow": 50.0}}),
    ("backtest macd_rsi on MSFT with rsi length 10, stop_pct=3", "backtest",
     {"strategy": "macd_rsi", "symbol": "MSFT", "params": {"rsi_length": 10.0, "stop_pct": 3.0}}),
    ("buy MSFT", "order_qty", {"side": "buy", "symbol": "MSFT"}),
    ("buy 0 MSFT", "order_qty", {"side": "buy", "symbol": "MSFT"}),
    ("buy 2 MSFT stop limit 95 96", "order",
     {"symbol": "MSFT", "side": "buy", "qty": 2.0, "type": "stop_limit", "stop_price": 95.0,
      "limit_price": 96.0}),
    ("sell 3 SPX stop-limit at 2400 limit 2390 with a 2% stop", "order",
     {"symbol": "SPX", "side": "sell", "qty": 3.0, "type": "stop_limit", "stop_price": 2400.0,
      "limit_price": 2390.0, "stop_loss_pct": 2.0}),
    ("buy -5 MSFT", "order_qty", {"side": "buy", "symbol": "MSFT"}),
    ("short SPX", "order_qty", {"side": "sell", "symbol": "SPX"}),
    ("buy 10 MSFT with a 2% stop", "order",
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "stop_loss_pct": 2.0}),
    ("sell 5 SPX at limit 2500 take profit 2700", "order",
     {"symbol": "SPX", "side": "sell", "qty": 5.0, "type": "limit", "limit_price": 2500.0,
      "take_profit": 2700.0}),
    ("buy 10 msft stop at 40 target 50", "order",
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "stop_loss": 40.0, "take_profit": 50.0}),
    ("buy $5,000 of MSFT", "order", {"symbol": "MSFT", "side": "buy", "notional": 5000.0}),
    ("short 3 IXIC stop loss 5% tp 10%", "order",
     {"symbol": "IXIC", "side": "sell", "qty": 3.0, "stop_loss_pct": 5.0, "take_profit_pct": 10.0}),
    ("buy 2 shares of spx at 2000", "order",
     {"symbol": "SPX", "side": "buy", "qty": 2.0, "type": "limit", "limit_price": 2000.0}),
    ("cancel paper-o3", "cancel", {"order_id": "paper-o3"}),
    ("cancel my order", "cancel", {}),
    ("cancel all orders", "cancel_all", {}),
    ("cancel all MSFT orders", "cancel_all", {"symbol": "MSFT"}),
    ("buy 10 MSFT @ 80", "order",
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "type": "limit", "limit_price": 80.0}),
    ("buy 10 MSFT @80 stop @ 75", "order",
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "type": "limit", "limit_price": 80.0,
      "stop_loss": 75.0}),
    ("buy 1,000,000 MSFT", "order", {"symbol": "MSFT", "side": "buy", "qty": 1000000.0}),
    ("buy $1,250.50 of MSFT", "order", {"symbol": "MSFT", "side": "buy", "notional": 1250.5}),
    ("sell all MSFT", "close", {"symbol": "MSFT"}),
    ("sell everything", "close_all", {}),
    ("CLOSE ALL", "close_all", {}),
    ("FLATTEN EVERYTHING", "close_all", {}),
    ("WHAT IS THE RSI OF SPX", "indicators", {"symbol": "SPX", "indicators": ["rsi"]}),
    ("price of NOW", "quote", {"symbol": "NOW"}),
    ("backtest macd cross on SPX from 2010-2015", "backtest",
     {"strategy": "macd_cross", "symbol": "SPX", "start": "2010-01-01", "end": "2015-12-31"}),
    ("close MSFT", "close", {"symbol": "MSFT"}),
    ("close my position in spx", "close", {"symbol": "SPX"}),
    ("close all", "close_all", {}),
    ("flatten everything", "close_all", {}),
    ("explain the last decision", "explain", {}),
    ("why did you buy SPX?", "explain", {"symbol": "SPX"}),
    ("signal for SPX", "signal", {"symbol": "SPX", "strategy": "supertrend"}),
    ("what does ema_rsi signal on MSFT", "signal", {"symbol": "MSFT", "strategy": "ema_rsi"}),
    ("supertrend settings for SPX", "strategy", {"strategy": "supertrend", "symbol": "SPX"}),
    ("help", "help", {}),
    ("what can you do?", "help", {}),
    ("", "help", {}),
    ("tell me a joke", "unknown", {}),
    ("price of FOO", "quote", {"symbol": "FOO"}),
    ("buy 10 FOO", "order", {"symbol": "FOO", "side": "buy", "qty": 10.0}),
    ("sell short 3 IXIC", "order", {"symbol": "IXIC", "side": "sell", "qty": 3.0}),
    ("sell short IXIC", "order_qty", {"side": "sell", "symbol": "IXIC"}),
    ("sell half my MSFT", "order_part", {"symbol": "MSFT", "side": "sell", "fraction": 0.5}),
    ("sell half of my MSFT position", "order_part",
     {"symbol": "MSFT", "side": "sell", "fraction": 0.5}),
    ("sell a third of msft", "order_part", {"symbol": "MSFT", "side": "sell", "fraction": 1 / 3}),
    ("sell 25% of my MSFT", "order_part", {"symbol": "MSFT", "side": "sell", "fraction": 0.25}),
    ("buy back half my IXIC", "order_part", {"symbol": "IXIC", "side": "buy", "fraction": 0.5}),
    ("sell all my MSFT", "close", {"symbol": "MSFT"}),
    ("sell all my positions", "close_all", {}),
    ("buy 3 MSFT and 1 SPX", "orders_several",
     {"orders": [{"symbol": "MSFT", "side": "buy", "qty": 3.0},
                 {"symbol": "SPX", "side": "buy", "qty": 1.0}]}),
    ("buy 3 MSFT with a 2% stop, sell 2 SPX and $500 of IXIC", "orders_several",
     {"orders": [{"symbol": "MSFT", "side": "buy", "qty": 3.0, "stop_loss_pct": 2.0},
                 {"symbol": "SPX", "side": "sell", "qty": 2.0},
                 {"symbol": "IXIC", "side": "sell", "notional": 500.0}]}),
    ("buy 10 MSFT with a 2% stop and 6% target", "order",  # "and 6%" is no second order
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "stop_loss_pct": 2.0,
      "take_profit_pct": 6.0}),
    ("buy 10 msft stop at 40 and 50 target", "order",  # nor "and 50 target"
     {"symbol": "MSFT", "side": "buy", "qty": 10.0, "stop_loss": 40.0}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "args"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_parse_intent(text: str, kind: str, args: dict) -> None:
    intent = parse_intent(text)
    assert (intent.kind, intent.args) == (kind, args)


@pytest.mark.parametrize(
    ("text", "symbol"),
    [("the RSI of SPX", "SPX"), ("price of msft", "MSFT"), ("how is it going", None),
     ("what is the MACD", None), ("I want AAPL", "AAPL")],
)  # fmt: skip
def test_find_symbol(text: str, symbol: str | None) -> None:
    assert find_symbol(text) == symbol


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("buy 3 MSFT with a 2% trailing stop", "'buy 3 MSFT with a 2% stop'"),
        ("buy 3 MSFT with a trailing stop-loss of 2%", "'buy 3 MSFT with a stop of 2%'"),
        ("sell 3 SPX and 2 IXIC trailing 5%", "'sell 3 SPX and 2 IXIC stop 5%'"),
    ],
)
def test_trailing_stops_are_refused_with_a_fixed_stop_example(text: str, example: str) -> None:
    """It became an order with the default fixed stop: not what was asked for."""
    intent = parse_intent(text)
    assert intent.kind == "refused"
    message = intent.args["message"]
    assert message.startswith("Trailing stops are not supported; use a fixed stop, e.g. ")
    assert example in message and message.endswith("Nothing was sent.")


def test_a_date_is_kept_for_the_answer_or_refuses_an_order() -> None:
    """The date was dropped: the latest bar was answered as if for 2015-06-30, and "buy 1
    MSFT at 2015-06-30" became a limit order at 2015."""
    rsi = parse_intent("rsi of MSFT at 2015-06-30")
    assert (rsi.kind, rsi.args, rsi.day) == (
        "indicators", {"symbol": "MSFT", "indicators": ["rsi"]}, "2015-06-30"
    )  # fmt: skip
    assert parse_intent("price of SPX on 6/30/2015").day == "6/30/2015"
    assert parse_intent("price of SPX").day is None
    order = parse_intent("buy 1 MSFT at 2015-06-30")
    assert (
        order.kind == "refused" and "a date (2015-06-30) is not supported" in order.args["message"]
    )
    backtest = parse_intent("backtest SPX from 2010-01-04 to 2012-06-29")
    assert backtest.kind == "backtest" and backtest.day is None


def test_parsing_is_deterministic() -> None:
    assert parse_intent("buy 10 MSFT with a 2% stop") == parse_intent("buy 10 MSFT with a 2% stop")
