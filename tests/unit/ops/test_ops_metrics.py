"""Prometheus metrics counted by the service and the recorder during real cycles (scripted
model, paper broker, store), on a registry of the test's own."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from tests.unit.agent.fakes import Scripted, World, call, make_world, turn

from tradepit.agent.errors import ModelUnavailableError
from tradepit.agent.graph import build_graph
from tradepit.agent.service import AgentService, Tick
from tradepit.bootstrap import mark_to_market
from tradepit.clock import ReplayClock
from tradepit.domain.models import Fill, Side, TradingState
from tradepit.ops.metrics import Metrics
from tradepit.tools.registry import default_tools

WALL = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(ReplayClock(WALL))


def service(world: World, model: Scripted, metrics: Metrics, symbols=("MSFT",)) -> AgentService:
    feed, broker = world.feed, world.broker
    return AgentService(
        world.deps(symbols), model, build_graph(InMemorySaver()), tools=default_tools(),
        prepare=lambda d: mark_to_market(broker, feed, feed.symbols()), metrics=metrics,
    )  # fmt: skip


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def buy(qty: int = 5) -> Scripted:
    order = {"symbol": "MSFT", "side": "buy", "qty": qty}
    return Scripted(
        turn("", call("place_order", order), tokens=(100, 20), cost=0.002),
        turn("DECISION: MSFT buy", tokens=(150, 10), cost=0.001),
        name="scripted-llm",
    )


def test_a_cycle_with_an_accepted_order(world: World, metrics: Metrics):
    fill = Fill(
        id="f1", order_id="o1", client_order_id="r1-0-MSFT-buy", symbol="MSFT", side=Side.SELL,
        qty=Decimal(1), price=Decimal(80), timestamp=world.clock.now(),
    )  # fmt: skip
    reply = service(world, buy(), metrics).cycle("r1", Tick(cycle=0, fills=[fill]))
    assert reply.status == "answered" and reply.actions == {"MSFT": "buy"}
    assert value(metrics, "tradepit_cycles_total", outcome="answered") == 1
    assert value(metrics, "tradepit_cycle_duration_seconds_count") == 1
    assert value(metrics, "tradepit_last_cycle_timestamp_seconds") == WALL.timestamp()
    calls = value(metrics, "tradepit_model_calls_total", backend="scripted-llm", outcome="ok")
    assert calls == 2
    tokens = {
        kind: value(metrics, "tradepit_model_tokens_total", backend="scripted-llm", kind=kind)
        for kind in ("input", "output")
    }
    assert tokens == {"input": 250, "output": 30}
    cost = value(metrics, "tradepit_model_cost_usd_total", backend="scripted-llm")
    assert cost == pytest.approx(0.003)
    assert value(metrics, "tradepit_orders_total", outcome="accepted") == 1
    assert value(metrics, "tradepit_fills_total", side="sell") == 1
    assert value(metrics, "tradepit_risk_denials_total", rule="trading_halted") is None


def test_denials_are_counted_by_rule(world: World, metrics: Metrics):
    svc = service(world, buy(), metrics)
    svc.set_trading_state(TradingState.HALTED, "test")
    svc.cycle("r1", Tick(cycle=0))
    assert value(metrics, "tradepit_orders_total", outcome="denied_by_risk") == 1
    assert value(metrics, "tradepit_orders_total", outcome="accepted") is None
    assert value(metrics, "tradepit_risk_denials_total", rule="trading_halted") == 1


def test_an_aborted_cycle_and_a_failed_call(world: World, metrics: Metrics):
    model = Scripted(ModelUnavailableError("429 after 4 attempts"), name="down")
    reply = service(world, model, metrics).cycle("r1", Tick(cycle=0))
    assert reply.status == "aborted"
    assert value(metrics, "tradepit_cycles_total", outcome="aborted") == 1
    assert value(metrics, "tradepit_model_calls_total", backend="down", outcome="error") == 1


def test_account_and_trading_state_gauges(metrics: Metrics):
    metrics.account("acct", Decimal("100250.5"), Decimal("90000"))
    metrics.trading_state("acct", TradingState.REDUCING)
    metrics.trading_state("acct", TradingState.HALTED)
    assert value(metrics, "tradepit_equity_usd", account="acct") == 100250.5
    assert value(metrics, "tradepit_cash_usd", account="acct") == 90000
    states = {
        s.value: value(metrics, "tradepit_trading_state", account="acct", state=s.value)
        for s in TradingState
    }
    assert states == {"active": 0, "reducing": 0, "halted": 1}


def test_each_metrics_object_has_its_own_registry():
    """No process-global state: two sets of metrics (two tests, two apps) do not collide."""
    first, second = Metrics(ReplayClock(WALL)), Metrics(ReplayClock(WALL))
    first.cycle_skipped()
    assert value(first, "tradepit_cycles_total", outcome="skipped") == 1
    assert value(second, "tradepit_cycles_total", outcome="skipped") is None
