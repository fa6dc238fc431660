"""The agent's side of the memory (`deps.memory`): journal each cycle's decisions, score them
once the clock has passed their horizon, and pick the memories shown in the prompts.

**Journal.** After a cycle or battle tick that was answered, every traded symbol gets one
decision entry: its situation on the last completed bar (`tools.recall.situation_now`, the
same vector the recall tool looks up), the action, the rationale of the model's
``DECISION:`` line and the risk verdict of its order. The action is what the tools did to the
exposure (+1 long, -1 short, 0 flat), not what the model said: starting from the position
held at the snapshot, a successful ``close_position`` makes it flat, a sent buy covers a short
or goes long, a sent sell closes a long or goes short; denied, rejected or failed orders
change nothing. A new exposure is journalled as buy / sell / close, an unchanged one as hold
(or as the side of an order that only resized it).

**Outcomes.** Before journalling, decisions whose horizon has passed by now are scored
against the last close completed by their horizon (`price_lookup`, point-in-time), and a
lesson is written for each (`Memory.resolve_outcomes`).

**Prompts.** The decision prompt gets the lessons and notes most relevant to each symbol's
situation now; the chat system prompt gets the user's notes and lessons most relevant to the
message. Both as of the clock, within the token budgets of `tradepit.prompts`. A memory
that cannot be reached is logged as an error and the turn goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradepit.agent.recording import step_action
from tradepit.domain.errors import NoDataError, TradepitError
from tradepit.domain.models import RiskVerdict
from tradepit.memory.errors import MemoryUnavailableError
from tradepit.memory.models import Kind
from tradepit.memory.reflections import cues
from tradepit.memory.situation import Situation
from tradepit.prompts import parse_decisions
from tradepit.tools.recall import situation_now

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps
    from tradepit.agent.snapshot import MarketSnapshot
    from tradepit.agent.state import AgentState, Step
    from tradepit.domain.ports import MarketData
    from tradepit.memory.models import Entry, Recalled
    from tradepit.memory.outcomes import PriceLookup
    from tradepit.memory.service import MemoryScope

log = logging.getLogger(__name__)

PROMPT_KINDS = (Kind.LESSON, Kind.NOTE)
"""What the prompts show: lessons (outcomes included) and notes; raw decisions are left to
the recall tool."""
PER_SYMBOL = 3
CHAT_K = 4
_TRADES = frozenset({"place_order", "close_position"})


# -- journal ------------------------------------------------------------------------------


def price_lookup(market: MarketData, timeframe: str = "1Day") -> PriceLookup:
    """(symbol, when) -> the close of the last bar completed by `when`, or None. Only bars
    the (point-in-time) feed shows are used, so it never sees past the clock; when a bar
    completes is the feed's rule (`sessions`: a daily bar at its session's close)."""
    from tradepit.market.sessions import complete_count
    from tradepit.market.timeframe import parse_timeframe

    duration = parse_timeframe(timeframe)

    def lookup(symbol: str, when: datetime) -> float | None:
        at = pd.Timestamp(when)
        try:
            bars = market.get_bars(
                symbol, timeframe, start=(at - 15 * duration).to_pydatetime(), end=when
            )
            calendar = market.get_asset(symbol).calendar
        except NoDataError:
            return None
        opens = bars.index.as_unit("ns").asi8
        done = complete_count(opens, at.value, calendar, duration.value)
        return float(bars["close"].iloc[done - 1]) if done else None

    return lookup


def exposure_after(before: int, steps: Iterable[Step]) -> int:
    """The exposure left by a symbol's order steps (see the module docstring)."""
    exposure = before
    for step in steps:
        action = step_action(step)
        if action == "close":
            exposure = 0
        elif action == "buy":
            exposure = 0 if exposure < 0 else 1
        elif action == "sell":
            exposure = 0 if exposure > 0 else -1
    return exposure


def journal_action(before: int, steps: Sequence[Step]) -> str:
    """buy / sell / close for a new exposure; hold (or the resizing order's side) else."""
    after = exposure_after(before, steps)
    if after != before:
        return {1: "buy", -1: "sell", 0: "close"}[after]
    sent = [a for a in map(step_action, steps) if a in ("buy", "sell")]
    return sent[-1] if sent else "hold"


def _verdict(steps: Sequence[Step]) -> RiskVerdict | None:
    verdicts = [s["verdict"] for s in steps if s.get("verdict")]
    return RiskVerdict.model_validate(verdicts[-1]) if verdicts else None


def _held(snapshot: Mapping[str, Any] | None) -> dict[str, int]:
    positions = (snapshot or {}).get("positions") or ()
    return {str(p["symbol"]): int(np.sign(float(p["qty"]))) for p in positions}


def journal_turn(deps: AgentDeps, state: AgentState) -> list[Entry]:
    """Journal the decisions of an answered cycle or battle tick (one per traded symbol)."""
    scope = deps.memory
    outcome = state.get("outcome") or {}
    if scope is None or state.get("mode") == "chat" or outcome.get("status") != "answered":
        return []
    snapshot = state.get("snapshot") or {}
    held = _held(snapshot)
    symbols = deps.symbols or tuple(v["symbol"] for v in snapshot.get("symbols") or ())
    steps = [s for s in state.get("steps") or () if s.get("name") in _TRADES]
    stated = {d.symbol: d.rationale for d in parse_decisions(state.get("answer", ""))}
    now = deps.clock.now()
    entries = []
    for symbol in symbols:
        mine = [s for s in steps if s.get("symbol") == symbol]
        before = held.get(symbol, 0)
        try:
            situation = situation_now(deps, symbol, before)
        except ValueError:
            log.info("memory: no bars to describe %s", symbol, extra={"run": deps.run_id})
            continue
        action = journal_action(before, mine)
        entry = scope.record_decision(
            situation, action, now, rationale=stated.get(symbol, ""), risk=_verdict(mine),
            run_id=deps.run_id,
        )  # fmt: skip
        entries.append(entry)
    return entries


def resolve_due(deps: AgentDeps) -> list[Entry]:
    """Score this namespace's decisions whose horizon has passed by now (and write lessons)."""
    scope = deps.memory
    if scope is None:
        return []
    lookup = price_lookup(deps.market)
    return scope.memory.resolve_outcomes(deps.clock.now(), lookup, scope.namespace)


def remember_turn(deps: AgentDeps, state: AgentState) -> None:
    """The record node's memory step: resolve due outcomes, then journal this turn. A memory
    that cannot be reached is logged as an error; the trading record is already written."""
    if deps.memory is None or state.get("mode") == "chat":
        return
    try:
        resolve_due(deps)
        journal_turn(deps, state)
    except TradepitError as e:
        log.error("memory not updated: %s", e, extra={"run": deps.run_id, "cycle": deps.cycle})


# -- prompts ------------------------------------------------------------------------------


def _has_memories(scope: MemoryScope, as_of: datetime) -> bool:
    """Whether anything was written by `as_of` (SQL only: an empty memory never loads the
    vector index)."""
    return bool(scope.memory.entries(scope.namespace, list(PROMPT_KINDS), limit=1, as_of=as_of))


def _best(hits: Iterable[Recalled]) -> list[Recalled]:
    best: dict[str, Recalled] = {}
    for hit in hits:
        if hit.entry.id not in best or hit.score > best[hit.entry.id].score:
            best[hit.entry.id] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.entry.id))


def decision_memories(deps: AgentDeps, snapshot: MarketSnapshot) -> list[Recalled]:
    """Lessons and notes most relevant to each symbol's situation in `snapshot`, best
    first (at most `PER_SYMBOL` per symbol before merging)."""
    scope, now = deps.memory, deps.clock.now()
    if scope is None or not _has_memories(scope, now):
        return []
    hits: list[Recalled] = []
    try:
        for view in snapshot.symbols:
            if deps.symbols and view.symbol not in deps.symbols:
                continue
            situation = Situation.from_view(view).model_dump(mode="json")
            query = f"Lesson on {view.symbol}: setup {cues(situation)}"
            hits += scope.recall(query, now, view.symbol, PER_SYMBOL, kinds=PROMPT_KINDS)
    except MemoryUnavailableError as e:
        log.error("memory unavailable, deciding without it: %s", e, extra={"run": deps.run_id})
        return []
    return _best(hits)


def chat_memories(deps: AgentDeps, text: str) -> list[Recalled]:
    """The user's notes and lessons most relevant to the message `text`, best first."""
    scope, now = deps.memory, deps.clock.now()
    if scope is None or len(text.strip()) < 2 or not _has_memories(scope, now):
        return []
    try:
        return _best(scope.recall(text[:500], now, None, CHAT_K, kinds=PROMPT_KINDS))
    except MemoryUnavailableError as e:
        log.error("memory unavailable, answering without it: %s", e, extra={"run": deps.run_id})
        return []
