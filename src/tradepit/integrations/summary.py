"""The daily summary of one exchange session, built from the store.

For each account: equity at the session's close (the last equity point at or before it),
P&L of the day (vs the last point at or before the previous session's close, or the first
point when the account started that day), P&L since inception (vs the first point), the
trades of the day (fills after the previous close, up to this close) and the open positions
as stored. An account without equity points falls back on its paper ledger when the ledger
is on that session (equity = cash + marked positions; base = its `last_equity`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tradepit.domain.models import TradingState
from tradepit.domain.ports import LedgerSnapshot
from tradepit.integrations.events import AccountSummary, DailySummary
from tradepit.integrations.market_calendar import previous_session, session_close
from tradepit.risk.state import stricter

if TYPE_CHECKING:
    from tradepit.storage import EquityPoint, Store

States = TradingState | Mapping[str, TradingState]


def build_daily_summary(
    store: Store,
    accounts: str | Sequence[tuple[str, str]],
    day: date,
    state: States = TradingState.ACTIVE,
    *,
    at: datetime | None = None,
) -> DailySummary:
    """The summary of session `day` for one account id, or for (competitor, account_id)
    pairs of a battle. `state` is one state for all, or a state per account id (missing:
    ACTIVE); the summary's overall state is the strictest. `at` defaults to the close."""
    pairs = [(None, accounts)] if isinstance(accounts, str) else list(accounts)
    rows = tuple(
        _account(store, account_id, competitor, day, _state(state, account_id))
        for competitor, account_id in pairs
    )
    overall = TradingState.ACTIVE
    for row in rows:
        overall = stricter(overall, row.state)
    if isinstance(state, TradingState):
        overall = stricter(overall, state)
    return DailySummary(at=at or session_close(day), session=day, accounts=rows, state=overall)


def _state(state: States, account_id: str) -> TradingState:
    if isinstance(state, TradingState):
        return state
    return state.get(account_id, TradingState.ACTIVE)


def _account(
    store: Store,
    account_id: str,
    competitor: str | None,
    day: date,
    state: TradingState,
) -> AccountSummary:
    close, previous_close = session_close(day), session_close(previous_session(day))
    ledger = store.load_ledger(account_id)
    equity, base, inception = _equities(store.equity_curve(account_id), previous_close, close)
    if equity is None and ledger is not None and ledger.day == day.isoformat():
        equity, base = _ledger_equity(ledger), ledger.last_equity
    fills = store.list_fills(account_id, since=previous_close)
    return AccountSummary(
        account_id=account_id,
        competitor=competitor,
        equity=equity,
        day_pnl=_diff(equity, base),
        day_return=_ratio(equity, base),
        total_pnl=_diff(equity, inception),
        total_return=_ratio(equity, inception),
        trades=tuple(f for f in fills if previous_close < f.timestamp <= close),
        positions=ledger.positions if ledger is not None else (),
        state=state,
    )


def _equities(
    curve: list[EquityPoint], previous_close: datetime, close: datetime
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(equity at close, equity at the previous close, first equity) from the curve."""
    upto_close = [p for p in curve if p.timestamp <= close]
    if not upto_close:
        return None, None, None
    before = [p for p in upto_close if p.timestamp <= previous_close]
    base = before[-1] if before else upto_close[0]
    return upto_close[-1].equity, base.equity, curve[0].equity


def _ledger_equity(ledger: LedgerSnapshot) -> Decimal:
    return ledger.cash + sum((p.qty * p.market_price for p in ledger.positions), Decimal(0))


def _diff(value: Decimal | None, base: Decimal | None) -> Decimal | None:
    return None if value is None or base is None else value - base


def _ratio(value: Decimal | None, base: Decimal | None) -> Decimal | None:
    return None if value is None or base is None or base <= 0 else (value - base) / base
