"""Model calls and trading flags (migration 0002), on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradepit.domain.models import TradingState
from tradepit.storage import ModelCallRecord, Store

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def call(cycle: int, seq: int, **kw) -> ModelCallRecord:
    base = dict(
        run_id="run-1", cycle=cycle, seq=seq, thread_id="run:run-1:0", backend="gpt-4o-mini",
        model="gpt-4o-mini-2024-07-18",
        request={"messages": [{"role": "user", "content": "ß → é"}], "tools": ["get_quote"]},
        response={"text": "", "tool_calls": [{"id": "c1", "name": "get_quote"}]},
        input_tokens=1200, output_tokens=30, cost_usd=Decimal("0.000198"), latency_s=0.8125,
        timestamp=T0 + timedelta(minutes=cycle),
    )  # fmt: skip
    return ModelCallRecord(**(base | kw))


def test_model_calls_round_trip_in_order(store: Store):
    store.record_model_call(call(1, 0))
    store.record_model_call(call(0, 1, error_type="ModelUnavailableError", error="429"))
    store.record_model_call(call(0, 0))
    calls = store.list_model_calls("run-1")
    assert [(c.cycle, c.seq) for c in calls] == [(0, 1), (0, 0), (1, 0)]
    assert calls[2] == call(1, 0)
    assert calls[0].error_type == "ModelUnavailableError"
    assert [c.cycle for c in store.list_model_calls("run-1", cycle=1)] == [1]
    tokens, dollars = store.model_call_totals("run-1")
    assert (tokens, dollars) == (3 * 1230, Decimal("0.000594"))
    assert store.model_call_totals("other") == (0, Decimal(0))


def test_trading_flags_are_upserted_per_scope(store: Store):
    assert store.get_trading_flag("global") is None
    store.set_trading_flag("global", TradingState.HALTED, "drawdown", T0)
    store.set_trading_flag("run-1", TradingState.REDUCING, "", T0)
    store.set_trading_flag("global", TradingState.ACTIVE, "resumed", T0 + timedelta(hours=1))
    flag = store.get_trading_flag("global")
    assert (flag.state, flag.reason, flag.updated_at) == (
        TradingState.ACTIVE,
        "resumed",
        T0 + timedelta(hours=1),
    )
    assert store.get_trading_flag("run-1").state is TradingState.REDUCING


def test_last_cycle_and_decisions_of_one_cycle(store: Store):
    from tradepit.domain.models import Decision

    assert store.last_cycle("r") is None
    store.create_run("r", "cycle", T0)
    for cycle in (0, 2, 1):
        d = Decision(run_id="r", cycle=cycle, symbol="SPX", action="hold", timestamp=T0)
        store.record_decision(d, {"n": cycle})
    assert store.last_cycle("r") == 2
    assert [r.payload for r in store.list_decisions("r", cycle=1)] == [{"n": 1}]
    assert store.has_decisions("r", 2) and not store.has_decisions("r", 3)
