"""Agent overhead per decision and token counts of schemas and prompts.

Run: ``.venv/bin/python benchmarks/agent.py [--cycles N] [--symbols SPX,MSFT] [--memory off]``

A cycle of the offline `rules:supertrend` model over the bundled data makes one decision
per symbol (time per decision = cycle time / symbols), through graph + snapshot + tools +
risk gate + paper broker + store (SQLite file) + LangGraph checkpoints. The model's own
time (`complete`) is measured and subtracted: the overhead is what tradepit adds around
any model. Wall and CPU time (less sensitive to other processes on a shared machine) are
both reported, for the default cycle checkpointing (durability "exit": one checkpoint per
cycle) and for "sync" (one per step). The target (issue #4) is about that path, so the
vector memory is off by default; ``--memory ephemeral`` (or ``persistent``) adds its cost
(journal entries with embeddings, outcomes, recall in the prompts).
Side by side, the floor: LangGraph alone running the same five supersteps of a cycle
(snapshot, model, tools, model, record) with empty nodes, with the same SQLite saver and
the same state lookup before each run, and without a saver. What tradepit adds on top of
LangGraph is the difference. And a peer: LangGraph's prebuilt ReAct agent (the agent most
LangGraph projects start from) making one decision with a scripted model and a no-op
tool, so with none of tradepit's work (snapshot, gate, broker, store, recording).
A cycle decides all its symbols in one graph run, so the graph's fixed cost is shared: the
last line repeats the "exit" figure for the first 1, 2 and 3 symbols of ``--scaling``.
Token counts use litellm's offline tokenizer (gpt-4o encoding), as the tools' registry does.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.loop import ticks
from tradepit.agent.service import Tick
from tradepit.bootstrap import configure_process, open_app
from tradepit.clock import ReplayClock
from tradepit.config import Settings


class TimedBackend:
    """Wraps a backend and adds up the wall and CPU time spent inside `complete`."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.spent, self.cpu = 0.0, 0.0

    def complete(self, messages: list, tools: list) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner.complete(messages, tools)
        finally:
            self.spent += time.perf_counter() - started
            self.cpu += time.process_time() - cpu


def measure(
    symbols: tuple[str, ...], cycles: int, durability: str, memory: str = "off"
) -> dict[str, float]:
    start = datetime(2016, 1, 4, tzinfo=UTC)
    schedule = list(ticks(start, datetime(2017, 11, 1, tzinfo=UTC), pd.Timedelta(days=1)))
    schedule = schedule[: cycles + 5]
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), model="rules:supertrend", memory_backend=memory)
        clock = ReplayClock(start)
        with open_app(settings, clock=clock, symbols=symbols, account_id="bench") as app:
            backend = TimedBackend(RulesBackend("supertrend"))
            service = app.service
            service.backend = backend
            service.recorder.backend = backend.name
            service._durability["cycle"] = durability
            wall, cpu = [], []
            for n, when in enumerate(schedule):
                clock.advance_to(when.to_pydatetime())
                before, before_cpu = backend.spent, backend.cpu
                started, started_cpu = time.perf_counter(), time.process_time()
                service.cycle("bench", Tick(cycle=n))
                wall.append(time.perf_counter() - started - (backend.spent - before))
                cpu.append(time.process_time() - started_cpu - (backend.cpu - before_cpu))
            model_ms = 1e3 * backend.spent / len(schedule)
    warm = slice(5, None)  # the first cycles pay imports and caches
    per = len(symbols)  # one decision per symbol and cycle
    return {
        "median_cycle_ms": 1e3 * statistics.median(wall[warm]),
        "median_per_decision_ms": 1e3 * statistics.median(wall[warm]) / per,
        "p90_per_decision_ms": 1e3 * statistics.quantiles(wall[warm], n=10)[-1] / per,
        "median_per_decision_cpu_ms": 1e3 * statistics.median(cpu[warm]) / per,
        "mean_model_ms": model_ms,
    }


def langgraph_floor(cycles: int) -> dict[str, float]:
    """Median ms per run of the cycle's five supersteps with empty nodes: with the SQLite
    saver (durability "exit", state looked up first, as `AgentService.cycle` does) and with
    no saver."""
    from langgraph.graph import END, START, StateGraph

    from tradepit.agent.graph import then
    from tradepit.agent.state import AgentContext, AgentState

    def snapshot(state: AgentState, runtime: Any) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": "Symbols: SPX"}], "pending": []}

    def model(state: AgentState, runtime: Any) -> dict[str, Any]:
        if len(state["messages"]) == 1:
            call = {"id": "c1", "name": "get_signal", "arguments": "{}"}
            return {"messages": [{"role": "assistant", "content": ""}], "pending": [call]}
        return {"messages": [{"role": "assistant", "content": "hold"}], "answer": "hold"}

    def tools(state: AgentState, runtime: Any) -> dict[str, Any]:
        message = {"role": "tool", "tool_call_id": "c1", "content": "{}"}
        return {"messages": [message], "pending": []}

    def record(state: AgentState, runtime: Any) -> dict[str, Any]:
        return {"outcome": {"status": "answered"}}

    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("snapshot", then(snapshot, lambda s: "model"), destinations=("model",))
    graph.add_node(
        "model", then(model, lambda s: "tools" if s.get("pending") else "record"),
        destinations=("tools", "record"),
    )  # fmt: skip
    graph.add_node("tools", then(tools, lambda s: "model"), destinations=("model",))
    graph.add_node("record", then(record, lambda s: END), destinations=(END,))
    graph.add_edge(START, "snapshot")
    return time_runs(
        lambda saver: graph.compile(checkpointer=saver),
        lambda n: {"mode": "cycle", "cycle": n},
        cycles,
        lookup=True,
    )


def time_runs(
    build: Callable[[Any], Any], payload: Callable[[int], Any], cycles: int, lookup: bool = False
) -> dict[str, float]:
    """Median ms per `invoke` of the graph `build(checkpointer)` makes, on `payload(n)`, one
    thread per run: with a SQLite saver (durability "exit"; the thread's state looked up
    first when `lookup`, as `AgentService.cycle` does) and without a saver."""
    from tradepit.bootstrap import sqlite_checkpointer

    out = {}
    with tempfile.TemporaryDirectory() as home, sqlite_checkpointer(f"{home}/c.db") as saver:
        for label, checkpointer in (("sqlite_exit_ms", saver), ("no_saver_ms", None)):
            graph = build(checkpointer)
            options = {"durability": "exit"} if checkpointer is not None else {}
            wall = []
            for n in range(cycles + 5):
                config = {"configurable": {"thread_id": f"run:bench:{n}"}}
                started = time.perf_counter()
                if lookup and checkpointer is not None:
                    graph.get_state(config)
                graph.invoke(payload(n), config, **options)
                wall.append(time.perf_counter() - started)
            out[label] = 1e3 * statistics.median(wall[5:])
    return out


def react_peer(cycles: int) -> dict[str, float]:
    """Median ms per run of LangGraph's own prebuilt ReAct agent doing one decision with no
    work in it: a scripted chat model asks for one no-op tool, then answers (agent, tools,
    agent), with the same SQLite saver (durability "exit") and without a saver. No
    snapshot, risk gate, broker, store or recording: what a bare LangGraph agent costs."""
    import warnings

    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.tools import tool
    from langgraph.prebuilt import create_react_agent

    class Scripted(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "scripted"

        def bind_tools(self, tools: Any, **kwargs: Any) -> Scripted:
            return self

        def _generate(self, messages: list, stop: Any = None, **kwargs: Any) -> ChatResult:
            if isinstance(messages[-1], ToolMessage):
                reply = AIMessage(content="DECISION: SPX hold - already aligned")
            else:
                call = {"id": "c1", "name": "get_signal", "args": {"symbol": "SPX"}}
                reply = AIMessage(content="", tool_calls=[call])
            return ChatResult(generations=[ChatGeneration(message=reply)])

    @tool
    def get_signal(symbol: str) -> dict:
        """The signal of `symbol` (a constant)."""
        return {"symbol": symbol, "target": 1.0}

    def build(saver: Any) -> Any:
        with warnings.catch_warnings():  # moved to `langchain.agents` (not installed here)
            warnings.simplefilter("ignore")
            return create_react_agent(Scripted(), [get_signal], checkpointer=saver)

    return time_runs(build, lambda n: {"messages": [("user", "Symbols: SPX")]}, cycles)


def token_counts(symbol: str) -> dict[str, int]:
    from tradepit.agent.deps import AgentDeps
    from tradepit.agent.snapshot import build_snapshot
    from tradepit.bootstrap import build_feed
    from tradepit.broker import PaperBroker
    from tradepit.prompts import decision_prompt, system_prompt
    from tradepit.risk import RiskGate, RiskLimits
    from tradepit.tools.registry import count_tokens, default_tools, openai_schemas, schema_tokens

    clock = ReplayClock(datetime(2017, 11, 1, 15, tzinfo=UTC))
    feed = build_feed(clock)
    broker = PaperBroker(clock, feed.get_asset)
    broker.mark(symbol, feed.latest_quote(symbol).last)
    deps = AgentDeps(broker, feed, clock, RiskGate(), RiskLimits(), symbols=(symbol,))
    tools = default_tools()
    system_cycle = system_prompt(deps, "cycle")
    decision = decision_prompt(build_snapshot(deps, (symbol,)), (symbol,))
    return {
        "tools": len(tools),
        "schemas_openai": schema_tokens(tools, "openai"),
        "schemas_anthropic": schema_tokens(tools, "anthropic"),
        "system_chat": count_tokens(system_prompt(deps, "chat")),
        "system_cycle": count_tokens(system_cycle),
        "decision_prompt": count_tokens(decision),
        "per_decision_total": count_tokens(system_cycle + "\n" + decision, openai_schemas(tools)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--symbols", default="SPX")
    parser.add_argument(
        "--scaling", default="SPX,MSFT,IXIC",
        help="symbols for the per-decision scaling line (empty: skip it)",
    )  # fmt: skip
    parser.add_argument(
        "--memory", default="off", choices=("off", "ephemeral", "persistent"),
        help="vector memory backend (default off: graph + tools + gate + store only)",
    )  # fmt: skip
    args = parser.parse_args()
    configure_process(Settings())  # litellm's offline cost map, before its (lazy) import
    symbols = tuple(s.strip().upper() for s in args.symbols.split(","))
    print(
        f"decisions: {args.cycles} daily cycles of rules:supertrend on {','.join(symbols)}, "
        f"memory {args.memory}"
    )
    for durability in ("exit", "sync"):
        figures = measure(symbols, args.cycles, durability, args.memory)
        line = ", ".join(f"{k} {v:.2f}" for k, v in figures.items())
        print(f"  checkpoints {durability:>4}: {line}")
    floor = langgraph_floor(args.cycles)
    print(
        "  LangGraph alone, the same 5 supersteps with empty nodes: "
        + ", ".join(f"{k} {v:.2f}" for k, v in floor.items())
    )
    peer = react_peer(args.cycles)
    print(
        "  peer, LangGraph's prebuilt ReAct agent, one no-op tool round, no work: "
        + ", ".join(f"{k} {v:.2f}" for k, v in peer.items())
    )
    scaling = [s.strip().upper() for s in args.scaling.split(",") if s.strip()]
    if scaling:
        per = {
            n: measure(tuple(scaling[:n]), args.cycles, "exit", args.memory)[
                "median_per_decision_ms"
            ]
            for n in range(1, len(scaling) + 1)
        }
        print(
            f"  per decision by symbols per cycle ({','.join(scaling)}), exit: "
            + ", ".join(f"{n}: {ms:.2f} ms" for n, ms in per.items())
        )
    print("  target: median overhead <= 5 ms per decision")
    print(f"tokens ({symbols[0]}):")
    for name, value in token_counts(symbols[0]).items():
        print(f"  {name:>20}: {value}")
    print("  targets: all schemas <= 1500, per-decision prompt with schemas <= 2000")


if __name__ == "__main__":
    main()
