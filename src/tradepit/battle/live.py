"""Live battles: the competitors trade today's market on the real clock.

The replay machinery is reused unchanged: the runner moves the clock to each tick with
`advance_to`, and here `WaitingClock.advance_to` waits until the real clock gets there (a
tick that is already past, because a cycle ran long, starts at once). The market is
Alpaca's live data (`TRADEPIT_DATA=alpaca`) behind the same per-tick cache. Blind mode,
repeats and windows need history and are replay-only.

**Accounts.** Each competitor has its own ledger. By default that is a simulated paper
account filled against the minute bars completed between ticks. With `alpaca_accounts`
(``--alpaca-accounts``) each competitor trades its own Alpaca paper account instead
(separate keys, ``TRADEPIT_BATTLE_ALPACA_<n>_API_KEY`` / ``_SECRET_KEY``; paper only): its
broker is the `AlpacaBroker`, its fills are the broker's own, its scored equity the
account's; see `battle.alpaca_accounts`. Not virtual sub-ledgers on one account
attributed by client_order_id prefix: one account nets the positions of all competitors
(one's sell closes another's long), shares one buying power and one set of
pattern-day-trader and margin rules, and a netted fill cannot be attributed exactly;
separate accounts keep the broker the truth for every competitor's ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from tradepit.agent.schedule import LivePacer, calendar_for, ticks
from tradepit.battle.stop import BattleInterrupted
from tradepit.domain.errors import ConfigError
from tradepit.market.timeframe import parse_timeframe

if TYPE_CHECKING:
    from tradepit.domain.ports import Clock, MarketData

LIVE_TIMEFRAME = "1Min"
"""Bars the paper accounts fill against between ticks."""


class BattleStopped(BattleInterrupted):
    """A stop was requested while waiting for the next tick."""


class WaitingClock:
    """The real clock whose `advance_to(when)` waits until `when` (see the module doc)."""

    def __init__(
        self,
        clock: Clock,
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.clock = clock
        self.stop = stop or threading.Event()
        self._pacer = LivePacer(clock, self.stop, wait=wait)

    def now(self) -> datetime:
        return self.clock.now()

    def advance_to(self, when: datetime) -> None:
        if not self._pacer.reach(pd.Timestamp(when)):
            raise BattleStopped(f"stopped before the tick at {when:%Y-%m-%d %H:%M}Z")


def live_times(
    now: datetime, end: datetime | None, cadence: str, symbols: Sequence[str]
) -> tuple[list[pd.Timestamp], str]:
    """The ticks of a live battle from now to `end` (required: a battle is scored over a
    known period) and the calendar they follow."""
    if end is None:
        raise ConfigError("a live battle needs --end (it is scored over a known period)")
    calendar = calendar_for(tuple(symbols))
    times = list(ticks(now, end, parse_timeframe(cadence), calendar))
    if len(times) < 2:
        raise ConfigError(f"fewer than 2 {cadence} ticks between now and {end:%Y-%m-%d %H:%M}")
    return times, calendar


def check_live(config: Any) -> None:
    """Options that need history are refused in a live battle."""
    if config.blind:
        raise ConfigError("--blind rebases history: it is for replays only")
    if config.windows > 1 or config.repeats > 1:
        raise ConfigError("--windows and --repeats split history: they are for replays only")
    if config.data:
        raise ConfigError("--data is for replays; a live battle reads Alpaca's live data")


def live_runner(
    config: Any,
    store: Any,
    run_id: str,
    *,
    market_data: MarketData,
    clock: Clock,
    stop: threading.Event | None = None,
    wait: Callable[[float], bool] | None = None,
    alpaca_accounts: bool = False,
    **kwargs: Any,
) -> Any:
    """A `BattleRunner` over the live market (see the module docstring). With
    `alpaca_accounts` every competitor's Alpaca paper account is opened, checked and
    reconciled here, before the battle is recorded (ConfigError on any problem)."""
    from tradepit.battle.runner import BattleRunner

    class LiveBattleRunner(BattleRunner):
        accounts: dict[int, Any] | None = None
        """Competitor index -> its `AlpacaAccount` (None: simulated paper accounts)."""

        def _load_market(self) -> tuple[str, str]:
            check_live(self.config)
            self.frames, self.assets = {}, {}
            self.clock = WaitingClock(clock, self.stop, wait)
            self.times, calendar = live_times(
                clock.now(), self.config.end, self.config.cadence, self.config.symbols
            )
            return LIVE_TIMEFRAME, calendar

        def _samples(self, calendar: str, timeframe: str) -> list[dict[str, Any]]:
            times = self.times
            return [{
                "sample": 1, "start": times[0].isoformat(), "end": times[-1].isoformat(),
                "ticks": len(times), "seed": self.config.seed, "blind": None, "times": times,
                "live": True,
            }]  # fmt: skip

        def _market(self, sample: dict[str, Any]) -> Any:
            from tradepit.battle.market import Market, TickFeed

            symbols = tuple(self.config.symbols)
            feed = TickFeed(market_data, self.clock, LIVE_TIMEFRAME)
            return Market(
                self.clock, feed, symbols, {s: s for s in symbols},  # type: ignore[arg-type]
                LIVE_TIMEFRAME, list(sample["times"]),
            )  # fmt: skip

        def _workers(self, competitors: int, online: bool) -> int:
            return 1  # one process: the live feed and its rate limits are shared

        def _new_group(self, *args: Any, **kwargs: Any) -> Any:
            if self.accounts is None:
                return super()._new_group(*args, **kwargs)
            from tradepit.battle.alpaca_accounts import AlpacaGroup

            return AlpacaGroup(*args, accounts=self.accounts, **kwargs)

    runner = LiveBattleRunner(config, store, run_id, stop=stop, **kwargs)
    if alpaca_accounts:
        from tradepit.battle.alpaca_accounts import account_ids, open_accounts

        runner.accounts = open_accounts(
            runner.config.competitors(), store, clock, runner.config.capital
        )
        runner.plan.samples[0]["alpaca_accounts"] = account_ids(runner.accounts)
    return runner
