"""`/tradepit ask|status|positions|orders|battle|halt|resume` through Bolt's dispatch: the
answers posted to the response URL (or the channel) are asserted exactly."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.integration.slack.conftest import T0, Rig
from tests.integration.slack.fakes import command_body

from tradepit.agent.service import GLOBAL_SCOPE
from tradepit.domain.models import OrderRequest, Side, TradingState
from tradepit.integrations.slack_blocks import HELP
from tradepit.integrations.slack_bot import REFUSED

CHANNEL, ALICE, BOB, EVE = "C0TRADE1", "U0ALICE1", "U0BOB0001", "U0EVE0001"


def command(rig: Rig, text: str, user: str = ALICE) -> dict[str, Any]:
    """Run the command; the last answer posted to its response URL."""
    before = len(rig.slack.of("respond"))
    body = command_body(text, user, CHANNEL, rig.slack.response_url())
    response = rig.dispatch(body, json_body=False)
    assert response.status == 200 and response.body == ""  # acknowledged, answered later
    answers = rig.slack.of("respond")
    return answers[-1].data if len(answers) > before else {}


def fields(answer: dict[str, Any]) -> dict[str, str]:
    [block] = [b for b in answer["blocks"] if "fields" in b]
    return dict(f["text"].removeprefix("*").split("*\n") for f in block["fields"])


def buy_and_fill(rig: Rig, qty: int = 10) -> None:
    rig.core.broker.mark("MSFT", rig.core.feed.latest_quote("MSFT").last)
    rig.core.broker.submit_order(OrderRequest(symbol="MSFT", side=Side.BUY, qty=qty))
    rig.market.advance_to(T0 + timedelta(days=1))
    rig.core.broker.on_bar(rig.core.feed.latest_bar("MSFT"))


def test_status(rig: Rig):
    answer = command(rig, "status")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "tradepit status: trading active"
    assert fields(answer) == {
        "Trading": "ACTIVE", "Equity": "$100,000.00", "Cash": "$100,000.00",
        "Buying power": "$100,000.00", "Day P&L": "+0.00", "Open positions": "0",
        "Open orders": "0", "Waiting for approval": "0",
    }  # fmt: skip


def test_positions_and_orders_tables(rig: Rig):
    assert command(rig, "positions")["blocks"][0]["text"]["text"] == "*Open positions*\nNone."
    buy_and_fill(rig)
    table = command(rig, "positions")["blocks"][1]["text"]["text"]
    assert table.splitlines() == [
        "```Symbol  Qty  Avg entry  Price   Value  Unrealized",
        "MSFT     10      70.07  71.37  713.70      +13.03```",
    ]
    rig.core.broker.submit_order(
        OrderRequest(symbol="MSFT", side=Side.SELL, qty=4, type="limit", limit_price=80)
    )
    orders = command(rig, "orders")["blocks"][1]["text"]["text"]
    assert orders.splitlines() == [
        "```Id                Symbol  Side  Qty  Type        Status    Filled",
        "paper-default-o2  MSFT    sell    4  limit @ 80  accepted       0```",
    ]


def test_battle_without_a_battle(rig: Rig):
    assert command(rig, "battle")["text"] == "No battle yet: run `tradepit battle` first."


def test_halt_is_enforced_and_only_approvers_resume(rig: Rig):
    answer = command(rig, "halt news pending")
    assert answer["response_type"] == "in_channel"
    assert answer["text"] == f":octagonal_sign: Trading HALTED by <@{ALICE}>: news pending"
    [flag] = rig.core.store.get_trading_flags([GLOBAL_SCOPE])
    assert flag.state is TradingState.HALTED and flag.reason == f"news pending (slack:{ALICE})"

    command(rig, "ask buy 5 MSFT")
    reply = rig.slack.of("chat.postMessage")[-1].data
    assert ":no_entry: Not sent: denied_by_risk: " in json.dumps(reply["blocks"])
    assert rig.core.broker.list_orders("all") == []

    assert command(rig, "resume")["text"] == "Only approvers may resume trading."
    assert rig.core.service.trading_state(GLOBAL_SCOPE) is TradingState.HALTED
    assert command(rig, "resume", BOB)["text"] == f":arrow_forward: Trading resumed by <@{BOB}>"
    assert rig.core.service.trading_state(GLOBAL_SCOPE) is TradingState.ACTIVE


def test_ask_opens_a_thread_for_the_conversation(rig: Rig):
    assert command(rig, "ask price of MSFT") == {}
    question, answer = (c for c in rig.slack.of("chat.postMessage"))
    assert question.data["text"] == f"<@{ALICE}> asked: price of MSFT"
    assert "thread_ts" not in question.data and question.data["channel"] == CHANNEL
    assert answer.data["thread_ts"] == question.answer["ts"]
    assert answer.data["text"].startswith("MSFT")
    chart = [b for b in answer.blocks if b["type"] == "context" and "bars)" in json.dumps(b)]
    assert chart and chart[0]["elements"][0]["text"].startswith("`MSFT` ")


def test_ask_where_the_bot_cannot_post(rig: Rig):
    rig.slack.fail("chat.postMessage", "not_in_channel")
    answer = command(rig, "ask price of MSFT")
    assert answer["text"] == "I cannot post here (not_in_channel): invite me or DM me."


def test_unknown_subcommands_get_help_and_strangers_a_refusal(rig: Rig):
    assert command(rig, "keys")["blocks"][0]["text"]["text"] == HELP
    assert command(rig, "status", EVE)["text"] == REFUSED["user"]


def test_battle_shows_the_latest_leaderboard(rig: Rig):
    from datetime import UTC, datetime

    from tradepit.battle import BattleConfig, run_battle

    config = BattleConfig(
        models=("rules:supertrend", "rules:macd_rsi"), symbols=("SPX",),
        start=datetime(2017, 3, 1, tzinfo=UTC), end=datetime(2017, 4, 1, tzinfo=UTC),
    )  # fmt: skip
    board = run_battle(config, rig.core.store, run_id="battle-slack", settings=rig.settings)
    answer = command(rig, "battle")
    scores = board.samples[-1].scores
    assert answer["text"] == f"Battle battle-slack finished: {scores[0].name} wins"
    table = answer["blocks"][1]["text"]["text"].strip("`").splitlines()
    assert table[0].split() == ["#", "Competitor", "Equity", "Return", "Trades", "Inference"]
    for rank, (line, score) in enumerate(zip(table[1:], scores, strict=True), start=1):
        cells = line.split()
        assert cells[:3] == [str(rank), score.name, f"{score.end_equity:,.2f}"]
        assert cells[3] == f"{score.net_return_pct:+.2f}%" and cells[4] == str(score.trades)
