"""Broker commands: `account`, `positions`, `orders` on the broker the settings select.

`TRADEPIT_BROKER=paper` (default): the paper account persisted in the store under
`settings.home`. `TRADEPIT_BROKER=alpaca`: the Alpaca account of `ALPACA_*` (paper unless
`TRADEPIT_ALPACA_LIVE=true` and `--confirm-live`). `--run RUN` shows the paper account of
a `tradepit run` instead of `tradepit ask`'s. `register(app)` adds the commands.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradepit.cli_common import cli_errors, print_error
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, UnknownSymbolError
from tradepit.domain.models import Asset, Order, Position
from tradepit.domain.ports import Broker, OrderQuery

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfirmLive = Annotated[
    bool,
    typer.Option("--confirm-live", help="Confirm live trading (with TRADEPIT_ALPACA_LIVE=true)."),
]
RunOption = Annotated[
    str | None,
    typer.Option(
        "--run",
        help="A `tradepit run`'s paper account, or a web chat's (chat-<thread id>, as in its "
        "URL), instead of `tradepit ask`'s (TRADEPIT_ACCOUNT_ID, paper-default).",
    ),
]
BROKERS = ("paper", "alpaca")


def _paper_asset(symbol: str) -> Asset:
    from tradepit.market.bundled import bundled_asset

    try:
        return bundled_asset(symbol)
    except UnknownSymbolError:
        return Asset(symbol=symbol)


@contextmanager
def open_broker(
    settings: Settings, *, confirm_live: bool = False, run_id: str | None = None
) -> Iterator[Broker]:
    """The broker `settings.broker` names, closed (its store) on exit; with `run_id`, the
    paper account of that agent run (ConfigError for runs the store does not have). A paper
    account is opened read-only, as last saved: the commands only show it, so they work
    while a run or a chat holds the account (see `storage.lease`)."""
    from tradepit.clock import SystemClock

    name = settings.broker.lower()
    if name == "alpaca" and run_id is not None:
        raise ConfigError("--run is for paper runs; on Alpaca every run trades the one account")
    if name == "alpaca":
        from tradepit.broker.alpaca import AlpacaBroker
        from tradepit.config import AlpacaSettings

        yield AlpacaBroker(AlpacaSettings(), confirm_live=confirm_live, clock=SystemClock())
        return
    if name != "paper":
        raise ConfigError(f"unknown broker {settings.broker!r}; use one of {', '.join(BROKERS)}")
    from tradepit.broker import PaperBroker, PaperConfig
    from tradepit.broker.read_only import ReadOnlyLedger
    from tradepit.storage import Store

    config = PaperConfig(
        starting_cash=Decimal(str(settings.starting_cash)),
        commission_per_share=Decimal(str(settings.commission_per_share)),
        commission_pct=Decimal(str(settings.commission_pct)),
        slippage_bps=Decimal(str(settings.slippage_bps)),
        max_volume_share=Decimal(str(settings.max_volume_share)),
    )
    with Store.from_settings(settings) as store:
        store.migrate()
        account = settings.account_id if run_id is None else _run_account(store, run_id)
        ledger = ReadOnlyLedger(store)
        yield PaperBroker(SystemClock(), _paper_asset, config, ledger, account)


def _run_account(store: Any, run_id: str) -> str:
    """The paper account of agent run `run_id` (`tradepit run` trades `paper-<run>`), or a
    web chat's own account (`chat-<thread id>`) when it has one."""
    from tradepit.chat_ui import CHAT_ACCOUNT_PREFIX
    from tradepit.storage import RunKind

    if run_id.startswith(CHAT_ACCOUNT_PREFIX) and store.has_ledger(run_id):
        return run_id
    run = store.get_run(run_id)
    if run is None or run.kind != RunKind.CYCLE:
        runs = [r.id for r in store.list_runs(RunKind.CYCLE)][-10:]
        hint = "tradepit battle show" if run is not None else ", ".join(runs) or "none yet"
        what = "not an agent run" if run is not None else "no agent run"
        raise ConfigError(f"{what} {run_id!r} (see: {hint})")
    return f"paper-{run_id}"


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


def _money(value: Decimal | None) -> str:
    """Cents; an amount that rounds to nothing is 0.00, never -0.00."""
    return "" if value is None else f"{value.quantize(_CENT) + 0:,.2f}"


_CENT = Decimal("0.01")


def _positions_table(positions: list[Position]) -> Table:
    table = Table(title="Positions")
    for name in ("Symbol", "Qty", "Avg entry", "Price", "Value", "Unrealized P&L"):
        table.add_column(name, justify="left" if name == "Symbol" else "right")
    for p in positions:
        table.add_row(
            escape(p.symbol),
            f"{p.qty.normalize():f}",
            _money(p.avg_entry_price),
            _money(p.market_price),
            _money(p.market_value),
            _money(p.unrealized_pnl),
        )
    return table


def _orders_table(orders: list[Order], status: str) -> Table:
    table = Table(title=f"Orders ({status})")
    for name in (
        "Created",
        "Symbol",
        "Side",
        "Qty",
        "Type",
        "Limit",
        "Stop",
        "Status",
        "Filled",
        "Avg price",
        "Id",
    ):
        table.add_column(name)
    for o in orders:
        qty = f"{o.qty.normalize():f}" if o.qty is not None else f"${o.notional}"
        table.add_row(
            o.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(o.symbol),
            o.side.value,
            qty,
            o.type.value,
            _money(o.limit_price),
            _money(o.stop_price),
            o.status.value,
            f"{o.filled_qty.normalize():f}",
            _money(o.filled_avg_price),
            escape(o.id),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add `account`, `positions` and `orders` to `app`."""
    out = Console(width=None if sys.stdout.isatty() else 150)

    def run(confirm_live: bool, action: Callable[[Broker], None], run_id: str | None) -> None:
        with (
            cli_errors(live_option=True),
            open_broker(Settings(), confirm_live=confirm_live, run_id=run_id) as broker,
        ):
            action(broker)

    @app.command()
    def account(
        as_json: JsonOption = False, confirm_live: ConfirmLive = False, run_id: RunOption = None
    ) -> None:
        """Show the account: cash, equity, buying power."""

        def show(broker: Broker) -> None:
            acct = broker.get_account()
            if as_json:
                _emit_json(acct.model_dump(mode="json"))
                return
            table = Table(title=f"Account {escape(acct.id)}", show_header=False)
            for label, value in (
                ("Cash", acct.cash),
                ("Equity", acct.equity),
                ("Buying power", acct.buying_power),
                ("Long value", acct.long_market_value),
                ("Short value", acct.short_market_value),
                ("Last equity", acct.last_equity),
            ):
                table.add_row(label, f"{_money(value)} {acct.currency}")
            out.print(table)

        run(confirm_live, show, run_id)

    @app.command()
    def positions(
        as_json: JsonOption = False, confirm_live: ConfirmLive = False, run_id: RunOption = None
    ) -> None:
        """Show open positions."""

        def show(broker: Broker) -> None:
            held = broker.get_positions()
            if as_json:
                _emit_json([p.model_dump(mode="json") for p in held])
            elif not held:
                out.print("No open positions.")
            else:
                out.print(_positions_table(held))

        run(confirm_live, show, run_id)

    @app.command()
    def orders(
        status: Annotated[str, typer.Option(help="open, closed or all.")] = "open",
        as_json: JsonOption = False,
        confirm_live: ConfirmLive = False,
        run_id: RunOption = None,
    ) -> None:
        """Show orders by status."""
        if status not in ("open", "closed", "all"):
            print_error(f"--status must be open, closed or all, not {status!r}")
            raise typer.Exit(2)
        query: OrderQuery = status  # type: ignore[assignment]

        def show(broker: Broker) -> None:
            found = broker.list_orders(query)
            if as_json:
                _emit_json([o.model_dump(mode="json") for o in found])
            elif not found:
                out.print("No orders." if status == "all" else f"No {status} orders.")
            else:
                out.print(_orders_table(found, status))

        run(confirm_live, show, run_id)
