"""Values the store returns besides domain models: runs, decisions, equity points."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradepit.domain.models import Decision, Frozen, UtcDatetime


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
