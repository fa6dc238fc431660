"""Chat orders above the approval threshold pause the graph (LangGraph interrupt) until a
person approves or rejects; the pause survives a restart (SQLite and PostgreSQL savers)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.agent.fakes import Scripted, World, call, turn

from tradepit.agent.service import NoPendingApprovalError, Tick
from tradepit.bootstrap import postgres_checkpointer, sqlite_checkpointer

BIG = {"symbol": "MSFT", "side": "buy", "qty": 50}  # ~$4,200 > the $1,000 threshold
SMALL = {"symbol": "MSFT", "side": "buy", "qty": 5}


def report(messages: list[dict]) -> object:
    return turn(f"tool said: {messages[-1]['content']}")


def test_big_order_waits_then_approval_sends_it(world: World):
    model = Scripted(turn("", call("place_order", BIG)), report)
    service = world.service(model)
    reply = service.chat("s1", "buy 50 MSFT")
    assert reply.status == "awaiting_approval"
    assert reply.approval["summary"].startswith("buy 50")
    assert world.broker.list_orders("all") == []
    assert service.pending_approval("s1")["tool"] == "place_order"
    done = service.approve("s1", by="alice", note="fine")
    assert done.status == "answered" and '"outcome":"submitted"' in done.text
    [order] = [o for o in world.broker.list_orders("all") if o.parent_id is None]
    assert order.client_order_id == "chat-s1-1-MSFT-buy" and order.qty == 50
    [record] = world.store.list_decisions("chat-s1")
    assert record.decision.action == "buy"
    assert record.payload["tool_calls"][0]["approval"]["by"] == "alice"
    assert service.pending_approval("s1") is None


def test_the_pause_says_what_the_gate_changed_and_what_this_turn_already_did(world: World):
    """ "Waiting for approval: sell 1 IXIC ..." did not say the order was cut from 3, nor
    that an order earlier in the same turn had already gone to the broker."""
    small = call("place_order", SMALL, id="c1")
    big = call("place_order", {**BIG, "qty": 500}, id="c2")
    service = world.service(Scripted(turn("", small, big)))
    reply = service.chat("s1", "buy 5 MSFT then 500 MSFT")
    assert reply.status == "awaiting_approval"
    done, first, waiting = reply.text.splitlines()
    assert done == "Done in this turn so far:"
    assert first.startswith("buy 5 MSFT market (id ") and "accepted by the broker" in first
    assert waiting.startswith("Waiting for approval: buy ")
    assert "; cut from 500 to " in waiting and " by the risk gate: max position 10% " in waiting


def test_the_pause_says_how_dollars_became_shares(world: World):
    dollars = call("place_order", {"symbol": "MSFT", "side": "buy", "notional": 5000})
    reply = world.service(Scripted(turn("", dollars))).chat("s1", "buy $5000 of MSFT")
    [order] = [s for s in reply.approval["summary"].split("; ") if s.startswith("$")]
    assert order.startswith("$5,000 → ") and order.endswith(" MSFT")
    assert reply.text == f"Waiting for approval: {reply.approval['summary']}"


def test_rejection_is_recorded_and_told_to_the_model(world: World):
    model = Scripted(turn("", call("place_order", BIG)), report)
    service = world.service(model)
    service.chat("s1", "buy 50 MSFT")
    done = service.reject("s1", by="bob", note="too big")
    assert world.broker.list_orders("all") == []
    told = json.loads(model.requests[1][-1]["content"])
    assert told["error"] == "ApprovalRejected" and "too big" in told["message"]
    [record] = world.store.list_decisions("chat-s1")
    assert record.decision.action == "rejected_by_user"
    assert done.status == "answered"


def test_a_new_message_rejects_the_pending_order_first(world: World):
    model = Scripted(turn("", call("place_order", BIG)), report, turn("hello again"))
    service = world.service(model)
    service.chat("s1", "buy 50 MSFT")
    reply = service.chat("s1", "never mind")
    assert reply.cycle == 2
    notice, answer = reply.text.split("\n")
    assert answer == "hello again"  # the user is told the order was dropped, then answered
    assert notice.startswith("The order waiting for approval (buy 50 MSFT") and "not sent" in notice
    assert world.broker.list_orders("all") == []
    assert world.store.list_decisions("chat-s1")[0].decision.action == "rejected_by_user"


def test_small_orders_and_cycles_need_no_approval(world: World):
    service = world.service(Scripted(turn("", call("place_order", SMALL)), report))
    assert service.chat("s1", "buy 5 MSFT").status == "answered"
    cycle = world.service(Scripted(turn("", call("place_order", BIG)), report), symbols=["MSFT"])
    assert cycle.cycle("run-1", Tick(cycle=0)).status == "answered"
    assert len([o for o in world.broker.list_orders("all") if o.parent_id is None]) == 2


def test_nothing_to_approve_is_an_error(world: World):
    with pytest.raises(NoPendingApprovalError):
        world.service(Scripted()).approve("s1")


def test_kill_switch_is_seen_by_the_gate(world: World):
    from tradepit.domain.models import TradingState

    model = Scripted(turn("", call("place_order", SMALL)), report)
    service = world.service(model)
    service.set_trading_state(TradingState.HALTED, "test")
    reply = service.chat("s1", "buy 5 MSFT")
    assert '"outcome":"denied_by_risk"' in reply.text and "halted" in reply.text
    assert world.broker.list_orders("all") == []
    service.set_trading_state(TradingState.ACTIVE)
    again = world.service(Scripted(turn("", call("place_order", SMALL)), report))
    assert '"outcome":"submitted"' in again.chat("s2", "buy 5 MSFT").text


def _restart_continues(world: World, open_saver) -> None:
    """A pending approval and the conversation survive a new graph and a new connection."""
    with open_saver() as saver:
        model = Scripted(turn("first answer"), turn("", call("place_order", BIG)))
        service = world.service(model, checkpointer=saver)
        service.chat("s1", "hello")
        assert service.chat("s1", "buy 50 MSFT").status == "awaiting_approval"
    with open_saver() as saver:  # "after a restart"
        model = Scripted(report, turn("still here"))
        service = world.service(model, checkpointer=saver)
        assert service.pending_approval("s1")["summary"].startswith("buy 50")
        assert service.approve("s1").status == "answered"
        assert service.chat("s1", "and now?").text == "still here"
        history = [m.get("content") for m in model.requests[1] if m["role"] == "user"]
        assert history == ["hello", "buy 50 MSFT", "and now?"]
    assert len([o for o in world.broker.list_orders("all") if o.parent_id is None]) == 1


def test_restart_on_the_same_sqlite_checkpoint_db(world: World, tmp_path: Path):
    _restart_continues(world, lambda: sqlite_checkpointer(str(tmp_path / "ckpt.db")))


@pytest.fixture
def pg_url() -> Iterator[tuple[str, str]]:
    url = os.environ.get("TRADEPIT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need TRADEPIT_TEST_DATABASE_URL")
    import psycopg

    schema = f"tradepit_ckpt_{uuid.uuid4().hex[:10]}"
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield dsn, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
def test_restart_on_the_same_postgres_checkpointer(world: World, pg_url: tuple[str, str]):
    dsn, schema = pg_url
    _restart_continues(world, lambda: postgres_checkpointer(dsn, options=f"-csearch_path={schema}"))


def test_calls_before_an_approval_run_once_and_each_order_waits_alone(world: World):
    from tests.unit.agent.fakes import ECHO

    runs: list[str] = []
    counting = ECHO.__class__(
        "count", ECHO.input_model, ECHO.output_model,
        lambda deps, args: (runs.append(args.text), ECHO.fn(deps, args))[1],
    )  # fmt: skip
    spx = {"symbol": "SPX", "side": "buy", "qty": 2}  # ~$5,400
    first = turn("", call("count", {"text": "a"}, id="c1"), call("place_order", BIG, id="c2"),
                 call("place_order", spx, id="c3"))  # fmt: skip
    model = Scripted(first, turn("done"))
    service = world.service(model, tools=[counting, *world.service(model).tools.values()])
    assert service.chat("s1", "go").approval["call_id"] == "c2"
    second = service.approve("s1")
    assert second.status == "awaiting_approval" and second.approval["call_id"] == "c3"
    final = service.reject("s1")
    assert final.text == "done" and runs == ["a"]  # the read ran once despite two pauses
    assert [s["id"] for s in final.steps] == ["c1", "c2", "c3"]
    roots = [o for o in world.broker.list_orders("all") if o.parent_id is None]
    assert [o.symbol for o in roots] == ["MSFT"]
