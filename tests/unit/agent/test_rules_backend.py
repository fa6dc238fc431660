"""The offline `rules:<strategy>` model, driven directly: complete -> execute -> messages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from tests.unit.tools.harness import Market, converse, make_deps

from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.backends.rules_answers import Step, describe, order_phrase
from tradepit.agent.deps import AgentDeps
from tradepit.agent.errors import ModelOutputError
from tradepit.agent.snapshot import build_snapshot
from tradepit.domain.errors import StrategyError
from tradepit.domain.models import OrderStatus, TradingState
from tradepit.prompts import decision_prompt, parse_decisions, system_prompt
from tradepit.risk import RiskLimits
from tradepit.strategies import get_strategy
from tradepit.tools.get_indicators import WARMUP_BARS
from tradepit.tools.registry import default_tools, openai_schemas


@pytest.fixture
def market() -> Market:
    return Market()


@pytest.fixture
def backend() -> RulesBackend:
    return RulesBackend("supertrend")


def cycle_deps(market: Market, **kw) -> AgentDeps:
    kw.setdefault("symbols", ("SPX", "MSFT"))
    return make_deps(market, mode="cycle", run_id="run-1", **kw)


def run_cycle(backend: RulesBackend, deps: AgentDeps):
    prompt = decision_prompt(build_snapshot(deps, deps.symbols))
    system = [{"role": "system", "content": system_prompt(deps)}]
    return converse(backend, deps, prompt, system)


def test_name_and_unknown_strategy() -> None:
    assert RulesBackend("macd_rsi").name == "rules:macd_rsi"
    with pytest.raises(StrategyError):
        RulesBackend("astrology")


def test_cycle_trades_the_signal_through_tools(backend, market: Market) -> None:
    deps = cycle_deps(market)
    answer, messages, results = run_cycle(backend, deps)
    assert [r.name for r in results[:3]] == ["get_account", "get_signal", "get_signal"]
    orders = [r for r in results if r.name == "place_order"]
    decisions = {d.symbol: d for d in parse_decisions(answer)}
    assert set(decisions) == {"SPX", "MSFT"}
    for symbol in ("SPX", "MSFT"):
        bars = market.visible(symbol).iloc[-WARMUP_BARS:]
        target = get_strategy("supertrend").signals(bars)["target"].iloc[-1]
        expected = {1.0: "buy", -1.0: "sell", 0.0: "hold"}[target]
        assert decisions[symbol].action == expected
    assert len(orders) == sum(d.action != "hold" for d in decisions.values())
    for result in orders:
        assert result.ok and result.order is not None
        assert result.order.status is OrderStatus.ACCEPTED
        assert result.order.client_order_id.startswith("run-1-0-")
        assert "not filled yet" in answer
    turns = [m for m in messages if m["role"] == "assistant"]
    assert len(turns) == 3  # reads, orders, final text


def test_next_cycle_holds_when_aligned(backend, market: Market) -> None:
    deps = cycle_deps(market)
    run_cycle(backend, deps)
    market.step()
    deps.cycle = 1
    answer, _, results = run_cycle(backend, deps)
    assert not [r for r in results if r.name in ("place_order", "close_position")]
    assert all(d.action == "hold" for d in parse_decisions(answer))
    assert "already aligned" in answer


def test_reversal_closes_then_enters(market: Market) -> None:
    """sma_cross has no stop: a cross against the position is a close plus a new entry."""
    backend = RulesBackend("sma_cross")
    wide = RiskLimits(default_stop_loss_pct=Decimal("0.5"), default_take_profit_pct=Decimal("0.5"))
    deps = cycle_deps(market, symbols=("SPX",), limits=wide)
    run_cycle(backend, deps)
    market.step()
    held = market.broker.get_position("SPX").qty
    target = get_strategy("sma_cross").signals(market.source.frame("SPX"))["target"]
    flip = target[(target.index > market.visible("SPX").index[-1]) & (target * float(held) < 0)]
    while market.visible("SPX").index[-1] < flip.index[0]:
        market.step()
    assert market.broker.get_position("SPX").qty == held
    deps.cycle = 1
    answer, _, results = run_cycle(backend, deps)
    acts = [r for r in results if r.name in ("place_order", "close_position")]
    assert [r.name for r in acts] == ["close_position", "place_order"]
    side = "sell" if held > 0 else "buy"
    assert [r.order.side for r in acts] == [side, side]
    assert all(r.order.status is OrderStatus.ACCEPTED for r in acts)
    assert parse_decisions(answer)[0].action == side
    market.step()
    assert market.broker.get_position("SPX").qty * held < 0


def test_entries_denied_when_halted_are_reported(backend, market: Market) -> None:
    deps = cycle_deps(market, manual_state=TradingState.HALTED)
    answer, _, results = run_cycle(backend, deps)
    orders = [r for r in results if r.name == "place_order"]
    assert orders and all(r.verdict is not None and not r.verdict.approved for r in orders)
    assert "risk gate denied" in answer and "nothing was sent" in answer
    assert market.broker.list_orders("all") == []


def test_broker_rejection_is_reported_as_a_rejection(backend) -> None:
    market = Market(allow_short=False)
    market.step(2)  # SPX signal is short on the 2015-01-05 bar
    deps = cycle_deps(market, symbols=("SPX",))
    answer, _, results = run_cycle(backend, deps)
    (order,) = [r for r in results if r.name == "place_order"]
    assert json.loads(order.content)["outcome"] == "rejected_by_broker"
    assert "broker rejected" in answer and "not_shortable" in answer
    assert "accepted" not in answer and "filled" not in answer


def test_turns_are_deterministic_and_free(backend, market: Market) -> None:
    deps = cycle_deps(market)
    _, messages, _ = run_cycle(backend, deps)
    schemas = openai_schemas(default_tools())
    for end in range(2, len(messages)):
        if messages[end - 1]["role"] in ("user", "tool"):
            a, b = (
                backend.complete(messages[:end], schemas),
                backend.complete(messages[:end], schemas),
            )
            assert a == b and a.usage.total == 0 and a.cost_usd == 0.0
            assert a.model == "rules:supertrend"


def test_missing_tools_are_an_error(backend, market: Market) -> None:
    deps = cycle_deps(market)
    prompt = decision_prompt(build_snapshot(deps, deps.symbols))
    schemas = [s for s in openai_schemas(default_tools()) if s["function"]["name"] != "get_signal"]
    with pytest.raises(ModelOutputError, match="get_signal"):
        backend.complete([{"role": "user", "content": prompt}], schemas)


def chat(backend: RulesBackend, deps: AgentDeps, text: str) -> str:
    deps.cycle += 1
    answer, _, _ = converse(backend, deps, text)
    return answer


@pytest.fixture
def chat_deps(market: Market) -> AgentDeps:
    return make_deps(market)


def test_chat_quote_and_indicators(backend, chat_deps: AgentDeps, market: Market) -> None:
    price = market.visible("MSFT")["close"].iloc[-1]
    assert f"MSFT is at {price:g}" in chat(backend, chat_deps, "price of MSFT")
    assert "rsi_14" in chat(backend, chat_deps, "what is the RSI of SPX")


def test_chat_order_reports_the_broker_state(backend, chat_deps: AgentDeps, market: Market) -> None:
    answer = chat(backend, chat_deps, "buy 10 MSFT with a 2% stop")
    (order,) = market.broker.list_orders("open")[:1]
    assert f"buy 10 MSFT market (id {order.id})" in answer
    assert "not filled yet" in answer and "filled 10" not in answer
    stop = next(leg.stop_price for leg in order.legs if leg.stop_price is not None)
    assert f"stop {float(stop):g}" in answer
    market.step()
    assert "filled 10 at" in chat(backend, chat_deps, "show all orders")
    portfolio = chat(backend, chat_deps, "how is my portfolio doing")
    assert "Equity" in portfolio and "MSFT 10 @" in portfolio


def test_chat_denied_and_resized_orders(backend, chat_deps: AgentDeps, market: Market) -> None:
    resized = chat(backend, chat_deps, "buy 1000 MSFT")
    price = float(market.visible("MSFT")["close"].iloc[-1])
    assert f"It was cut from 1000 to {int(10_000 // price)} by the risk gate: max position " in (
        resized
    )  # fmt: skip
    assert "10% of equity, $10,000.00 left at" in resized
    denied = chat(backend, chat_deps, "sell 5 SPX at limit 2500 take profit 2700")
    assert "risk gate denied" in denied and "nothing was sent" in denied


def test_chat_backtest(backend, chat_deps: AgentDeps) -> None:
    answer = chat(backend, chat_deps, "backtest supertrend on SPX since 2010")
    assert answer.startswith("Backtest of supertrend on SPX 2010-01-04..2014-12-31")
    unknown = chat(backend, chat_deps, "backtest rsi on MSFT since 2012")
    assert "unknown strategy 'rsi'" in unknown and "rsi_divergence" in unknown
    assert "Backtest of" not in unknown  # not another strategy in its place
    tuned = chat(backend, chat_deps, "backtest sma cross on SPX with fast 20 and slow 50")
    assert "fast 20, slow 50; built-in defaults + overrides" in tuned


def test_chat_close_with_only_pending_orders_names_all_it_canceled(
    backend, chat_deps: AgentDeps
) -> None:
    chat(backend, chat_deps, "sell 2 MSFT limit 95")
    chat(backend, chat_deps, "buy 2 MSFT limit 70")
    answer = chat(backend, chat_deps, "close MSFT")
    assert answer == "Nothing was held yet: canceled unfilled sell 2, buy 2."
    assert chat_deps.broker.list_orders("open") == []


def test_chat_order_without_a_quantity_asks_for_one(backend, chat_deps: AgentDeps) -> None:
    for text in ("buy MSFT", "buy -5 MSFT"):
        answer = chat(backend, chat_deps, text)
        assert answer.startswith("How much?") and "'buy 10 MSFT'" in answer
    assert chat_deps.broker.list_orders("all") == []


def test_chat_cancel_and_close_all(backend, chat_deps: AgentDeps, market: Market) -> None:
    chat(backend, chat_deps, "buy 10 MSFT")
    chat(backend, chat_deps, "buy 1 SPX at limit 1500")
    market.step()
    assert "Which order" in chat(backend, chat_deps, "cancel my order")
    cancelled = chat(backend, chat_deps, "cancel all orders")
    # the answer is what the cancels did: it listed the orders as "not filled yet" first
    # and the canceled bracket entry read "canceled; stop .., target .." as if they remained
    head, *lines = cancelled.splitlines()
    assert head == "Canceling 3 open orders:" and len(lines) == 3
    assert all(line.startswith("Order ") and ": canceled" in line for line in lines)
    assert "not filled yet" not in cancelled
    (entry,) = [line for line in lines if "SPX" in line]
    assert entry.endswith(": canceled, with its exits (stop 1470, target 1590).")
    assert market.broker.list_orders("open") == []
    assert chat(backend, chat_deps, "cancel all orders") == "No open orders: nothing to cancel."
    closed = chat(backend, chat_deps, "close all")
    assert closed.startswith("Closing 1 position:\nOrder sell 10 MSFT market")
    assert "Positions:" not in closed  # the positions before the close


def test_chat_cancel_all_of_one_symbol(backend, chat_deps: AgentDeps, market: Market) -> None:
    chat(backend, chat_deps, "buy 10 MSFT")
    chat(backend, chat_deps, "buy 1 SPX at limit 1500")
    market.step()
    cancelled = chat(backend, chat_deps, "cancel all MSFT orders")
    done = [line for line in cancelled.splitlines() if line.endswith(": canceled.")]
    assert len(done) == 2 and all("MSFT" in line for line in done)  # MSFT's two exit legs
    assert {o.symbol for o in market.broker.list_orders("open")} == {"SPX"}


def test_chat_errors_and_help(backend, chat_deps: AgentDeps) -> None:
    assert "unknown symbol 'FOO'" in chat(backend, chat_deps, "price of FOO")
    assert "Which symbol" in chat(backend, chat_deps, "what is the RSI")
    unknown = chat(backend, chat_deps, "tell me a joke")
    assert unknown.startswith("I did not understand") and "backtest" in unknown
    assert "explain the last decision" in chat(backend, chat_deps, "help")
    assert "no decision journal" in chat(backend, chat_deps, "explain the last decision")


def test_chat_reports_a_rejected_approval(backend) -> None:
    """The graph answers a rejected approval with an error tool message; it is reported."""
    messages = [{"role": "user", "content": "buy 100 MSFT"}]
    turn = backend.complete(messages, openai_schemas(default_tools()))
    rejection = {"error": "ApprovalRejected", "message": "user rejected the order. Not sent."}
    messages += [
        turn.to_message(),
        {"role": "tool", "tool_call_id": turn.tool_calls[0].id, "content": json.dumps(rejection)},
    ]
    final = backend.complete(messages, openai_schemas(default_tools()))
    assert not final.tool_calls and "rejected the order. Not sent." in final.text


def test_chat_size_and_notional(market: Market) -> None:
    """The conversion was never said: "buy $5000 of MSFT" answered "buy 106 MSFT"."""
    deps = make_deps(market, approval_notional=Decimal(10**9))
    answer = chat(RulesBackend("sma_cross"), deps, "buy $5000 of MSFT")
    price = float(market.visible("MSFT")["close"].iloc[-1])
    qty = int(5000 // price)
    assert answer.startswith(f"$5,000 → {qty} MSFT (~${qty * price:,.0f}). Order buy {qty} MSFT")


@pytest.mark.parametrize(
    ("rationale", "said"),
    [
        ("Order buy 10 MSFT market: filled 10 at 83.87.", "filled 10 at 83.87. Tools used"),
        ("already aligned", "already aligned. Tools used"),
        (None, "no rationale. Tools used"),
    ],
)
def test_last_decision_is_one_sentence_whatever_its_rationale_ends_with(rationale, said):
    found = {
        "found": True, "backend": "rules:supertrend", "run_id": "r", "cycle": 2,
        "time": "2019-01-01", "action": "buy", "symbol": "MSFT", "rationale": rationale,
        "tool_calls": ["place_order"],
    }  # fmt: skip
    answer = describe(Step("get_last_decision", {}, found))
    assert said in answer and ".." not in answer


def test_order_phrases_show_stop_triggers_and_no_negative_zero() -> None:
    order = {
        "id": "o3", "symbol": "MSFT", "side": "sell", "type": "stop", "qty": 10.0,
        "status": "accepted", "filled_qty": 0.0, "stop_price": 82.19,
    }  # fmt: skip
    assert order_phrase(order).startswith("sell 10 MSFT stop 82.19 (id o3): accepted")
    stop_limit = order | {"type": "stop_limit", "limit_price": 82.0}
    assert order_phrase(stop_limit).startswith("sell 10 MSFT stop_limit 82.19 @ 82 (id o3)")
    short = {"symbol": "MSFT", "qty": -5.0, "avg_entry": 83.87, "price": 83.87,
             "unrealized_pnl": -0.001, "unrealized_pct": -0.001}  # fmt: skip
    listing = {"positions": [short], "total_unrealized_pnl": -0.001}
    text = describe(Step("get_positions", {}, listing))
    assert "-0.00" not in text and "$0.00" in text


def test_chat_sell_short_places_a_short(backend, chat_deps: AgentDeps, market: Market) -> None:
    """It answered "How much?"."""
    answer = chat(backend, chat_deps, "sell short 3 MSFT")
    (order,) = [o for o in market.broker.list_orders("open") if o.parent_id is None]
    assert (order.side.value, order.qty) == ("sell", 3)
    assert f"sell 3 MSFT market (id {order.id})" in answer


def test_chat_sells_a_part_of_a_position(backend, chat_deps: AgentDeps, market: Market) -> None:
    """ "sell half my MSFT" answered "How much?"."""
    chat(backend, chat_deps, "buy 11 MSFT")
    market.step()
    chat(backend, chat_deps, "cancel all MSFT orders")  # its exit legs hold the shares
    answer = chat(backend, chat_deps, "sell half my MSFT")
    assert answer.startswith("Half of your 11 MSFT is 5 (rounded down): Order sell 5 MSFT")
    sells = [o for o in market.broker.list_orders("open") if o.side.value == "sell"]
    assert [o.qty for o in sells] == [5]
    wrong_way = chat(backend, chat_deps, "buy back half of my MSFT")
    assert wrong_way.startswith("You are long 11 MSFT: a buy would add to it.")
    assert "Nothing was sent." in chat(backend, chat_deps, "sell half my SPX")
    assert len(market.broker.list_orders("open")) == 1


def test_chat_places_every_order_of_a_message(backend, chat_deps: AgentDeps, market) -> None:
    """ "buy 3 MSFT and 1 SPX" placed MSFT only and dropped SPX silently."""
    answer, _, results = converse(backend, chat_deps, "buy 3 MSFT and 1 SPX")
    assert [(r.name, r.verdict is not None) for r in results] == [("place_order", True)] * 2
    entries = [o for o in market.broker.list_orders("open") if o.parent_id is None]
    assert sorted((o.symbol, o.qty) for o in entries) == [("MSFT", 3), ("SPX", 1)]
    assert "buy 3 MSFT market" in answer and "buy 1 SPX market" in answer


def test_chat_refuses_trailing_stops_and_dated_orders(backend, chat_deps: AgentDeps) -> None:
    trailing = chat(backend, chat_deps, "buy 3 MSFT with a 2% trailing stop")
    assert trailing.startswith("Trailing stops are not supported")
    dated = chat(backend, chat_deps, "buy 1 MSFT at 2015-06-30")
    assert "a date (2015-06-30) is not supported" in dated
    assert chat_deps.broker.list_orders("all") == []


def test_chat_says_a_date_is_not_honoured(backend, chat_deps: AgentDeps, market) -> None:
    """The latest bar was answered for "rsi of MSFT at 2015-06-30" without a word."""
    answer = chat(backend, chat_deps, "rsi of MSFT at 2014-06-30")
    note, values = answer.splitlines()
    assert note.startswith("Dates are not supported in chat: this is for the latest bar, not")
    assert "tradepit indicators MSFT --at 2014-06-30" in note
    assert values.startswith(f"MSFT on the {market.visible('MSFT').index[-1].date()} bar")
