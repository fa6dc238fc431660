"""Values the store returns besides domain models: runs, decisions, equity points, model
calls and trading flags."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradepit.domain.models import Decision, Frozen, TradingState, UtcDatetime


class RunKind(StrEnum):
    BACKTEST = "backtest"
    CYCLE = "cycle"
    BATTLE = "battle"
    CHAT = "chat"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ABORTED = "aborted"


class RunRecord(Frozen):
    id: str
    kind: RunKind
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    status: RunStatus
    config: dict[str, Any]


class DecisionRecord(Frozen):
    """A decision with its payload (tool calls, verdicts), as recorded."""

    decision: Decision
    payload: dict[str, Any]


class EquityPoint(Frozen):
    timestamp: UtcDatetime
    equity: Decimal
    cash: Decimal


class ModelCallRecord(Frozen):
    """One model exchange as recorded: what was sent, what came back, and what it cost.

    `seq` numbers the calls within (run, cycle); `error_type`/`error` are set when the call
    failed (then `response` holds what is known, often nothing)."""

    run_id: str
    cycle: int
    seq: int
    thread_id: str = ""
    backend: str
    model: str = ""
    request: dict[str, Any]
    response: dict[str, Any]
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_s: float = 0.0
    error_type: str | None = None
    error: str | None = None
    timestamp: UtcDatetime


class TradingFlag(Frozen):
    """A stored trading state for a scope ("global" or a run id), e.g. the kill switch."""

    scope: str
    state: TradingState
    reason: str = ""
    updated_at: UtcDatetime
