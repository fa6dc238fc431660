"""Block Kit builders of the Slack bot: escaping, sparkline charts, approval requests,
broker answers and tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tradepit.domain.models import Account, TradingState
from tradepit.integrations import slack_blocks as kit

APPROVAL = {
    "type": "approval",
    "call_id": "c1",
    "tool": "place_order",
    "summary": "buy 100 MSFT market (~$6,972.80) <!channel>",
    "notional": "6972.80",
    "request": {"symbol": "MSFT", "side": "buy", "qty": "100", "type": "market",
                "time_in_force": "gtc"},
    "verdict": {
        "approved": True,
        "adjusted_request": {"symbol": "MSFT", "side": "buy", "qty": "100", "type": "limit",
                             "limit_price": "70.5", "time_in_force": "day",
                             "stop_loss": "68.33", "take_profit": "73.92"},
        "reasons": [{"code": "stop_loss_attached", "message": "stop-loss 68.33", "blocking": False},
                    {"code": "max_position", "message": "near the cap", "blocking": True}],
        "state": "reducing",
    },
}  # fmt: skip


@dataclass
class FakeReply:
    text: str
    status: str = "answered"
    steps: tuple[dict[str, Any], ...] = ()
    error_type: str | None = None
    approval: dict | None = field(default=None)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_sparkline_has_one_level_per_value_with_extremes_at_the_ends(values):
    line = kit.sparkline(values)
    assert len(line) == len(values) and set(line) <= set(kit.SPARK)
    if max(values) > min(values):
        assert line[values.index(min(values))] == "▁"
        assert line[values.index(max(values))] == "█"


def test_chart_line():
    assert kit.chart_line("MSFT", [100.0, 90.0, 110.0]) == "`MSFT` ▅▁█ 110.00 (+10.00% over 3 bars)"
    assert kit.sparkline([5.0, 5.0]) == "▄▄"


def test_mentions_only_from_valid_user_ids():
    assert kit.mention("U0ALICE1") == "<@U0ALICE1>"
    assert kit.mention("<!channel>") == "&lt;!channel&gt;"
    assert kit.mention(None) == "someone"


def test_model_text_cannot_mention_the_channel_and_long_text_is_split():
    blocks = kit.text_sections("hi <!channel> & <@U1>" + "x" * 6000)
    assert blocks[0]["text"]["text"].startswith("hi &lt;!channel&gt; &amp; &lt;@U1&gt;")
    assert len(blocks) == 3 and all(len(b["text"]["text"]) <= 2900 for b in blocks)


def test_approval_request_blocks():
    expires = datetime(2026, 3, 5, 15, 10, tzinfo=UTC)
    blocks = kit.approval_blocks(APPROVAL, "U0ALICE1", expires, '{"call":"c1","exp":1}')
    assert blocks[0]["text"]["text"] == "Order waiting for approval"
    assert blocks[1]["text"]["text"] == "*buy 100 MSFT market (~$6,972.80) &lt;!channel&gt;*"
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields == [
        "*Symbol*\nMSFT", "*Side*\nBUY", "*Size*\n100", "*Type*\nlimit @ 70.5",
        "*Est. notional*\n$6,972.80", "*Time in force*\nDAY", "*Stop loss*\n68.33",
        "*Take profit*\n73.92",
    ]  # fmt: skip
    assert blocks[3]["text"]["text"] == (
        "*Risk gate:* passed (trading REDUCING)\n"
        "• `stop_loss_attached` stop-loss 68.33\n"
        ":no_entry: `max_position` near the cap"
    )
    assert blocks[4]["elements"][0]["text"] == (
        "Requested by <@U0ALICE1> · approvers only · expires 15:10 UTC"
    )
    approve, reject = blocks[5]["elements"]
    assert (approve["action_id"], approve["style"], reject["action_id"], reject["style"]) == (
        kit.APPROVE,
        "primary",
        kit.REJECT,
        "danger",
    )
    assert approve["confirm"]["confirm"]["text"] == "Send" and "confirm" not in reject
    closed = kit.resolved_blocks(APPROVAL, "done")
    assert (
        not [b for b in closed if b["type"] == "actions"] and closed[-1]["text"]["text"] == "done"
    )


def test_broker_lines_say_what_the_broker_answered_or_why_nothing_was_sent():
    order = {"id": "o1", "symbol": "MSFT", "side": "buy", "qty": "10", "type": "market",
             "status": "partially_filled", "filled_qty": "4",
             "filled_avg_price": "70.1"}  # fmt: skip
    steps = (
        {"name": "get_quote", "ok": True},
        {"name": "place_order", "ok": True, "order": order},
        {"name": "place_order", "ok": True, "output": {"outcome": "denied_by_risk",
                                                        "reason": "trading halted"}},
        {"name": "close_position", "ok": False, "error_type": "ApprovalRejected",
         "error": "slack:U1 rejected the order"},
    )  # fmt: skip
    assert kit.broker_lines(steps) == [
        ":white_check_mark: Broker: BUY 10 MSFT market → PARTIALLY_FILLED (order o1, "
        "filled 4 @ 70.1)",
        ":no_entry: Not sent: denied_by_risk: trading halted",
        ":no_entry: Not sent: ApprovalRejected: slack:U1 rejected the order",
    ]


def test_reply_blocks_with_tables_charts_and_an_abort():
    steps = (
        {"name": "get_positions", "ok": True, "output": {"positions": [
            {"symbol": "MSFT", "qty": 10.0, "avg_entry": 70.067, "price": 71.37,
             "market_value": 713.7, "unrealized_pnl": 13.03}]}},
        {"name": "get_orders", "ok": True, "output": {"orders": [
            {"id": "o2", "symbol": "SPX", "side": "sell", "qty": None, "notional": 500.0,
             "type": "limit", "limit_price": 2500.0, "status": "accepted", "filled_qty": 0.0}]}},
    )  # fmt: skip
    text, blocks = kit.reply_blocks(FakeReply("Your book:", steps=steps), {"MSFT": [1.0, 2.0]})
    assert text == "Your book:"
    tables = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert tables[0].splitlines()[1] == "MSFT     10      70.07  71.37  713.70      +13.03```"
    assert (
        tables[1].splitlines()[1] == "o2  SPX     sell  $500.0  limit @ 2500  accepted       0```"
    )
    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert contexts == ["`MSFT` ▁█ 2.00 (+100.00% over 2 bars)", "tools: get_positions, get_orders"]

    text, blocks = kit.reply_blocks(FakeReply("budget gone", "aborted", error_type="BudgetError"))
    assert text == "The turn was aborted (BudgetError): budget gone"
    assert blocks[0]["text"]["text"].startswith(":warning: The turn was aborted")


def test_status_blocks():
    account = Account(
        id="paper-1", cash=Decimal("90000"), equity=Decimal("100500"),
        buying_power=Decimal("90000"), last_equity=Decimal("100000"),
        equity_peak=Decimal("100500"), timestamp=datetime(2026, 3, 5, tzinfo=UTC),
    )  # fmt: skip
    blocks = kit.status_blocks(account, TradingState.HALTED, 2, 1, 0)
    fields = json.dumps(blocks[1]["fields"])
    assert "*Trading*\\nHALTED" in fields and "*Day P&L*\\n+500.00" in fields
    assert "*Open positions*\\n2" in fields
