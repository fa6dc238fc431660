"""AgentService: the one entry point of every front end (CLI, Chainlit, Slack) and the loop.

- `chat(session, text)`: one chat turn on thread ``chat:<session>`` (run ``chat-<session>``);
  an order above the approval threshold returns ``status="awaiting_approval"`` and waits
  for `approve` / `reject` (a new message meanwhile rejects it first).
- `cycle(run, tick)`: one autonomous cycle (or battle tick) on thread ``run:<run>:<cycle>``;
  calling it again for a finished cycle returns the recorded outcome, an unfinished one
  (crash, restart) is resumed from its checkpoint.
- `set_trading_state(...)`: the kill switch, persisted; every turn reads it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Command, Durability

from tradepit.agent.backends.base import ModelBackend
from tradepit.agent.backends.rules_answers import order_phrase
from tradepit.agent.budget import Budget, BudgetLimits
from tradepit.agent.deps import AgentDeps, Mode
from tradepit.agent.graph import AgentGraph
from tradepit.agent.recording import ORDER_TOOLS, Recorder, step_action
from tradepit.agent.state import AgentContext
from tradepit.agent.streaming import Listener, stream_invoke
from tradepit.domain.errors import TradepitError
from tradepit.domain.models import GLOBAL_SCOPE, Fill, TradingState
from tradepit.risk import stricter
from tradepit.tools.base import Tool
from tradepit.tools.registry import default_tools, openai_schemas, tools_by_name

if TYPE_CHECKING:
    from tradepit.ops.metrics import Metrics

log = logging.getLogger(__name__)

Status = Literal["answered", "aborted", "awaiting_approval"]


class NoPendingApprovalError(TradepitError):
    """There is no order waiting for approval in this session. Nothing to approve; ask
    again or refresh the conversation."""


@dataclass(frozen=True)
class Tick:
    """One cycle of a run: its number, fills delivered since the last one, and (battles)
    the shared market-only snapshot."""

    cycle: int
    fills: Sequence[Fill] = ()
    snapshot: Any | None = None
    """A `MarketSnapshot` built once for all competitors (battles); None = build one."""
    mode: Mode = "cycle"


@dataclass(frozen=True)
class Reply:
    """The result of a chat turn or a cycle."""

    thread_id: str
    cycle: int
    status: Status
    text: str
    approval: dict[str, Any] | None = None
    """The pending order (summary, request, verdict) when status is awaiting_approval."""
    steps: tuple[dict[str, Any], ...] = ()
    error_type: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def actions(self) -> dict[str, str]:
        """Order-tool steps by symbol (what was done, from the tools)."""
        return {
            str(s.get("symbol")): step_action(s)  # type: ignore[arg-type]
            for s in self.steps
            if s.get("name") in ORDER_TOOLS
        }


class AgentService:
    """Runs the graph for chats and cycles over one set of dependencies.

    `deps` is the template: each turn gets a copy with its run id, cycle, mode, budget and
    the stored trading state. `prepare(deps)` runs before each turn (the composition root
    marks the paper broker to the feed's prices there). `metrics` (optional) counts cycles,
    their duration and fills here, model calls and orders in the recorder.
    """

    def __init__(
        self,
        deps: AgentDeps,
        backend: ModelBackend,
        graph: AgentGraph,
        *,
        tools: Sequence[Tool] | None = None,
        limits: BudgetLimits | None = None,
        prepare: Callable[[AgentDeps], None] | None = None,
        history: int = 40,
        chat_durability: Durability = "async",
        cycle_durability: Durability = "exit",
        metrics: Metrics | None = None,
    ) -> None:
        self.deps = deps
        self.backend = backend
        self.graph = graph
        self.store = deps.store
        self.tools: Mapping[str, Tool] = tools_by_name(tools or default_tools())
        self.schemas = openai_schemas(list(self.tools.values()))
        self.limits = limits or BudgetLimits()
        self.metrics = metrics
        self.recorder = Recorder(self.store, backend.name, metrics)
        self._prepare = prepare
        self._history = history
        self._durability = {"chat": chat_durability, "cycle": cycle_durability}
        self._budgets: dict[str, Budget] = {}

    # -- chat ------------------------------------------------------------------------------

    def chat(self, session: str, text: str, *, listener: Listener | None = None) -> Reply:
        """One chat turn; `listener` (optional) gets each node's update as it happens."""
        config = _config(chat_thread(session))
        pending = self.graph.get_state(config)
        dropped = None
        if pending.interrupts:
            log.info("new message rejects the pending order", extra={"session": session})
            dropped = pending.interrupts[0].value.get("summary", "an order")
            self.resolve(session, False, by="system", note="superseded by a new message")
            pending = self.graph.get_state(config)
        turn = int(pending.values.get("cycle", 0)) + 1
        deps = self._deps(chat_run(session), turn, "chat")
        message = {"role": "user", "content": text}
        state = {"mode": "chat", "cycle": turn, "tick": _iso(deps.clock.now())}
        payload = {**state, "messages": [message]}
        reply = self._invoke(payload, config, deps, "chat", listener)
        if dropped is None:
            return reply
        notice = f"The order waiting for approval ({dropped}) was not sent: a new message came."
        return replace(reply, text=f"{notice}\n{reply.text}")

    def pending_approval(self, session: str) -> dict[str, Any] | None:
        """The order waiting for approval in `session`, if any."""
        interrupts = self.graph.get_state(_config(chat_thread(session))).interrupts
        return dict(interrupts[0].value) if interrupts else None

    def approve(
        self, session: str, *, by: str = "user", note: str = "", listener: Listener | None = None
    ) -> Reply:
        return self.resolve(session, True, by=by, note=note, listener=listener)

    def reject(
        self, session: str, *, by: str = "user", note: str = "", listener: Listener | None = None
    ) -> Reply:
        return self.resolve(session, False, by=by, note=note, listener=listener)

    def resolve(
        self,
        session: str,
        approved: bool,
        *,
        by: str = "user",
        note: str = "",
        listener: Listener | None = None,
    ) -> Reply:
        """Answer the pending approval and continue the turn."""
        config = _config(chat_thread(session))
        snapshot = self.graph.get_state(config)
        if not snapshot.interrupts:
            raise NoPendingApprovalError(f"no order is waiting for approval in {session!r}")
        deps = self._deps(chat_run(session), int(snapshot.values.get("cycle", 0)), "chat")
        answer = {"approved": approved, "by": by, "note": note}
        return self._invoke(Command(resume=answer), config, deps, "chat", listener)

    # -- cycles ----------------------------------------------------------------------------

    def cycle(self, run: str, tick: Tick) -> Reply:
        if self.metrics is None:
            return self._cycle(run, tick)
        started = time.perf_counter()
        reply = self._cycle(run, tick)
        self.metrics.cycle(reply.status, time.perf_counter() - started)
        self.metrics.fills(tick.fills)
        return reply

    def _cycle(self, run: str, tick: Tick) -> Reply:
        config = _config(run_thread(run, tick.cycle))
        deps = self._deps(run, tick.cycle, tick.mode)
        snapshot = self.graph.get_state(config)
        if snapshot.next:
            log.info("resuming an unfinished cycle", extra={"run": run, "cycle": tick.cycle})
            return self._invoke(None, config, deps, "cycle")
        if snapshot.values.get("outcome"):
            return _reply(config, snapshot.values)
        self.recorder.discard(config["configurable"]["thread_id"])
        state: dict[str, Any] = {
            "mode": tick.mode,
            "cycle": tick.cycle,
            "tick": _iso(deps.clock.now()),
            "fills": [f.model_dump(mode="json") for f in tick.fills],
            "snapshot": tick.snapshot.model_dump(mode="json") if tick.snapshot else None,
        }
        return self._invoke(state, config, deps, "cycle")

    # -- kill switch -----------------------------------------------------------------------

    def set_trading_state(
        self, state: TradingState, reason: str = "", scope: str = GLOBAL_SCOPE
    ) -> None:
        """Persist the trading state of `scope` ("global" or a run id); HALTED is the kill
        switch (only risk-reducing orders pass), ACTIVE lifts it."""
        if self.store is None:
            raise TradepitError("the kill switch needs a store")
        self.store.set_trading_flag(scope, state, reason, self.deps.clock.now())

    def trading_state(self, run: str) -> TradingState | None:
        """The stricter of the global and the run's stored state (None when neither)."""
        if self.store is None:
            return None
        states = [flag.state for flag in self.store.get_trading_flags([GLOBAL_SCOPE, run])]
        return reduce(stricter, states) if states else None

    # -- internals -------------------------------------------------------------------------

    def budget(self, run: str) -> Budget:
        """The run's budget, its totals seeded from the model calls recorded so far."""
        budget = self._budgets.get(run)
        if budget is None:
            tokens, usd = self.store.model_call_totals(run) if self.store else (0, 0)
            budget = Budget(self.limits, tokens, float(usd))
            self._budgets[run] = budget
        return budget

    def _deps(self, run: str, cycle: int, mode: Mode) -> AgentDeps:
        base = self.deps
        manual = _strict(base.manual_state, self.trading_state(run))
        deps = replace(
            base,
            run_id=run,
            cycle=cycle,
            mode=mode,
            budget=self.budget(run),
            manual_state=manual,
        )
        if self._prepare is not None:
            self._prepare(deps)
        return deps

    def _invoke(
        self,
        payload: Any,
        config: dict,
        deps: AgentDeps,
        kind: str,
        listener: Listener | None = None,
    ) -> Reply:
        context = AgentContext(
            deps=deps,
            backend=self.backend,
            tools=self.tools,
            schemas=self.schemas,
            recorder=self.recorder,
            thread_id=config["configurable"]["thread_id"],
            history=self._history,
        )
        durability = self._durability[kind]
        if listener is None:
            values = self.graph.invoke(payload, config, context=context, durability=durability)
        else:
            values = stream_invoke(
                self.graph, payload, config, context=context, durability=durability,
                listener=listener,
            )  # fmt: skip
        return _reply(config, values)


def chat_thread(session: str) -> str:
    return f"chat:{session}"


def chat_run(session: str) -> str:
    return f"chat-{session}"


def run_thread(run: str, cycle: int) -> str:
    return f"run:{run}:{cycle}"


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _iso(when: datetime) -> str:
    return when.isoformat()


def _strict(a: TradingState | None, b: TradingState | None) -> TradingState | None:
    if a is None or b is None:
        return a or b
    return stricter(a, b)


def _reply(config: dict[str, Any], values: Mapping[str, Any]) -> Reply:
    thread = config["configurable"]["thread_id"]
    interrupts = values.get("__interrupt__") or ()
    outcome = values.get("outcome") or {}
    steps = tuple(values.get("steps") or ())
    common = {
        "thread_id": thread,
        "cycle": int(values.get("cycle", 0)),
        "steps": steps,
        "usage": dict(values.get("usage") or {}),
    }
    if interrupts:
        approval = dict(interrupts[0].value)
        done = [f"{order_phrase(order)}." for order in _orders_sent(steps)]
        text = f"Waiting for approval: {approval.get('summary', '')}"
        if done:
            text = "\n".join(["Done in this turn so far:", *done, text])
        return Reply(status="awaiting_approval", text=text, approval=approval, **common)
    status: Status = "aborted" if outcome.get("status") == "aborted" else "answered"
    return Reply(
        status=status,
        text=str(values.get("answer") or ""),
        error_type=outcome.get("error_type"),
        **common,
    )


def _orders_sent(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The broker's orders (tool views) of the order tools that ran in this turn: at an
    approval pause, what earlier calls already did (a close that filled) is said too."""
    views = []
    for step in steps:
        order = (step.get("output") or {}).get("order")
        if step.get("name") in ORDER_TOOLS and step.get("ok") and isinstance(order, dict):
            views.append(order)
    return views
