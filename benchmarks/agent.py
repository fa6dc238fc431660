"""Agent overhead per decision and token counts of schemas and prompts.

Run: ``.venv/bin/python benchmarks/agent.py [--cycles N] [--symbols SPX,MSFT] [--memory off]``

A cycle of the offline `rules:supertrend` model over the bundled data makes one decision
per symbol (time per decision = cycle time / symbols), through graph + snapshot + tools +
risk gate + paper broker + store (SQLite file) + LangGraph checkpoints. The model's own
time (`complete`) is measured and subtracted: the overhead is what tradepit adds around
any model. Wall and CPU time (less sensitive to other processes on a shared machine) are
both reported, for the default cycle checkpointing (durability "exit": one checkpoint per
cycle) and for "sync" (one per step), and for "exit" with Prometheus metrics on (the
`--metrics-port` of `tradepit run`: the service and recorder count into a registry).
The target (issue #4) is about that path, so the vector memory is off by default;
``--memory ephemeral`` (or ``persistent``) adds its cost (journal entries with embeddings,
outcomes, recall in the prompts).
Side by side, the floor: LangGraph alone running the same five supersteps of a cycle
(snapshot, model, tools, model, record) with empty nodes, with the same SQLite saver and
the same state lookup before each run, and without a saver. What tradepit adds on top of
LangGraph is the difference. And a peer: LangGraph's prebuilt ReAct agent (the agent most
LangGraph projects start from) making one decision with a scripted model and a no-op
tool, so with none of tradepit's work (snapshot, gate, broker, store, recording).
A cycle decides all its symbols in one graph run, so the graph's fixed cost is shared: the
last line repeats the "exit" figure for the first 1, 2 and 3 symbols of ``--scaling``.
As in `tradepit run`, the paper broker gets each day's bars before the cycle and the fills
come in with the tick (their delivery is timed apart: it is the loop's work, not the
decision's). A shared host is noisy, so all variants run interleaved, 10 runs of each in
turn, and every figure comes with its interquartile range.
Token counts use litellm's offline tokenizer (gpt-4o encoding), as the tools' registry does.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.fills import BarFills
from tradepit.agent.loop import ticks
from tradepit.agent.service import Tick
from tradepit.bootstrap import configure_process, open_app
from tradepit.clock import ReplayClock, SystemClock
from tradepit.config import Settings
from tradepit.ops.metrics import Metrics

WARMUP = 5
"""Runs dropped at the start of every variant (imports, caches)."""


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


@dataclass
class CycleRun:
    """Figures of one tradepit variant besides its per-cycle samples, filled as it runs."""

    symbols: tuple[str, ...]
    model_s: float = 0.0
    delivery_s: float = 0.0
    fills: int = 0
    open_orders: int = 0


def cycle_samples(
    run: CycleRun, cycles: int, durability: str, memory: str = "off", metrics: bool = False
) -> Iterator[tuple[float, float]]:
    """(wall, CPU) seconds of each cycle's overhead, the model's own time taken out. Fills
    are delivered before each cycle and passed in with the tick, as `tradepit run` does
    (without them the paper broker never fills and orders pile up); their delivery is
    timed apart (it is the loop's, not the decision's)."""
    start = datetime(2016, 1, 4, tzinfo=UTC)
    schedule = list(ticks(start, datetime(2018, 12, 31, tzinfo=UTC), pd.Timedelta(days=1)))
    schedule = schedule[: cycles + WARMUP]
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), model="rules:supertrend", memory_backend=memory)
        clock = ReplayClock(start)
        counted = Metrics(SystemClock()) if metrics else None
        with open_app(
            settings, clock=clock, symbols=run.symbols, account_id="bench", metrics=counted
        ) as app:
            backend = TimedBackend(RulesBackend("supertrend"))
            service = app.service
            service.backend = backend
            service.recorder.backend = backend.name
            service._durability["cycle"] = durability
            bar_fills = BarFills(app.feed, app.broker, run.symbols)
            previous = None
            for n, when in enumerate(schedule):
                clock.advance_to(when.to_pydatetime())
                started = time.perf_counter()
                delivered = bar_fills.deliver(previous)
                run.delivery_s += time.perf_counter() - started
                run.fills, previous = run.fills + len(delivered), when
                before, before_cpu = backend.spent, backend.cpu
                started, started_cpu = time.perf_counter(), time.process_time()
                service.cycle("bench", Tick(cycle=n, fills=delivered))
                wall = time.perf_counter() - started - (backend.spent - before)
                cpu = time.process_time() - started_cpu - (backend.cpu - before_cpu)
                yield wall, cpu
            run.model_s = backend.spent
            run.open_orders = len(app.broker.list_orders("open"))


def cycle_figures(run: CycleRun, samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Per decision (a cycle decides each of its symbols once): median wall with its
    interquartile range, p90, median CPU; the model's and the fill delivery's mean per
    cycle; fills and orders still open at the end (the workload is a real one)."""
    per, count = len(run.symbols), len(samples) + WARMUP
    wall = [1e3 * w / per for w, _ in samples]
    return {
        "median_per_decision_ms": spread(wall),
        "p90_per_decision_ms": statistics.quantiles(wall, n=10)[-1],
        "median_per_decision_cpu_ms": statistics.median(1e3 * c / per for _, c in samples),
        "mean_model_ms": 1e3 * run.model_s / count,
        "mean_fill_delivery_ms": 1e3 * run.delivery_s / count,
        "fills": run.fills,
        "open_orders_at_end": run.open_orders,
    }


def spread(values: list[float]) -> str:
    """Median with the interquartile range: ``median [p25-p75]``."""
    q1, median, q3 = statistics.quantiles(values, n=4)
    return f"{median:.2f} [{q1:.2f}-{q3:.2f}]"


def interleave(sources: dict[str, Iterator[Any]], chunk: int = 10) -> dict[str, list[Any]]:
    """Samples of every source, taken `chunk` at a time from each in turn, so a slow
    spell of a shared host lands on all of them alike; the first `WARMUP` of each (imports,
    caches) are dropped."""
    samples: dict[str, list[Any]] = {name: [] for name in sources}
    running = dict(sources)
    while running:
        for name, source in list(running.items()):
            taken = list(itertools.islice(source, chunk))
            samples[name].extend(taken)
            if len(taken) < chunk:
                del running[name]
    return {name: values[WARMUP:] for name, values in samples.items()}


def floor_graph() -> Callable[[Any], Any]:
    """`build(checkpointer)` of LangGraph alone running a cycle's five supersteps
    (snapshot, model, tools, model, record) with empty nodes on tradepit's state."""
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
    return lambda saver: graph.compile(checkpointer=saver)


def graph_samples(
    build: Callable[[Any], Any], payload: Any, cycles: int, saver: bool, lookup: bool = False
) -> Iterator[float]:
    """Seconds per `invoke` of the graph `build(checkpointer)` makes, one thread per run:
    with a SQLite saver (durability "exit"; the thread's state looked up first when
    `lookup`, as `AgentService.cycle` does) or without a saver."""
    from tradepit.bootstrap import sqlite_checkpointer

    with tempfile.TemporaryDirectory() as home, sqlite_checkpointer(f"{home}/c.db") as sqlite:
        checkpointer = sqlite if saver else None
        graph = build(checkpointer)
        options = {"durability": "exit"} if saver else {}
        for n in range(cycles + WARMUP):
            config = {"configurable": {"thread_id": f"run:bench:{n}"}}
            started = time.perf_counter()
            if lookup and saver:
                graph.get_state(config)
            graph.invoke(payload, config, **options)
            yield time.perf_counter() - started


def react_peer_graph() -> Callable[[Any], Any]:
    """`build(checkpointer)` of LangGraph's own prebuilt ReAct agent doing one decision
    with no work in it: a scripted chat model asks for one no-op tool, then answers (agent,
    tools, agent). No snapshot, risk gate, broker, store or recording: what a bare
    LangGraph agent costs."""
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

    return build


def _figure(value: float) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


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
    parser.add_argument(
        "--cycles", type=int, default=200,
        help="runs per variant (at most 748: the daily ticks of 2016-2018 after the warm-up)",
    )  # fmt: skip
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
        f"memory {args.memory}; every variant below runs {args.cycles} times, all of them "
        "interleaved 10 runs at a time; ms as median [interquartile range]"
    )
    scaling = [s.strip().upper() for s in args.scaling.split(",") if s.strip()]
    runs = {
        ("exit", symbols): CycleRun(symbols),
        ("sync", symbols): CycleRun(symbols),
        ("exit+metrics", symbols): CycleRun(symbols),
    }
    for n in range(1, len(scaling) + 1):
        runs.setdefault(("exit", tuple(scaling[:n])), CycleRun(tuple(scaling[:n])))
    sources: dict[Any, Iterator[Any]] = {
        key: cycle_samples(
            run, args.cycles, key[0].removesuffix("+metrics"), args.memory, "+" in key[0]
        )
        for key, run in runs.items()
    }
    peers = {"floor": (floor_graph(), {"mode": "cycle", "cycle": 0}, True)}
    peers["peer"] = (react_peer_graph(), {"messages": [("user", "Symbols: SPX")]}, False)
    for name, (build, payload, lookup) in peers.items():
        for saver in (True, False):
            sources[name, saver] = graph_samples(build, payload, args.cycles, saver, lookup)
    samples = interleave(sources)
    for durability in ("exit", "sync", "exit+metrics"):
        key = (durability, symbols)
        figures = cycle_figures(runs[key], samples[key])
        line = ", ".join(f"{k} {_figure(v)}" for k, v in figures.items())
        print(f"  checkpoints {durability:>4}: {line}")
    labels = {
        "floor": "LangGraph alone, the same 5 supersteps with empty nodes",
        "peer": "peer, LangGraph's prebuilt ReAct agent, one no-op tool round, no work",
    }
    for name, label in labels.items():
        ms = {saver: spread([1e3 * t for t in samples[name, saver]]) for saver in (True, False)}
        print(f"  {label}: sqlite_exit_ms {ms[True]}, no_saver_ms {ms[False]}")
    mine = statistics.median(w for w, _ in samples["exit", symbols]) / len(symbols)
    ratios = {
        label: mine / statistics.median(samples[name, True])
        for name, label in (("floor", "LangGraph alone"), ("peer", "the prebuilt agent"))
    }
    print(
        "  per decision, exit, as a multiple of the same host's saver runs (less host-bound "
        "than ms): " + ", ".join(f"{r:.2f}x {label}" for label, r in ratios.items())
    )
    if scaling:
        per = {
            n: cycle_figures(runs[key], samples[key])["median_per_decision_ms"]
            for n in range(1, len(scaling) + 1)
            for key in [("exit", tuple(scaling[:n]))]
        }
        print(
            f"  per decision by symbols per cycle ({','.join(scaling)}), exit: "
            + ", ".join(f"{n}: {ms} ms" for n, ms in per.items())
        )
    print("  target: median overhead <= 5 ms per decision")
    print(f"tokens ({symbols[0]}):")
    for name, value in token_counts(symbols[0]).items():
        print(f"  {name:>20}: {value}")
    print("  targets: all schemas <= 1500, per-decision prompt with schemas <= 2000")


if __name__ == "__main__":
    main()
