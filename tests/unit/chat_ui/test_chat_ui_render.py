"""Chart requests, markdown rendering and streaming chunks (pure functions)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tradepit.chat_ui import render
from tradepit.chat_ui.chart_requests import (
    ChartRequest,
    is_battle_request,
    parse_chart_request,
)

SYMBOLS = ("SPX", "IXIC", "MSFT")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "show SPX with Supertrend for 2015",
            ChartRequest("SPX", ("supertrend",), date(2015, 1, 1), date(2015, 12, 31)),
        ),
        (
            "plot msft with SMA 50 and RSI from 2012 to 2014",
            ChartRequest("MSFT", ("sma:50", "rsi"), date(2012, 1, 1), date(2014, 12, 31)),
        ),
        ("chart IXIC", ChartRequest("IXIC")),
        (
            "show spx since 2016 with bollinger bands and macd",
            ChartRequest("SPX", ("bbands", "macd"), date(2016, 1, 1), None),
        ),
    ],
)
def test_chart_requests(text: str, expected: ChartRequest) -> None:
    assert parse_chart_request(text, SYMBOLS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "price of MSFT",  # no chart verb: the agent answers
        "show my positions",
        "show my portfolio",
        "show open orders",
        "backtest supertrend on SPX since 2010",  # the agent runs it; the UI adds the curve
        "show AAPL",  # not a symbol of the feed
        "show the last battle",
    ],
)
def test_not_price_charts(text: str) -> None:
    assert parse_chart_request(text, SYMBOLS) is None


def test_battle_requests() -> None:
    assert is_battle_request("show the last battle")
    assert is_battle_request("Battle leaderboard please")
    assert not is_battle_request("show SPX")


@pytest.mark.parametrize("text", ["", "one", "a b  c\n\nd ", "MSFT is at 83.87 " * 20])
def test_chunks_give_the_text_back(text: str) -> None:
    pieces = render.chunks(text, size=8)
    assert "".join(pieces) == text
    assert all(pieces)
    if len(text) > 40:
        assert len(pieces) > 1


def test_table_escapes_cells() -> None:
    out = render.table(("a", "b"), [("x|y", None), (1234.5, 0.00012)])
    lines = out.splitlines()
    assert lines[0] == "| a | b |"
    assert lines[2] == "| x\\|y |  |"
    assert lines[3] == "| 1,234.50 | 0.00012 |"


def _approval() -> dict:
    request = {
        "symbol": "MSFT", "side": "buy", "qty": "100", "notional": None, "type": "market",
        "time_in_force": "gtc", "limit_price": None, "stop_loss": None, "take_profit": None,
        "client_order_id": "chat-x-1-MSFT-buy",
    }  # fmt: skip
    adjusted = {**request, "stop_loss": "82.19", "take_profit": "88.91"}
    return {
        "type": "approval", "call_id": "rules-0-0", "tool": "place_order",
        "summary": "buy 100 MSFT market (~$8,387.00) stop 82.19 target 88.91",
        "notional": "8387.00", "request": request,
        "verdict": {
            "approved": True, "request": request, "adjusted_request": adjusted,
            "state": "active",
            "reasons": [{"code": "stop_loss_attached", "message": "stop-loss 82.19 from 83.87",
                         "blocking": False}],
        },
    }  # fmt: skip


def test_approval_shows_the_order_and_the_verdict() -> None:
    text = render.approval_markdown(_approval())
    assert "buy 100 MSFT market (~$8,387.00)" in text
    assert "| MSFT | buy | 100 | market | 82.19 | 88.91 | gtc |" in text  # adjusted request
    assert "**Risk gate:** approved, trading state active" in text
    assert "| stop_loss_attached | stop-loss 82.19 from 83.87 | no |" in text
    assert "chat-x-1-MSFT-buy" in text
    denied = _approval()
    denied["verdict"] = {**denied["verdict"], "approved": False}
    assert "**Risk gate:** denied" in render.approval_markdown(denied)


def test_step_text() -> None:
    ok = {"name": "get_quote", "arguments": '{"symbol": "MSFT"}', "ok": True,
          "output": {"symbol": "MSFT", "price": 83.87}}  # fmt: skip
    assert json.loads(render.step_input(ok)) == {"symbol": "MSFT"}
    assert json.loads(render.step_output(ok)) == {"symbol": "MSFT", "price": 83.87}
    failed = {"name": "get_quote", "arguments": "{oops", "ok": False,
              "error_type": "UnknownSymbolError", "error": "no ZZZ"}  # fmt: skip
    assert render.step_input(failed) == "{oops"
    assert render.step_output(failed) == "UnknownSymbolError: no ZZZ"
    rejected = {**failed, "approval": {"approved": False, "by": "ann", "note": "too big"}}
    assert render.step_output(rejected) == "Rejected by ann: too big. The order was not sent."


def test_model_step_lists_calls_and_usage() -> None:
    update = {
        "messages": [{"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_quote", "arguments": '{"symbol": "MSFT"}'}}]}],
        "usage": {"calls": 1, "tokens": 120, "usd": 0.002, "rounds": 1},
    }  # fmt: skip
    body = json.loads(render.model_step(update))
    assert body["tool_calls"] == [{"tool": "get_quote", "arguments": '{"symbol": "MSFT"}'}]
    assert body["turn_usage"] == {"calls": 1, "tokens": 120, "usd": 0.002}
    aborted = {"outcome": {"status": "aborted", "error_type": "ModelUnavailableError",
                           "reason": "timeout"}}  # fmt: skip
    assert json.loads(render.model_step(aborted)) == {"aborted": "ModelUnavailableError: timeout"}


def test_portfolio_tables() -> None:
    account = {"equity": 101_000.0, "cash": 92_613.0, "buying_power": 92_613.0,
               "day_pnl": 1_000.0, "day_pnl_pct": 1.0, "drawdown_pct": 0.0,
               "state": "active", "state_reasons": [], "as_of": "2019-01-01"}  # fmt: skip
    positions = {
        "positions": [{"symbol": "MSFT", "qty": 100.0, "avg_entry": 83.87, "price": 93.87,
                       "market_value": 9387.0, "unrealized_pnl": 1000.0,
                       "unrealized_pct": 11.92}],
        "total_market_value": 9387.0, "total_unrealized_pnl": 1000.0,
    }  # fmt: skip
    text = render.portfolio_markdown(account, positions, {"orders": [], "total": 0})
    assert "| 101,000.00 | 92,613.00 | 92,613.00 | 1,000.00 +1.00% | +0.00% | active |" in text
    assert "| MSFT | 100 | 83.87 | 93.87 | 9,387.00 | 1,000.00 | +11.92% |" in text
    assert "| Total |  |  |  | 9,387.00 | 1,000.00 |  |" in text
    assert "No open orders." in text
    orders = {"orders": [
        {"id": "chat-x-o1", "side": "buy", "qty": 100.0, "symbol": "MSFT", "type": "market",
         "status": "accepted", "filled_qty": 0.0, "stop_loss": 82.19, "take_profit": 88.91},
        {"id": "chat-x-o2", "side": "sell", "qty": None, "notional": 2500.0, "symbol": "SPX",
         "type": "limit", "limit_price": 2600.0, "status": "new", "filled_qty": 0.0},
    ]}  # fmt: skip
    table = render.orders_table(orders)
    assert "| buy | 100 | MSFT | market |  | accepted | 0 | 82.19 | 88.91 | chat-x-o1 |" in table
    assert "| sell | $2,500.00 | SPX | limit | 2,600.00 | new | 0 |  |  | chat-x-o2 |" in table
    empty = render.portfolio_markdown(account, {"positions": []}, {"orders": []})
    assert "No open positions." in empty


def test_plain_colons_outside_code() -> None:
    text = "Last decision (rules:supertrend) at 12:30, see https://x.org `rules:x`\n```\nk:v\n```"
    assert render.plain_colons(text) == (
        "Last decision (rules\\:supertrend) at 12:30, see https://x.org `rules:x`\n```\nk:v\n```"
    )
