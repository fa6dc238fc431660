"""Chat sessions over the real composition root (bundled data, paper broker, SQLite):
streamed turns, isolation between conversations, approvals, resume, charts."""

from __future__ import annotations

import asyncio
import threading
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tradepit.bootstrap import build_feed
from tradepit.chat_ui import charts
from tradepit.chat_ui.chart_requests import ChartRequest
from tradepit.chat_ui.locks import ConversationBusyError, ThreadLock
from tradepit.chat_ui.session import ChatSession, account_for, session_id
from tradepit.chat_ui.turns import run_streamed
from tradepit.clock import ReplayClock
from tradepit.domain.errors import NoDataError
from tradepit.indicators import compute


def _nodes(session, text):
    seen: list[tuple[str, dict]] = []
    reply = session.chat(text, lambda node, update: seen.append((node, update)))
    return reply, seen


def test_streamed_turn_reports_nodes_in_order_and_the_same_reply(open_session) -> None:
    session = open_session("t1")
    reply, seen = _nodes(session, "price of MSFT")
    nodes = [n for n, _ in seen]
    assert nodes[:2] == ["route", "model"]
    assert nodes.index("tools") < nodes.index("respond")
    tool_steps = [s for n, u in seen if n == "tools" for s in u["steps"]]
    assert [s["name"] for s in tool_steps] == ["get_quote"] == [s["name"] for s in reply.steps]
    answer = next(u["answer"] for n, u in seen if n == "respond")
    assert answer == reply.text and "MSFT is at" in reply.text
    plain = session.app.service.chat(session.session, "price of MSFT")  # no listener
    assert plain.text == reply.text and plain.status == "answered"


def test_streamed_turn_pauses_for_approval_and_resumes(open_session) -> None:
    session = open_session("t-stream-approval")
    reply, seen = _nodes(session, "buy 100 MSFT")
    assert reply.status == "awaiting_approval"
    assert reply.approval == session.pending()
    assert "respond" not in [n for n, _ in seen]  # paused before the order tool ran
    resumed: list[tuple[str, dict]] = []
    done = session.resolve(True, "alice", lambda node, update: resumed.append((node, update)))
    steps = [s for n, u in resumed if n == "tools" for s in u["steps"]]
    assert [s["name"] for s in steps] == ["place_order"]
    assert steps[0]["approval"]["approved"] is True
    assert [n for n, _ in resumed][-1] == "respond" and done.status == "answered"


def test_conversations_are_isolated(open_session) -> None:
    a, b = open_session("thread-a"), open_session("thread-b")
    assert a.app.broker.account_id == account_for("thread-a") != b.app.broker.account_id
    pending = a.chat("buy 100 MSFT with a 2% stop")
    assert pending.status == "awaiting_approval"
    assert a.pending()["summary"].startswith("buy 100 MSFT")
    assert b.pending() is None
    done = a.resolve(True, by="alice")
    assert done.status == "answered" and "filled 100 at 83.87" in done.text
    order_id = done.steps[-1]["order"]["id"]
    assert order_id.startswith(account_for("thread-a"))
    a_orders = a.portfolio()[2]["output"]["orders"]
    # the entry filled; its stop-loss and take-profit legs rest in conversation a only
    assert len(a_orders) == 2 and all(o["id"].startswith(account_for("thread-a")) for o in a_orders)
    assert b.portfolio()[2]["output"]["orders"] == []


def test_reject_is_recorded_and_nothing_is_sent(open_session) -> None:
    session = open_session("t-reject")
    assert session.chat("buy 100 MSFT").status == "awaiting_approval"
    reply = session.resolve(False, by="alice")
    approval = reply.steps[-1]["approval"]
    assert (approval["approved"], approval["by"]) == (False, "alice")
    assert approval["summary"].startswith("buy 100 MSFT")
    assert "rejected" in reply.text
    assert session.portfolio()[2]["output"]["orders"] == []
    decisions = session.app.store.list_decisions(f"chat-{session.session}")
    assert [r.decision.action for r in decisions] == ["rejected_by_user"]


def test_resume_finds_the_pending_order_and_the_history(open_session) -> None:
    first = open_session("t-resume", user="alice")
    first.chat("price of MSFT")
    first.chat("buy 100 MSFT")
    first.close()
    again = open_session("t-resume", user="alice")  # a new process would do the same
    assert again.pending()["summary"].startswith("buy 100 MSFT")
    state = again.app.service.graph.get_state(
        {"configurable": {"thread_id": f"chat:{again.session}"}}
    )
    texts = [m.get("content") for m in state.values["messages"] if m.get("role") == "user"]
    assert texts == ["price of MSFT", "buy 100 MSFT"]
    assert again.resolve(True, by="alice").status == "answered"
    again.close()
    other_user = open_session("t-resume", user="bob")  # same thread id, other user
    assert other_user.pending() is None


def test_a_conversation_opens_in_one_session_at_a_time(open_session, settings) -> None:
    first = open_session("t-busy")
    second = ChatSession(settings, "t-busy", "rules:supertrend", "alice")
    with pytest.raises(ConversationBusyError):
        second._lock.acquire(timeout_s=0.2)
    first.switch_model("rules:macd_cross")  # keeps the lock
    with pytest.raises(ConversationBusyError):
        second._lock.acquire(timeout_s=0.1)
    first.close()
    second.open()
    try:
        assert second.is_open and second.app.broker.account_id == account_for("t-busy")
    finally:
        second.close()
    odd = ThreadLock(settings.home / "locks-test", "../x/y")  # stays in its directory
    odd.acquire()
    odd.release()
    assert [p.name for p in (settings.home / "locks-test").iterdir()] == [".._x_y.lock"]


def test_switching_model_keeps_the_conversation(open_session) -> None:
    session = open_session("t-switch")
    session.chat("buy 100 MSFT")
    session.switch_model("rules:macd_cross")
    assert session.app.backend.name == "rules:macd_cross"
    assert session.pending() is not None


def test_session_id_keeps_the_user_first() -> None:
    assert session_id("alice", "abc") == "alice/abc"
    assert session_id("a/b", "abc") == "a_b/abc"


def test_portfolio_steps(open_session) -> None:
    steps = open_session("t-portfolio").portfolio()
    assert [s["name"] for s in steps] == ["get_account", "get_positions", "get_orders"]
    assert all(s["ok"] for s in steps)
    assert steps[0]["output"]["equity"] == pytest.approx(100_000.0)


def test_run_streamed_delivers_updates_in_order_on_the_loop() -> None:
    loop_thread: list[int] = []

    def call(listener):
        for i in range(5):
            listener("n", {"i": i})
        return "done"

    async def main():
        got = []

        async def on_update(node, update):
            loop_thread.append(threading.get_ident())
            got.append(update["i"])

        result = await run_streamed(call, on_update)
        return result, got, threading.get_ident()

    result, got, main_thread = asyncio.run(main())
    assert result == "done" and got == [0, 1, 2, 3, 4]
    assert set(loop_thread) == {main_thread}


def test_run_streamed_raises_the_calls_error() -> None:
    def call(listener):
        listener("n", {})
        raise NoDataError("boom")

    async def on_update(node, update):
        return None

    with pytest.raises(NoDataError, match="boom"):
        asyncio.run(run_streamed(call, on_update))


# -- charts ---------------------------------------------------------------------------------


def test_price_chart_with_supertrend(open_session) -> None:
    session = open_session("t-chart")
    request = ChartRequest("SPX", ("supertrend", "rsi"), date(2015, 1, 1), date(2015, 12, 31))
    chart = session.price_chart(request)
    names = [t.name for t in chart.figure.data]
    assert names == ["SPX", "supertrend up", "supertrend down", "rsi_14"]
    candles = chart.figure.data[0]
    x = pd.DatetimeIndex(candles.x)
    assert x[0].date().isoformat() == "2015-01-02" and x[-1].date().isoformat() == "2015-12-31"
    up, down = (np.asarray(chart.figure.data[i].y, dtype=float) for i in (1, 2))
    assert not np.isnan(up[0]) or not np.isnan(down[0])  # warmed up on the first bar
    assert not (np.isfinite(up) & np.isfinite(down)).any()  # one side at a time
    bars = session.app.feed.get_bars("SPX", "1Day")
    full = compute("supertrend", bars).loc["2015-01-02":"2015-12-31", "supertrend"].to_numpy()
    np.testing.assert_allclose(np.where(np.isfinite(up), up, down), full)
    assert "252 daily bars" in chart.summary


def test_price_chart_never_shows_bars_after_the_clock(open_session) -> None:
    now = pd.Timestamp("2012-06-01", tz="UTC").to_pydatetime()
    feed = build_feed(ReplayClock(now))
    bars, first = charts.chart_bars(feed, "SPX", None, None, now)
    assert bars.index[-1] + pd.Timedelta(days=1) <= pd.Timestamp(now)  # completed bars only
    assert first == pd.Timestamp(now) - pd.Timedelta(days=charts.DEFAULT_DAYS)
    later, _ = charts.chart_bars(feed, "SPX", date(2012, 1, 1), date(2015, 12, 31), now)
    assert later.index[-1] == bars.index[-1]
    session = open_session("t-chart-now")
    with pytest.raises(NoDataError, match="no SPX bars"):
        session.price_chart(ChartRequest("SPX", (), date(2030, 1, 1)))


def test_equity_chart_matches_the_agents_backtest(open_session) -> None:
    session = open_session("t-backtest")
    reply = session.chat("backtest supertrend on SPX since 2010")
    output = next(s["output"] for s in reply.steps if s["name"] == "run_backtest")
    chart = session.backtest_chart(output)
    equity = np.asarray(chart.figure.data[0].y, dtype=float)
    # the tool reports 4 significant digits
    assert 100 * (equity[-1] / equity[0] - 1) == pytest.approx(output["return_pct"], rel=5e-4)
    hold = np.asarray(chart.figure.data[1].y, dtype=float)
    assert 100 * (hold[-1] / hold[0] - 1) == pytest.approx(output["buy_and_hold_pct"], rel=5e-4)
    assert f"{output['trades']} trades" in chart.summary
