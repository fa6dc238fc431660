"""Composition root: Settings -> adapters (store, point-in-time feed over the bundled data,
paper broker persisted in the store, risk gate, checkpointer, model backend, memory) ->
service.

The only place that wires adapters together. Offline by default: a replay clock at the end
of the bundled data for chat, a replay clock driven by the loop for runs.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from tradepit.agent.backends import make_backend
from tradepit.agent.budget import BudgetLimits
from tradepit.agent.deps import AgentDeps
from tradepit.agent.graph import build_graph
from tradepit.agent.service import AgentService, chat_run
from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, NoDataError
from tradepit.market import HistoricalSource, PointInTimeFeed
from tradepit.memory import namespaces
from tradepit.risk import RiskGate, RiskLimits
from tradepit.storage import Store
from tradepit.storage.engine import parse_url
from tradepit.tools.registry import default_tools

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from tradepit.agent.backends.base import ModelBackend
    from tradepit.domain.ports import Clock
    from tradepit.memory.service import Memory

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoints.db"


def configure_process(settings: Settings) -> None:
    """Process-wide settings of third-party libraries, before they are imported."""
    settings.apply_process_environment()


def open_store(settings: Settings) -> Store:
    """The configured database, migrated to the current schema."""
    store = Store.from_settings(settings)
    store.migrate()
    return store


@cache
def bundled_source() -> HistoricalSource:
    """Every bundled OHLCV series (loaded once per process)."""
    return HistoricalSource.bundled()


def end_of_data(source: HistoricalSource) -> datetime:
    """The moment every bar of every series is complete (daily bars: last open + 1 day)."""
    last = max(source.frame(s).index[-1] for s in source.symbols())
    return (pd.Timestamp(last) + pd.Timedelta(days=1)).to_pydatetime()


def build_feed(clock: Clock, source: HistoricalSource | None = None) -> PointInTimeFeed:
    return PointInTimeFeed(source or bundled_source(), clock, "1Day")


def paper_config(settings: Settings, *, fill_at_last_price: bool = False) -> PaperConfig:
    def d(x: float) -> Decimal:
        return Decimal(repr(float(x)))

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


def mark_to_market(broker: PaperBroker, feed: PointInTimeFeed, symbols: Iterable[str]) -> None:
    """Give the paper broker the feed's latest prices (it needs one to accept an order)."""
    for symbol in symbols:
        try:
            broker.mark(symbol, feed.latest_quote(symbol).last)
        except NoDataError:
            log.debug("no price yet for %s", symbol)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """LangGraph's PostgreSQL saver for a PostgreSQL URL, else its SQLite saver on a file
    under `home`. Tables are created on first use."""
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
        saver.setup()
        yield saver


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
    feed: PointInTimeFeed
    broker: PaperBroker
    backend: ModelBackend
    service: AgentService
    memory: Memory | None = None


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
) -> Iterator[App]:
    """Wire everything from `settings`. Offline defaults: bundled data, a replay clock at
    its end, the paper account `settings.account_id`, the model `settings.model`, the
    memory of `settings.memory_backend`, each turn in the namespace `namespace(deps)`."""
    settings = settings or Settings()
    configure_process(settings)
    with ExitStack() as stack:
        store = open_store(settings)
        stack.callback(store.close)
        source = bundled_source()
        at_end_of_data = clock is None
        clock = clock or ReplayClock(end_of_data(source))
        feed = build_feed(clock, source)
        broker = build_broker(
            settings,
            clock,
            feed,
            store,
            account_id or settings.account_id,
            fill_at_last_price=at_end_of_data,
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
        marked = tuple(deps.symbols) or tuple(feed.symbols())
        memory = open_memory(settings, store)

        def prepare(turn: AgentDeps) -> None:
            mark_to_market(broker, feed, marked)
            if memory is not None:
                turn.memory = memory.scope(namespace(turn))

        service = AgentService(
            deps,
            backend,
            build_graph(saver),
            tools=default_tools(memory=memory is not None),
            limits=BudgetLimits.from_settings(settings),
            prepare=prepare,
        )
        yield App(settings, store, clock, feed, broker, backend, service, memory)
