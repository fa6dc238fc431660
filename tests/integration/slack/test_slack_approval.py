"""Approval flow end to end through Bolt's dispatch: a mention asks for an order above the
approval notional -> the thread gets Approve / Reject buttons with the order and the risk
verdict -> an approver's click resumes the paused graph -> the broker's answer, then its
fill, are posted in the thread. Non-approvers are refused; expired approvals are rejected."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.slack.conftest import T0, Rig
from tests.integration.slack.fakes import action_body, event_body, mention_event

from tradepit.integrations.slack_blocks import APPROVE, REJECT
from tradepit.integrations.slack_bot import NOT_APPROVER

CHANNEL, ALICE, BOB = "C0TRADE1", "U0ALICE1", "U0BOB0001"
THREAD = "1700000000.000001"
SESSION = f"slack-T0TEAM01-{ALICE}/{CHANNEL}-{THREAD}"
"""Alice's session in the thread: she asked for the order, Bob approves it there."""
SESSION_ORDER_ID = f"chat-{SESSION}-1-MSFT-buy"


def ask_for_big_order(rig: Rig) -> dict:
    """The approval message's payload, with the ts Slack gave it under ``"ts"``."""
    body = event_body(mention_event("<@UBOT0001> buy 100 MSFT", ALICE, CHANNEL, THREAD), "Ev1")
    assert rig.dispatch(body, json_body=True).status == 200
    [post] = rig.slack.of("chat.postMessage")
    return {**post.data, "ts": post.answer["ts"]}


def click(rig: Rig, user: str, action: str, value: str, message_ts: str) -> int:
    body = action_body(action, value, user, CHANNEL, message_ts, THREAD)
    return rig.dispatch(body, json_body=False).status


def button_value(post: dict) -> str:
    [actions] = [b for b in post["blocks"] if b["type"] == "actions"]
    approve, reject = actions["elements"]
    assert (approve["action_id"], reject["action_id"]) == (APPROVE, REJECT)
    assert approve["value"] == reject["value"]
    return approve["value"]


def test_approval_request_shows_the_order_and_the_risk_verdict(rig: Rig):
    post = ask_for_big_order(rig)
    assert post["channel"] == CHANNEL and post["thread_ts"] == THREAD
    assert post["text"] == (
        "Order waiting for approval: buy 100 MSFT market (~$6,972.80) stop 68.33 target 73.92"
    )
    blocks = post["blocks"]
    assert blocks[1]["text"]["text"] == "*buy 100 MSFT market (~$6,972.80) stop 68.33 target 73.92*"
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in blocks[2]["fields"]}
    assert fields["*Symbol*"] == "MSFT" and fields["*Side*"] == "BUY" and fields["*Size*"] == "100"
    assert fields["*Est. notional*"] == "$6,972.80"
    assert fields["*Stop loss*"] == "68.33" and fields["*Take profit*"] == "73.92"
    verdict = blocks[3]["text"]["text"]
    assert verdict.startswith("*Risk gate:* passed (trading ACTIVE)")
    assert "\n• `stop_loss_attached` stop-loss 68.33 from " in verdict
    assert (
        json.loads(button_value(post))["call"]
        == rig.core.service.pending_approval(SESSION)["call_id"]
    )
    assert rig.core.broker.list_orders("all") == []


def test_approver_click_sends_the_order_and_the_fill_is_posted(rig: Rig):
    post = ask_for_big_order(rig)
    assert click(rig, BOB, APPROVE, button_value(post), post["ts"]) == 200

    [update] = rig.slack.of("chat.update")
    assert update.data["ts"] == post["ts"] and update.data["channel"] == CHANNEL
    assert not [b for b in update.blocks if b["type"] == "actions"]
    assert update.blocks[-1]["text"]["text"] == f":white_check_mark: Approved by <@{BOB}>"

    [order] = [o for o in rig.core.broker.list_orders("all") if o.parent_id is None]
    assert order.client_order_id == SESSION_ORDER_ID and order.qty == 100
    result = rig.slack.of("chat.postMessage")[-1].data
    assert result["thread_ts"] == THREAD
    broker = [b["text"]["text"] for b in result["blocks"] if "Broker:" in json.dumps(b)]
    assert broker == [
        f":white_check_mark: Broker: BUY 100 MSFT market → ACCEPTED (order {order.id})"
    ]

    rig.market.advance_to(T0 + timedelta(days=1))
    rig.core.broker.on_bar(rig.core.feed.latest_bar("MSFT"))
    assert rig.bot.poll_fills() == 1
    fill = rig.slack.of("chat.postMessage")[-1].data
    assert fill["channel"] == CHANNEL and fill["thread_ts"] == THREAD
    assert fill["text"] == "Filled: BUY 100 MSFT @ 70.07"
    assert rig.bot.poll_fills() == 0  # posted once


def test_a_non_approver_is_refused_and_the_order_keeps_waiting(rig: Rig):
    post = ask_for_big_order(rig)
    assert click(rig, ALICE, APPROVE, button_value(post), post["ts"]) == 200
    [note] = rig.slack.of("chat.postEphemeral")
    assert note.data["user"] == ALICE and note.data["text"] == NOT_APPROVER
    assert rig.core.broker.list_orders("all") == []
    assert rig.core.service.pending_approval(SESSION) is not None
    assert rig.slack.of("chat.update") == []


def test_reject_click_sends_nothing(rig: Rig):
    post = ask_for_big_order(rig)
    assert click(rig, BOB, REJECT, button_value(post), post["ts"]) == 200
    assert rig.core.broker.list_orders("all") == []
    [update] = rig.slack.of("chat.update")
    assert update.blocks[-1]["text"]["text"] == f":x: Rejected by <@{BOB}>"
    result = rig.slack.of("chat.postMessage")[-1].data
    assert "ApprovalRejected" in json.dumps(result["blocks"])


def test_a_click_after_the_expiry_rejects_the_order(rig: Rig):
    post = ask_for_big_order(rig)
    rig.wall.advance_to(rig.wall.now() + timedelta(seconds=601))
    assert click(rig, BOB, APPROVE, button_value(post), post["ts"]) == 200
    assert rig.core.broker.list_orders("all") == []
    [update] = rig.slack.of("chat.update")
    assert update.blocks[-1]["text"]["text"] == (
        ":hourglass: Expired: rejected without being sent."
    )
    assert rig.core.service.pending_approval(SESSION) is None


def test_the_sweeper_rejects_expired_approvals(rig: Rig):
    ask_for_big_order(rig)
    assert rig.bot.expire_due() == 0
    rig.wall.advance_to(rig.wall.now() + timedelta(seconds=600))
    assert rig.bot.expire_due() == 1
    assert rig.core.service.pending_approval(SESSION) is None
    [update] = rig.slack.of("chat.update")
    assert "Expired" in update.blocks[-1]["text"]["text"]
    assert rig.core.broker.list_orders("all") == []
    assert rig.bot.expire_due() == 0


def test_a_second_click_finds_nothing_to_approve(rig: Rig):
    post = ask_for_big_order(rig)
    click(rig, BOB, APPROVE, button_value(post), post["ts"])
    assert click(rig, BOB, APPROVE, button_value(post), post["ts"]) == 200
    note = "This order is no longer waiting for approval."
    assert rig.slack.of("chat.postEphemeral")[-1].data["text"] == note
    assert rig.slack.of("chat.update")[-1].data["text"] == note
    assert len([o for o in rig.core.broker.list_orders("all") if o.parent_id is None]) == 1


def test_a_new_message_in_the_thread_rejects_the_waiting_order(rig: Rig):
    post = ask_for_big_order(rig)
    body = event_body(
        mention_event("price of MSFT", ALICE, CHANNEL, "1700000000.000005", THREAD), "Ev2"
    )
    assert rig.dispatch(body, json_body=True).status == 200
    [update] = rig.slack.of("chat.update")
    assert update.data["ts"] == post["ts"]
    assert (
        update.blocks[-1]["text"]["text"] == ":fast_forward: Rejected: a new message replaced it."
    )
    assert rig.core.broker.list_orders("all") == []
    assert rig.slack.of("chat.postMessage")[-1].data["thread_ts"] == THREAD
    assert click(rig, BOB, APPROVE, button_value(post), post["ts"]) == 200
    assert rig.core.broker.list_orders("all") == []


def test_another_users_message_in_the_thread_leaves_the_order_waiting(rig: Rig):
    """Bob talks in Alice's thread in a session of his own: her order keeps waiting, and his
    approval click resumes her session."""
    post = ask_for_big_order(rig)
    body = event_body(
        mention_event("price of MSFT", BOB, CHANNEL, "1700000000.000005", THREAD), "Ev2"
    )
    assert rig.dispatch(body, json_body=True).status == 200
    assert rig.slack.of("chat.update") == []
    assert rig.slack.of("chat.postMessage")[-1].data["text"].startswith("MSFT")
    assert rig.core.service.pending_approval(SESSION) is not None
    assert click(rig, BOB, APPROVE, button_value(post), post["ts"]) == 200
    [order] = [o for o in rig.core.broker.list_orders("all") if o.parent_id is None]
    assert order.client_order_id == SESSION_ORDER_ID


def test_an_approval_button_from_before_per_user_sessions_still_resolves(rig: Rig):
    from tradepit.integrations.slack_threads import button_value as make_value

    old = f"slack-T0TEAM01-{CHANNEL}-{THREAD}"
    reply = rig.core.service.chat(old, "buy 100 MSFT")
    assert reply.status == "awaiting_approval" and reply.approval is not None
    expires = rig.wall.now() + timedelta(minutes=5)
    value = make_value(str(reply.approval["call_id"]), expires, None)
    assert "user" not in json.loads(value)
    assert click(rig, BOB, APPROVE, value, "1700000000.000009") == 200
    [order] = [o for o in rig.core.broker.list_orders("all") if o.parent_id is None]
    assert order.client_order_id == f"chat-{old}-1-MSFT-buy"
    assert rig.core.service.pending_approval(old) is None
