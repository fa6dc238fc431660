"""Trading state from the account: ACTIVE, REDUCING (only risk-reducing orders) or HALTED.

Thresholds are inclusive: with the defaults, a daily loss of exactly -5% (equity vs
`account.last_equity`) or a drawdown of exactly -10% (vs `account.equity_peak`) halts;
-3% daily or -7% drawdown puts the account in REDUCING. The kill switch forces HALTED.
The state is a pure function of its inputs; keeping a halt sticky (e.g. for the rest of
the day) is the caller's job: pass the stored state to `RiskGate.check(state=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradepit.domain.models import Account, RiskReason, TradingState
from tradepit.risk.limits import ReasonCode, RiskLimits

_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True, slots=True)
class StateAssessment:
    """The state and the (non-blocking) reasons that put the account in it."""

    state: TradingState
    reasons: tuple[RiskReason, ...] = ()


def stricter(a: TradingState, b: TradingState) -> TradingState:
    """The more restrictive of two states (HALTED > REDUCING > ACTIVE)."""
    return a if _RANK[a] >= _RANK[b] else b


def _loss(equity: Decimal, base: Decimal) -> Decimal | None:
    """Fractional change of equity vs base (negative = loss); None when base <= 0."""
    return None if base <= 0 else (equity - base) / base


def assess_state(
    account: Account, limits: RiskLimits, manual_halt: bool = False
) -> StateAssessment:
    """Evaluate the state with its causes (codes DAILY_LOSS_*, DRAWDOWN_*, MANUAL_HALT)."""
    reasons: list[RiskReason] = []
    if manual_halt:
        reasons.append(_note(ReasonCode.MANUAL_HALT, "kill switch is on"))
    daily = _loss(account.equity, account.last_equity)
    drawdown = _loss(account.equity, account.equity_peak)
    halted = manual_halt
    if daily is not None and daily <= -limits.daily_loss_halt_pct:
        halted = True
        reasons.append(_note(ReasonCode.DAILY_LOSS_HALT, f"daily P&L {daily:.2%}"))
    if drawdown is not None and drawdown <= -limits.drawdown_kill_pct:
        halted = True
        reasons.append(_note(ReasonCode.DRAWDOWN_KILL, f"drawdown {drawdown:.2%}"))
    if halted:
        return StateAssessment(TradingState.HALTED, tuple(reasons))
    if daily is not None and daily <= -limits.reducing_daily_loss_pct:
        reasons.append(_note(ReasonCode.DAILY_LOSS_REDUCING, f"daily P&L {daily:.2%}"))
    if drawdown is not None and drawdown <= -limits.reducing_drawdown_pct:
        reasons.append(_note(ReasonCode.DRAWDOWN_REDUCING, f"drawdown {drawdown:.2%}"))
    state = TradingState.REDUCING if reasons else TradingState.ACTIVE
    return StateAssessment(state, tuple(reasons))


def evaluate_state(account: Account, limits: RiskLimits, manual_halt: bool = False) -> TradingState:
    """ACTIVE, REDUCING or HALTED for this account under these limits."""
    return assess_state(account, limits, manual_halt).state


def _note(code: ReasonCode, message: str) -> RiskReason:
    return RiskReason(code=code, message=message, blocking=False)
