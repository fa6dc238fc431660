"""Which chart images the Slack bot sends, drawn (`images`) from the app's data:

- a backtest the agent ran (`run_backtest` step): the close with the trades, the equity
  against buy and hold, the drawdown; re-run from the tool's output
  (`tradepit.backtest.rerun`), since the tool returns metrics only;
- the account's equity (an account or positions step, `/tradepit status|positions`): the
  store's equity points up to now (recorded by `tradepit run`), then the broker's equity now;
- a battle's equity curves against buy and hold (`/tradepit battle`);
- a daily summary's equity curves up to the session's close (`summary_chart`, for a
  `slack_uploads.ChartNotifier`).

Every label drawn (account ids, competitor names, battle ids) is redacted first: pixels
cannot be masked afterwards. Callers hold the bot's lock (feed, broker and store are shared).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from tradepit.backtest.rerun import rerun_backtest
from tradepit.battle.records import BENCHMARK
from tradepit.domain.errors import TradepitError
from tradepit.integrations import images
from tradepit.integrations.events import DailySummary
from tradepit.integrations.images import Png
from tradepit.integrations.slack_battle import BattleBoard

if TYPE_CHECKING:
    from tradepit.agent.service import Reply
    from tradepit.bootstrap import App
    from tradepit.storage import EquityPoint, Store

log = logging.getLogger(__name__)

MAX_PER_REPLY = 3
ACCOUNT_TOOLS = frozenset({"get_account", "get_positions"})
Redact = Callable[[str], str]
T = TypeVar("T")


def _series(points: Iterable[EquityPoint]) -> pd.Series:
    points = list(points)
    index = pd.DatetimeIndex([pd.Timestamp(p.timestamp) for p in points])
    return pd.Series([float(p.equity) for p in points], index=index, dtype="float64")


def _drawable(curves: Mapping[str, pd.Series]) -> bool:
    return any(len(c.dropna()) >= 2 for c in curves.values())


def has_curves(board: BattleBoard) -> bool:
    """Whether a battle has an equity curve to draw."""
    return _drawable(board.curves)


class SlackCharts:
    """The bot's charts over `core`; `redact` masks every secret in a label."""

    def __init__(self, core: App, redact: Redact) -> None:
        self.core = core
        self.redact = redact

    def for_reply(self, reply: Reply) -> list[Png]:
        """The charts of a chat reply: each backtest it ran, the account's equity when it
        looked at the account or the positions (at most `MAX_PER_REPLY`)."""
        pngs: list[Png | None] = []
        steps = [s for s in reply.steps if s.get("ok")]
        for step in steps:
            if step.get("name") == "run_backtest" and step.get("output"):
                pngs.append(self.draw("backtest", lambda o=step["output"]: self.backtest(o)))
        if any(s.get("name") in ACCOUNT_TOOLS for s in steps):
            pngs.append(self.draw("equity", self.account))
        return [p for p in pngs if p is not None][:MAX_PER_REPLY]

    def draw(self, what: str, draw: Callable[[], T]) -> T | None:
        """`draw()`, or None (logged) when the data of the `what` chart is missing or
        unusable."""
        try:
            return draw()
        except (TradepitError, ValueError, KeyError) as e:
            log.warning("no %s chart: %s", what, self.redact(f"{type(e).__name__}: {e}")[:300])
            return None

    def backtest(self, output: dict[str, Any]) -> Png:
        """A `run_backtest` step's backtest (see `images.backtest_png`)."""
        feed = self.core.feed
        result = rerun_backtest(feed, output)
        return images.backtest_png(result, feed.get_bars(result.symbol, "1Day")["close"])

    @property
    def account_id(self) -> str:
        return self.core.account_id or self.core.broker.get_account().id

    def account_curve(self) -> pd.Series | None:
        """The account's equity points up to now and its equity now; None under two points."""
        now = self.core.clock.now()
        curve = _series(
            p for p in self.core.store.equity_curve(self.account_id) if p.timestamp <= now
        )
        if len(curve) and curve.index[-1] < pd.Timestamp(now):
            equity = float(self.core.broker.get_account().equity)
            curve = pd.concat([curve, pd.Series([equity], index=pd.DatetimeIndex([now]))])
        return curve if len(curve) >= 2 else None

    def account(self) -> Png | None:
        curve = self.account_curve()
        if curve is None:
            return None
        name = self.redact(self.account_id)
        return images.equity_png({name: curve}, f"Equity of account {name}")

    def battle(self, board: BattleBoard) -> Png | None:
        """The equity curves behind a leaderboard (None when nothing was recorded)."""
        curves = {self.redact(name): c for name, c in board.curves.items()}
        if not _drawable(curves):
            return None
        of = " (sample 1)" if board.samples > 1 else ""
        title = self.redact(f"Battle {board.event.battle_id}: equity{of}")
        return images.equity_png(curves, title, benchmark=BENCHMARK, filename="battle.png")


def summary_chart(store: Store, redact: Redact) -> Callable[[object], Png | None]:
    """The chart of a daily summary (for a `ChartNotifier`): each account's equity up to
    the session's close. Other events, or accounts without equity points: None."""

    def chart(event: object) -> Png | None:
        if not isinstance(event, DailySummary):
            return None
        at: datetime = event.at
        curves = {
            redact(a.competitor or a.account_id): _series(
                p for p in store.equity_curve(a.account_id) if p.timestamp <= at
            )
            for a in event.accounts
        }
        if not _drawable(curves):
            return None
        day = event.session.isoformat()
        return images.equity_png(
            curves, f"Equity to the {day} close", filename=f"summary-{day}.png"
        )

    return chart
