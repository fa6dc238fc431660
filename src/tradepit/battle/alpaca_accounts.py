"""Live battles on Alpaca: one Alpaca paper account per competitor (`--alpaca-accounts`).

**Keys.** Competitor n (1-based, in the order of --models) trades the paper account whose
keys are in ``TRADEPIT_BATTLE_ALPACA_<n>_API_KEY`` and ``TRADEPIT_BATTLE_ALPACA_<n>_SECRET_KEY``
(environment or `.env`, read as `SecretStr`). The trading URL, attempts and timeout are
those of `AlpacaSettings` (``ALPACA_BASE_URL``, ``TRADEPIT_ALPACA_MAX_ATTEMPTS``,
``TRADEPIT_ALPACA_TIMEOUT_S``); market data still comes from ``ALPACA_*``. Paper only: a
live URL or ``TRADEPIT_ALPACA_LIVE`` is a ConfigError, and so are missing keys (the message
names the variables, never their values), keys Alpaca refuses, two competitors on one
account (their positions would net) and an account whose equity is not the battle's
--capital (within 1%: net returns are measured against it).

**Start.** Each account is opened with its own `AlpacaBroker` (own retries and circuit
breaker) and reconciled with the store under ``alpaca-paper-<Alpaca account id>``, so its
ledger starts from the broker's truth.

**Each tick, per competitor** (`AlpacaGroup`, the `battle.group.Group` of such a battle):
the broker's own fills since the previous tick (`BrokerFills`) and their orders are
fetched, the cycle runs on the Alpaca broker (client_order_ids from run, cycle, symbol and
leg as always), then the account and positions are read; the equity point the leaderboard
scores is the account's equity. Fills, orders, cash and positions are saved both to the
account's ledger and to the competitor's battle series (`battle.config.account_id`: what
the leaderboard, the report and `battle show` read). A broker error in either step is
recorded as an aborted cycle (counted as a failure, never a hold) for that competitor
only; the fills window is kept until it is read, and unsaved fills until they are saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradepit.agent.fills import BrokerFills
from tradepit.battle.competitor import CompetitorRun
from tradepit.battle.config import Competitor
from tradepit.battle.group import Group, Standing, standing
from tradepit.battle.recording import FlagCache
from tradepit.broker import PaperConfig
from tradepit.config import LIVE_TRADING_URL, AlpacaSettings
from tradepit.domain.errors import BrokerError, ConfigError
from tradepit.domain.models import Account, Fill, Order, Position
from tradepit.domain.ports import LedgerSnapshot

if TYPE_CHECKING:
    from tradepit.agent.budget import BudgetLimits
    from tradepit.battle.market import Market
    from tradepit.broker.alpaca import AlpacaBroker
    from tradepit.domain.ports import Clock
    from tradepit.storage import Store

log = logging.getLogger(__name__)

ENV_PREFIX = "TRADEPIT_BATTLE_ALPACA_{n}_"
CAPITAL_TOLERANCE = 0.01
"""An account's starting equity may differ from --capital by this fraction at most."""


class AccountKeys(BaseSettings):
    """One competitor's Alpaca paper keys (``TRADEPIT_BATTLE_ALPACA_<n>_*``, see `read_keys`)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    api_key: SecretStr = SecretStr("")
    secret_key: SecretStr = SecretStr("")


def key_names(n: int) -> tuple[str, str]:
    """The variables holding competitor `n`'s keys (n is 1-based)."""
    prefix = ENV_PREFIX.format(n=n)
    return f"{prefix}API_KEY", f"{prefix}SECRET_KEY"


def read_keys(n: int) -> AccountKeys:
    """Competitor `n`'s keys from the environment or `.env`."""
    return AccountKeys(_env_prefix=ENV_PREFIX.format(n=n))


def paper_only(settings: AlpacaSettings) -> AlpacaSettings:
    """`settings` if they point at paper trading; ConfigError otherwise."""
    if settings.live:
        raise ConfigError(
            "battles on Alpaca are paper only: unset TRADEPIT_ALPACA_LIVE for --alpaca-accounts"
        )
    if urlparse(settings.base_url).hostname == urlparse(LIVE_TRADING_URL).hostname:
        raise ConfigError(
            "battles on Alpaca are paper only: ALPACA_BASE_URL points at the live API"
        )
    return settings


@dataclass(frozen=True)
class AlpacaAccount:
    """A competitor's opened, reconciled paper account."""

    broker: AlpacaBroker
    ledger_id: str
    """``alpaca-paper-<Alpaca account id>``: the account's ledger in the store."""
    equity: Decimal
    """At the start."""


BrokerFactory = Callable[[AlpacaSettings, int], "AlpacaBroker"]


def _default_broker(clock: Clock) -> BrokerFactory:
    from tradepit.bootstrap_live import open_alpaca_broker

    def build(settings: AlpacaSettings, n: int) -> AlpacaBroker:
        return open_alpaca_broker(
            clock, confirm_live=False, settings=settings, name=f"alpaca-trading-{n}"
        )

    return build


def open_accounts(
    competitors: Sequence[Competitor],
    store: Store,
    clock: Clock,
    capital: float,
    *,
    settings: AlpacaSettings | None = None,
    keys: Callable[[int], AccountKeys] = read_keys,
    brokers: BrokerFactory | None = None,
) -> dict[int, AlpacaAccount]:
    """Open and check every competitor's account, then reconcile each (see the module
    docstring); by competitor index. A configuration problem is a ConfigError before
    anything is written; an account that cannot be reconciled a ReconciliationError."""
    from tradepit.bootstrap_live import alpaca_settings, reconcile_on_start

    base = paper_only(settings or alpaca_settings())
    found = {c.index: keys(c.index + 1) for c in competitors}
    missing = [
        name
        for c in competitors
        for name, value in zip(
            key_names(c.index + 1), (found[c.index].api_key, found[c.index].secret_key),
            strict=True,
        )
        if not value.get_secret_value()
    ]  # fmt: skip
    if missing:
        raise ConfigError(
            "--alpaca-accounts needs one Alpaca paper account per competitor (numbered in "
            f"--models order); not set: {', '.join(missing)}"
        )
    build = brokers or _default_broker(clock)
    opened: dict[int, AlpacaAccount] = {}
    owners: dict[str, Competitor] = {}
    for c in competitors:
        n = c.index + 1
        update = {"api_key": found[c.index].api_key, "secret_key": found[c.index].secret_key}
        broker = build(base.model_copy(update=update), n)
        ledger_id, account = _identify(c, broker)
        other = owners.setdefault(ledger_id, c)
        if other is not c:
            raise ConfigError(
                f"competitors {other.index + 1} ({other.name}) and {n} ({c.name}) use the "
                f"same Alpaca account ({ledger_id}): give each its own paper account, or "
                "their positions net"
            )
        _check_capital(c, account, capital)
        opened[c.index] = AlpacaAccount(broker, ledger_id, account.equity)
    for account in opened.values():
        reconcile_on_start(account.broker, store, account.ledger_id, clock)
    return opened


def _identify(c: Competitor, broker: AlpacaBroker) -> tuple[str, Account]:
    from tradepit.bootstrap_live import alpaca_account_id

    try:
        return alpaca_account_id(broker), broker.get_account()
    except ConfigError as e:  # 401: Alpaca refused the keys
        key, secret = key_names(c.index + 1)
        raise ConfigError(
            f"competitor {c.index + 1} ({c.name}): Alpaca refused the keys in {key} / "
            f"{secret} (paper keys, for ALPACA_BASE_URL's paper API)"
        ) from e


def _check_capital(c: Competitor, account: Account, capital: float) -> None:
    equity = float(account.equity)
    if abs(equity - capital) > CAPITAL_TOLERANCE * capital:
        raise ConfigError(
            f"competitor {c.index + 1} ({c.name}): its Alpaca paper account holds "
            f"{equity:,.2f} of equity but the battle's --capital is {capital:,.2f} (net "
            "returns are measured against it): reset the paper account to it, or pass "
            "--capital"
        )


class AccountFills:
    """One account's own fills tick by tick (`BrokerFills`), in (previous tick, tick], with
    the orders behind them; both are kept until `take` hands them to the ledgers. A read
    that fails leaves the window where it was."""

    def __init__(self, broker: Any) -> None:
        self.broker = broker
        self.source = BrokerFills(broker)
        self.previous: pd.Timestamp | None = None
        """The tick up to which fills were read (None: none yet, the first tick has none)."""
        self._fills: list[Fill] = []
        self._orders: dict[str, Order] = {}
        self._parents: dict[str, str] = {}
        """Leg id -> parent id of orders taken (a leg is saved inside its parent)."""

    def collect(self, when: pd.Timestamp) -> list[Fill]:
        """The fills since the previous tick, up to `when` (later ones wait for the next)."""
        fills = [f for f in self.source.deliver(self.previous) if f.timestamp <= when]
        orders = {}
        for order_id in dict.fromkeys(f.order_id for f in fills):
            top = self._parents.get(order_id, order_id)
            if top not in orders:
                orders[top] = self.broker.get_order(top)
        self.previous = when
        self._fills.extend(fills)
        self._orders.update(orders)
        return fills

    def take(self) -> tuple[list[Fill], tuple[Order, ...]]:
        """The fills and orders collected since the last `take`."""
        fills, orders = self._fills, tuple(self._orders.values())
        for order in orders:
            self._parents.update((leg.id, order.id) for leg in order.legs)
        self._fills, self._orders = [], {}
        return fills, orders


class AlpacaCompetitor(CompetitorRun):
    """A competitor whose broker is its own Alpaca paper account (see the module doc)."""

    def __init__(
        self,
        spec: Competitor,
        run_id: str,
        series_id: str,
        backend: Any,
        market: Market,
        store: Store,
        account: AlpacaAccount,
        budget: BudgetLimits,
        flags: FlagCache | None = None,
        memory: Any = None,
    ) -> None:
        super().__init__(
            spec, run_id, series_id, backend, market, store, PaperConfig(), budget,
            flags=flags, memory=memory, broker=account.broker,
        )  # fmt: skip
        self.alpaca = account
        self.fills = AccountFills(account.broker)
        self.equity = float(account.equity)
        """The account's equity when it was last read."""

    def step(self, n: int, when: pd.Timestamp, snapshot: Any | None) -> None:
        """Fills since the previous tick, the cycle, then the account (see the module doc)."""
        try:
            fills = self.fills.collect(when)
        except BrokerError as e:
            self._outage(n, e)
            return
        self.stats.fills += len(fills)
        reply = self.cycle(n, fills, snapshot)
        try:
            account, positions = self.broker.get_account(), self.broker.get_positions()
        except BrokerError as e:  # an aborted cycle is counted already
            self._outage(n, e, record=reply is not None and reply.status != "aborted")
            return
        self._save(account, positions)

    def _save(self, account: Account, positions: list[Position]) -> None:
        now = self.market.clock.now()
        fills, orders = self.fills.take()
        for series in (self.alpaca.ledger_id, self.account_id):
            snapshot = LedgerSnapshot(
                account_id=series, cash=account.cash, last_equity=account.last_equity,
                equity_peak=account.equity_peak, day=now.date().isoformat(),
                positions=tuple(positions), orders=orders, updated_at=now,
            )  # fmt: skip
            self.buffer.save_ledger(snapshot, fills)
        self.buffer.record_equity(self.account_id, now, account.equity, account.cash)
        self.equity = float(account.equity)

    def _outage(self, n: int, error: BrokerError, record: bool = True) -> None:
        log.warning(
            "competitor %s: Alpaca account unavailable in cycle %d: %s", self.spec.name, n, error,
            extra={"run": self.run_id, "cycle": n, "account": self.alpaca.ledger_id},
        )  # fmt: skip
        if record:
            self.record_abort(n, error, "outage")


class AlpacaGroup(Group):
    """The competitors of a live battle, each on its own Alpaca paper account: a `Group`
    whose competitors are `AlpacaCompetitor`s, whose fills come from the broker and whose
    equity points are the accounts' (recorded by the competitors when they read them)."""

    def __init__(self, *args: Any, accounts: dict[int, AlpacaAccount], **kwargs: Any) -> None:
        """`Group`'s arguments (its paper config gives only the capital here), and the
        competitors' accounts by index."""
        self.accounts = accounts
        super().__init__(*args, **kwargs)

    def _competitor(
        self, spec: Competitor, run: str, account: str, backend: Any, memory: Any
    ) -> AlpacaCompetitor:
        return AlpacaCompetitor(
            spec, run, account, backend, self.market, self.store, self.accounts[spec.index],
            self.limits, flags=self.flags, memory=memory,
        )  # fmt: skip

    def _before_cycles(self, n: int) -> None:
        """Nothing: each competitor reads its own account's fills in its turn."""

    def _turn(self, c: Any, n: int, at: pd.Timestamp, snapshot: Any | None) -> None:
        c.step(n, at, snapshot)

    def _standing(self, c: Any, now: Any) -> Standing:
        return standing(c, c.equity, self.capital)


def account_ids(accounts: dict[int, AlpacaAccount]) -> dict[str, str]:
    """Competitor index -> ledger id, for the battle's record (no secrets)."""
    return {str(i): a.ledger_id for i, a in sorted(accounts.items())}
