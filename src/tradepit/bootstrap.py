"""Composition root: Settings -> adapters (store, market data, broker, risk gate,
checkpointer, model backend, memory) -> service.

The only place that wires adapters together (the live adapters come from
`bootstrap_live`). Offline by default: the point-in-time feed over the bundled data on a
replay clock (at the end of the data for chat, driven by the loop for runs) and the paper
broker persisted in the store. With live data (`TRADEPIT_DATA=alpaca`, or
`TRADEPIT_BROKER=alpaca`): the real clock, Alpaca's market data, and the Alpaca account
(reconciled first) or the paper broker on the live feed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from tradepit.agent.backends import make_backend
from tradepit.agent.budget import BudgetLimits
from tradepit.agent.deps import AgentDeps
from tradepit.agent.graph import build_graph
from tradepit.agent.service import AgentService, chat_run
from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock, SystemClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, NoDataError
from tradepit.domain.models import exact_decimal
from tradepit.market import HistoricalSource, PointInTimeFeed
from tradepit.memory import namespaces
from tradepit.risk import RiskGate, RiskLimits
from tradepit.storage import Store
from tradepit.storage.engine import parse_url
from tradepit.storage.lease import POLL_S
from tradepit.tools.registry import default_tools

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from tradepit.agent.backends.base import ModelBackend
    from tradepit.domain.ports import Broker, Clock, MarketData
    from tradepit.integrations.hub import NotificationHub
    from tradepit.memory.service import Memory
    from tradepit.ops.health import Health
    from tradepit.ops.metrics import Metrics
    from tradepit.ops.server import OpsServer

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoints.db"
CHECKPOINT_SETUP_LOCK = 0x7472616465_01
"""PostgreSQL advisory lock key serialising LangGraph's checkpoint table setup."""


def configure_process(settings: Settings) -> None:
    """Process-wide settings of third-party libraries, before they are imported."""
    settings.apply_process_environment()


def open_store(settings: Settings) -> Store:
    """The configured database, migrated to the current schema."""
    store = Store.from_settings(settings)
    store.migrate()
    return store


BUNDLED_TIMEFRAME = "1Day"
"""The bundled series' bars."""


@cache
def bundled_source() -> HistoricalSource:
    """Every bundled OHLCV series (loaded once per process)."""
    return HistoricalSource.bundled()


def end_of_data(source: HistoricalSource) -> datetime:
    """The moment every bar of every series is complete (daily bars: last open + 1 day)."""
    last = max(source.frame(s).index[-1] for s in source.symbols())
    return (pd.Timestamp(last) + pd.Timedelta(days=1)).to_pydatetime()


def build_feed(clock: Clock, source: HistoricalSource | None = None) -> PointInTimeFeed:
    return PointInTimeFeed(source or bundled_source(), clock, BUNDLED_TIMEFRAME)


def paper_config(settings: Settings, *, fill_at_last_price: bool = False) -> PaperConfig:
    d = exact_decimal
    return PaperConfig(
        starting_cash=d(settings.starting_cash),
        commission_per_share=d(settings.commission_per_share),
        commission_pct=d(settings.commission_pct),
        slippage_bps=d(settings.slippage_bps),
        max_volume_share=d(settings.max_volume_share) if settings.max_volume_share else None,
        fill_at_last_price=fill_at_last_price,
    )


def build_broker(
    settings: Settings,
    clock: Clock,
    feed: PointInTimeFeed,
    store: Store,
    account_id: str,
    *,
    fill_at_last_price: bool = False,
) -> PaperBroker:
    """A paper account persisted in `store` (loaded if it exists). With
    `fill_at_last_price` new orders are worked at once against the last price (chat at the
    end of the data: no later bar would ever come to fill them)."""
    if settings.broker != "paper":
        raise ConfigError(f"broker {settings.broker!r} is not available; use 'paper'")
    config = paper_config(settings, fill_at_last_price=fill_at_last_price)
    return PaperBroker(clock, feed.get_asset, config, store, account_id)


def hold_account(stack: ExitStack, settings: Settings, store: Store, account: str) -> None:
    """Hold the paper account's lease until `stack` closes: one process writes an account
    at a time (AccountInUseError after `settings.account_lock_timeout_s`). Taken before the
    broker loads the ledger, so it starts from the previous holder's last save."""
    stack.enter_context(store.account_lease(account, settings.account_lock_timeout_s))


def mark_to_market(broker: Broker, feed: MarketData, symbols: Iterable[str]) -> None:
    """Give the paper broker the feed's latest prices (it needs one to accept an order);
    a real broker knows its prices (nothing to do)."""
    if not isinstance(broker, PaperBroker):
        return
    for symbol in symbols:
        try:
            broker.mark(symbol, feed.latest_quote(symbol).last)
        except NoDataError:
            log.debug("no price yet for %s", symbol)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """LangGraph's PostgreSQL saver for a PostgreSQL URL, else its SQLite saver on a file
    under `home`. Tables are created on first use (on PostgreSQL one process at a time)."""
    url = settings.checkpoint_url or _postgres_url(settings.database_url)
    if url:
        with postgres_checkpointer(url) as saver:
            yield saver
        return
    settings.home.mkdir(parents=True, exist_ok=True)
    with sqlite_checkpointer(str(settings.home / CHECKPOINT_FILE)) as saver:
        yield saver


@contextmanager
def sqlite_checkpointer(path: str) -> Iterator[BaseCheckpointSaver]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(path, check_same_thread=False, timeout=15.0)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@contextmanager
def postgres_checkpointer(url: str, **options: object) -> Iterator[BaseCheckpointSaver]:
    """`options` go to psycopg's connect (e.g. ``options="-csearch_path=..."``)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with Connection.connect(
        dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row, **options
    ) as conn:
        saver = PostgresSaver(conn)
        _setup_alone(conn, saver)
        yield saver


def _setup_alone(conn: Any, saver: Any) -> None:
    """`saver.setup()` one process at a time (concurrent first users of a database race in
    its CREATE TABLEs). Polled: a session blocked in pg_advisory_lock would deadlock with
    the holder's CREATE INDEX CONCURRENTLY, which waits for every open transaction."""
    take = "SELECT pg_try_advisory_lock(%s) AS taken"
    while not conn.execute(take, (CHECKPOINT_SETUP_LOCK,)).fetchone()["taken"]:
        time.sleep(POLL_S)
    try:
        saver.setup()
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (CHECKPOINT_SETUP_LOCK,))


def _postgres_url(url: str | None) -> str | None:
    if url and parse_url(url).get_backend_name() == "postgresql":
        return url
    return None


def open_memory(settings: Settings, store: Store) -> Memory | None:
    """The configured memory on `store` (None with `memory_backend=off`). chromadb and the
    embedding model load on first use."""
    if settings.memory_backend == "off":
        return None
    from tradepit.memory.service import Memory

    return Memory.open(settings, store)


def memory_namespace(deps: AgentDeps) -> str:
    """Whose memory a turn uses: a chat session's user (`namespaces.session_user`), else
    the run's own (`agent:<run id>`; a battle competitor's run id is its own run)."""
    prefix = chat_run("")
    if deps.mode == "chat" and deps.run_id.startswith(prefix):
        session = deps.run_id.removeprefix(prefix)
        return namespaces.user(namespaces.safe_part(namespaces.session_user(session)))
    return namespaces.agent(namespaces.safe_part(deps.run_id))


@dataclass
class App:
    """What a front end or the loop needs: the service and the adapters behind it."""

    settings: Settings
    store: Store
    clock: Clock
    feed: MarketData
    broker: Broker
    backend: ModelBackend
    service: AgentService
    memory: Memory | None = None
    account_id: str = ""
    """The store's id of the broker account (equity points, ledger, summaries)."""
    live: bool = False
    """Real clock and live data (else a replay over the bundled data)."""
    hub: NotificationHub | None = None
    symbols: tuple[str, ...] = ()
    """The symbols marked before each turn (empty: every bundled symbol; live: positions)."""

    def watched(self) -> list[str]:
        """Symbols worth showing and marking: the given ones, else every bundled symbol
        (replay) or the held ones (live: the tradable universe is thousands)."""
        if self.symbols:
            return list(self.symbols)
        if not self.live:
            return list(self.feed.symbols())
        return sorted({p.symbol for p in self.broker.get_positions()})

    def refresh(self) -> None:
        """Mark the paper broker to the feed (a real broker needs nothing)."""
        mark_to_market(self.broker, self.feed, self.watched())


@contextmanager
def open_app(
    settings: Settings | None = None,
    *,
    model: str | None = None,
    clock: Clock | None = None,
    account_id: str | None = None,
    symbols: Sequence[str] = (),
    limits: RiskLimits | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    namespace: Callable[[AgentDeps], str] = memory_namespace,
    confirm_live: bool = False,
    fill_at_last_price: bool | None = None,
    hub: NotificationHub | None = None,
    metrics: Metrics | None = None,
) -> Iterator[App]:
    """Wire everything from `settings`. Offline defaults: bundled data, a replay clock at
    its end, the paper account `settings.account_id`, the model `settings.model`, the
    memory of `settings.memory_backend`, each turn in the namespace `namespace(deps)`.

    Live data (`settings.data_source() == "alpaca"`): `clock` defaults to the real clock;
    the Alpaca broker is reconciled before the app is handed out (ReconciliationError
    otherwise) and needs `confirm_live` for a live account. Orders fill at the last price
    (`fill_at_last_price`) by default in chat (no clock given); a loop feeds bars instead.
    `hub` gets alerts (data outages, reconciliation failures); default: the configured
    notification targets. A paper account is held (`hold_account`) while the app is open:
    another process opening it waits, then fails with AccountInUseError. `metrics` (see
    `serve_ops`) are given to the service."""
    from tradepit import bootstrap_live as live_parts

    settings = settings or Settings()
    configure_process(settings)
    broker_name = live_parts.check_broker(settings)
    live = settings.data_source() == "alpaca"
    with ExitStack() as stack:
        store = open_store(settings)
        stack.callback(store.close)
        if hub is None:
            hub = build_notification_hub(settings, store)
            stack.callback(hub.close)
        chat_fills = clock is None if fill_at_last_price is None else fill_at_last_price
        broker: Broker
        if live:
            clock = clock or SystemClock()
            alerts = Alerts(hub, clock)
            if broker_name == "alpaca":
                alpaca = live_parts.open_alpaca_broker(clock, confirm_live=confirm_live)
                feed: MarketData = live_parts.open_market(clock, assets=alpaca, alert=alerts.data)
                account = live_parts.alpaca_account_id(alpaca)
                live_parts.reconcile_on_start(alpaca, store, account, clock, alerts.error)
                broker = alpaca
            else:
                feed = live_parts.open_market(clock, alert=alerts.data)
                account = account_id or settings.account_id
                hold_account(stack, settings, store, account)
                broker = live_parts.LivePaperBroker(
                    clock, feed.get_asset,
                    paper_config(settings, fill_at_last_price=chat_fills), store, account,
                    last_price=lambda symbol: feed.latest_quote(symbol).last,
                )  # fmt: skip
        else:
            source = bundled_source()
            clock = clock or ReplayClock(end_of_data(source))
            feed = build_feed(clock, source)
            account = account_id or settings.account_id
            hold_account(stack, settings, store, account)
            broker = build_broker(
                settings, clock, feed, store, account, fill_at_last_price=chat_fills
            )
        backend = make_backend(model or settings.model, settings, store)
        saver = checkpointer or stack.enter_context(open_checkpointer(settings))
        limits = limits or RiskLimits()
        deps = AgentDeps(
            broker=broker,
            market=feed,
            clock=clock,
            gate=RiskGate(limits),
            limits=limits,
            store=store,
            approval_notional=Decimal(repr(settings.approval_notional)),
            symbols=tuple(s.upper() for s in symbols),
            home=settings.home,
        )
        memory = open_memory(settings, store)
        app = App(
            settings, store, clock, feed, broker, backend, None, memory,  # type: ignore[arg-type]
            account_id=account, live=live, hub=hub, symbols=deps.symbols,
        )  # fmt: skip

        def prepare(turn: AgentDeps) -> None:
            app.refresh()
            if memory is not None:
                turn.memory = memory.scope(namespace(turn))

        app.service = AgentService(
            deps,
            backend,
            build_graph(saver),
            tools=default_tools(memory=memory is not None),
            limits=BudgetLimits.from_settings(settings),
            prepare=prepare,
            metrics=metrics,
        )
        yield app


@dataclass
class Ops:
    """The process's metrics and health, served at `server.url` (/metrics, /healthz)."""

    metrics: Metrics
    health: Health
    server: OpsServer


@contextmanager
def serve_ops(
    settings: Settings, port: int | None = None, command: str = "run"
) -> Iterator[Ops | None]:
    """Metrics and health of this process on `settings.metrics_host`:`port` (default
    `settings.metrics_port`; None: off, and nothing is imported). One registry per call:
    nothing global. ConfigError when the port cannot be bound."""
    port = settings.metrics_port if port is None else port
    if port is None:
        yield None
        return
    from tradepit.integrations.redact import settings_redactor
    from tradepit.ops.health import Health
    from tradepit.ops.metrics import Metrics
    from tradepit.ops.server import OpsServer

    clock = SystemClock()
    metrics = Metrics(clock)
    health = Health(clock, command, redact=settings_redactor(settings).redact)
    server = OpsServer(metrics, health, settings.metrics_host, port)
    try:
        yield Ops(metrics, health, server)
    finally:
        server.close()


def build_notification_hub(settings: Settings, store: Store | None = None) -> NotificationHub:
    """The configured notification targets (a hub without routes does nothing); with the
    store, daily summaries on Slack carry their equity chart."""
    from tradepit.integrations.targets import build_hub

    return build_hub(settings, store=store)


class Alerts:
    """Alerts of the live adapters as notification events (critical outages)."""

    def __init__(self, hub: NotificationHub, clock: Clock) -> None:
        self.hub, self.clock = hub, clock

    def data(self, message: str, context: dict[str, object]) -> None:
        from tradepit.integrations.events import ServiceAlert

        self.hub.publish(
            ServiceAlert(
                at=self.clock.now(), alert="error", component="alpaca-data",
                error_type="DataUnavailableError", message=message, level="critical",
            )
        )  # fmt: skip

    def error(self, error: BaseException) -> None:
        from tradepit.integrations.events import ServiceAlert

        self.hub.publish(ServiceAlert.from_error("alpaca-broker", error, self.clock.now()))
