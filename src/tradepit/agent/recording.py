"""Recording: every model call (request, response, tokens, cost, latency, or the error) and
every decision (action, rationale, tool calls, verdicts, orders, fills) goes to the Store.

`request_key` identifies a request by its conversation (system prompt excluded), so calls
that saw the same conversation can be found in the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tradepit.domain.models import Decision, exact_decimal
from tradepit.prompts import parse_decisions
from tradepit.storage.records import ModelCallRecord, RunKind
from tradepit.tools.place_order import REFUSED

if TYPE_CHECKING:
    from tradepit.agent.backends.base import AssistantTurn
    from tradepit.agent.deps import AgentDeps
    from tradepit.agent.state import AgentState, Step
    from tradepit.ops.metrics import Metrics
    from tradepit.storage import Store

log = logging.getLogger(__name__)

ORDER_TOOLS = frozenset({"place_order", "close_position", "cancel_order"})
_PLACED = frozenset({"submitted", "filled", "duplicate"})
_NOT_SENT = frozenset({"denied", "rejected", "failed", "rejected_by_user"})
_KINDS = {"chat": RunKind.CHAT, "cycle": RunKind.CYCLE, "battle": RunKind.BATTLE}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(messages: list[dict[str, Any]]) -> str:
    """SHA-256 of the non-system messages (the conversation the model answers)."""
    convo = [m for m in messages if m.get("role") != "system"]
    return hashlib.sha256(_canonical(convo).encode()).hexdigest()


def tools_digest(schemas: list[dict[str, Any]]) -> str:
    return hashlib.sha256(_canonical(schemas).encode()).hexdigest()[:16]


class Recorder:
    """Writes model calls and decisions of one backend to a Store (a no-op without one).

    A call is written when it returns, except a call that cost nothing (no tokens, no
    dollars: the offline rules model) outside chat: it is written with the turn's decisions,
    in the same transaction. Lost only if the process dies mid-cycle, and then the cycle
    runs again and makes (and records) the same calls. With `metrics`, each call and each
    turn's orders are counted too (also without a store).
    """

    def __init__(self, store: Store | None, backend: str, metrics: Metrics | None = None) -> None:
        self.store = store
        self.backend = backend
        self.metrics = metrics
        self._runs: set[str] = set()
        self._digests: dict[int, tuple[list[str], str]] = {}
        self._pending: dict[str, list[ModelCallRecord]] = {}

    def model_call(
        self,
        deps: AgentDeps,
        *,
        thread_id: str,
        seq: int,
        messages: list[dict[str, Any]],
        schemas: list[dict[str, Any]],
        turn: AssistantTurn | None = None,
        error: BaseException | None = None,
        latency_s: float = 0.0,
    ) -> None:
        if self.metrics is not None:
            usage = turn.usage if turn is not None else None
            self.metrics.model_call(
                self.backend, usage.input_tokens if usage else 0,
                usage.output_tokens if usage else 0, turn.cost_usd if turn else 0.0,
                ok=error is None,
            )  # fmt: skip
        if self.store is None:
            return
        names, digest = self._describe(schemas)
        request = {
            "messages": messages,
            "tools": names,
            "tools_sha256": digest,
            "key": request_key(messages),
        }
        if turn is not None:
            response = turn.model_dump(mode="json")
            usage = turn.usage
            tokens, cost = (usage.input_tokens, usage.output_tokens), turn.cost_usd
        else:
            response, tokens, cost = {}, (0, 0), 0.0
        record = ModelCallRecord(
            run_id=deps.run_id,
            cycle=deps.cycle,
            seq=seq,
            thread_id=thread_id,
            backend=self.backend,
            model=(turn.model if turn is not None else "") or self.backend,
            request=request,
            response=response,
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            cost_usd=exact_decimal(cost),
            latency_s=float(turn.latency_s if turn is not None else latency_s),
            error_type=type(error).__name__ if error is not None else None,
            error=str(error) if error is not None else None,
            timestamp=deps.clock.now(),
        )
        if deps.mode != "chat" and error is None and cost == 0 and tokens == (0, 0):
            self._pending.setdefault(thread_id, []).append(record)  # free: written with the turn
            return
        self.store.record_model_call(record)

    def discard(self, thread_id: str) -> None:
        """Forget calls buffered for a turn that will not be recorded (it is run afresh)."""
        self._pending.pop(thread_id, None)

    def _describe(self, schemas: list[dict[str, Any]]) -> tuple[list[str], str]:
        cached = self._digests.get(id(schemas))
        if cached is None:
            names = [s.get("function", s).get("name", "?") for s in schemas]
            cached = (names, tools_digest(schemas))
            self._digests[id(schemas)] = cached
        return cached

    def decisions(self, deps: AgentDeps, state: AgentState, thread_id: str) -> list[Decision]:
        """Journal the turn's decisions (see `build_decisions`) with the turn's buffered
        model calls, in one transaction; returns the decisions written. Idempotent: a cycle
        already journalled (a re-run) gets no second set of decisions."""
        if self.metrics is not None:
            self.metrics.orders(state.get("steps") or ())
        built = build_decisions(deps, state, self.backend, thread_id)
        calls = self._pending.pop(thread_id, [])
        if self.store is None or not (built or calls):
            return [d for d, _ in built]
        if built:
            self.ensure_run(deps.run_id, deps.mode, deps.clock.now())
        if not self.store.record_turn(calls, built):
            log.info("cycle already recorded", extra={"run": deps.run_id, "cycle": deps.cycle})
            return []
        return [d for d, _ in built]

    def ensure_run(self, run_id: str, mode: str, at: datetime) -> None:
        """Create the run row on first use (chat sessions and battles create theirs here)."""
        if self.store is None or run_id in self._runs:
            return
        if self.store.get_run(run_id) is None:
            self.store.create_run(run_id, _KINDS.get(mode, RunKind.CHAT), at, {})
        self._runs.add(run_id)


def step_action(step: Step) -> str:
    """What an order-tool step did: buy/sell/close/cancel, or why nothing was sent."""
    approval = step.get("approval")
    if approval is not None and not approval.get("approved"):
        return "rejected_by_user"
    if not step.get("ok"):
        return "failed"
    name, output = step.get("name"), step.get("output") or {}
    if name == "place_order":
        outcome = output.get("outcome")
        if outcome in _PLACED:
            return str((output.get("order") or {}).get("side") or "order")
        return REFUSED.get(str(outcome), "failed")
    if name == "close_position":  # also when it only canceled entries: the symbol is flat
        return REFUSED.get(str(output.get("outcome")), "close")
    return {"cancel_order": "cancel"}.get(str(name), str(name))


def build_decisions(
    deps: AgentDeps, state: AgentState, backend: str, thread_id: str = ""
) -> list[tuple[Decision, dict[str, Any]]]:
    """Decisions of one turn. Cycles: one per traded symbol (hold when no order tool ran,
    abort when the turn aborted): the action is what the tools did, whatever the model
    says; its ``DECISION:`` lines give the rationale and land in ``payload["stated"]``.
    Chat: only turns that used an order tool or aborted."""
    outcome = state.get("outcome") or {}
    aborted = outcome.get("status") == "aborted"
    steps = list(state.get("steps") or [])
    actions: dict[str | None, str] = {}
    for step in steps:  # the last order that went out wins over a later one that did not
        if step.get("name") in ORDER_TOOLS:
            symbol, action = step.get("symbol"), step_action(step)
            if action not in _NOT_SENT or actions.get(symbol, "failed") in _NOT_SENT:
                actions[symbol] = action
    if deps.mode == "chat":
        symbols: list[str | None] = list(actions) or ([None] if aborted else [])
    else:
        symbols = list(dict.fromkeys([*deps.symbols, *actions]))
        symbols = symbols or [None]
    answer = state.get("answer", "")
    stated = {d.symbol: d for d in parse_decisions(answer)}
    reason = f"{outcome.get('error_type', 'aborted')}: {outcome.get('reason', '')}"
    payload = _payload(state, steps, thread_id)
    payload["stated"] = {s: d.action for s, d in stated.items()}
    now = deps.clock.now()
    out = []
    for symbol in symbols:
        line = stated.get(symbol) if symbol else None
        rationale = reason if aborted else (line.rationale if line else answer)
        decision = Decision(
            run_id=deps.run_id,
            cycle=deps.cycle,
            symbol=symbol,
            action=actions.get(symbol, "abort" if aborted else "hold")[:32],
            rationale=rationale,
            timestamp=now,
            backend=backend[:128],
        )
        out.append((decision, payload))
    return out


def _payload(state: AgentState, steps: list[Step], thread_id: str) -> dict[str, Any]:
    return {
        "mode": state.get("mode"),
        "thread_id": thread_id,
        "tick": state.get("tick"),
        "outcome": state.get("outcome"),
        "usage": state.get("usage"),
        "tool_calls": [
            {
                k: s.get(k)
                for k in ("id", "name", "arguments", "symbol", "ok", "error_type", "error")
            }
            | {"approval": s.get("approval")}
            for s in steps
        ],
        "verdicts": [s["verdict"] for s in steps if s.get("verdict")],
        "orders": [s["order"] for s in steps if s.get("order")],
        "fills": list(state.get("fills") or []),
    }
