"""`tradepit memory list|search|forget|ablation`: look into and prune the agent's memory,
and measure what it is worth (`ablation`: battles of each model without and with memory,
see `tradepit.battle.ablation`).

The memory is the one the settings configure (`TRADEPIT_MEMORY_*`, data under
`TRADEPIT_HOME`). `register(app)` adds the `memory` group to the main Typer app.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradepit.cli_common import cli_errors, print_error
from tradepit.config import Settings
from tradepit.domain.errors import TradepitError

if TYPE_CHECKING:
    from tradepit.memory.models import Entry
    from tradepit.memory.service import Memory

memory_app = typer.Typer(help="The agent's memory: journal, lessons, notes.", no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)

NamespaceOpt = Annotated[
    str, typer.Option("--namespace", "-n", help="e.g. user:alice, battle:b1:gpt, agent:main")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
KindOpt = Annotated[str | None, typer.Option("--kind", help="decision, lesson or note.")]


@contextmanager
def _memory() -> Iterator[Memory]:
    from tradepit.memory.service import Memory

    with cli_errors():
        memory = Memory.open(Settings())
        try:
            yield memory
        finally:
            memory.close()


def _kinds(kind: str | None) -> list[Any] | None:
    from tradepit.memory.models import Kind

    return None if kind is None else [Kind(kind)]


def _outcome(entry: Entry) -> str:
    o = entry.outcome
    if o is None:
        return "pending" if entry.horizon_at is not None else ""
    return f"{100 * o.realised_return:+.2f}% ({100 * o.excess_return:+.2f}% vs B&H)"


def _table(title: str, entries: list[Entry], extra: Callable[[Entry], str] | None = None) -> Table:
    table = Table(title=escape(title))
    for name in ("Created", "Kind", "Symbol", "Text", "Outcome", "Id", *(["Score"] * bool(extra))):
        table.add_column(name, overflow="fold")
    for e in entries:
        row = [f"{e.created_at:%Y-%m-%d %H:%M}", e.kind.value, escape(e.symbol or "")]
        row += [escape(e.text), _outcome(e), escape(e.id[:12]), *([extra(e)] if extra else [])]
        table.add_row(*row)
    return table


def _emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


@memory_app.command("list")
def list_entries(
    namespace: Annotated[str | None, typer.Option("--namespace", "-n", help="Namespace.")] = None,
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="Newest entries shown.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List namespaces (without --namespace) or a namespace's newest entries."""
    with _memory() as memory:
        if namespace is None:
            spaces = memory.namespaces()
            if as_json:
                _emit([{"namespace": ns, "entries": n} for ns, n in spaces])
                return
            table = Table(title="Memory namespaces")
            table.add_column("Namespace")
            table.add_column("Entries", justify="right")
            for ns, n in spaces:
                table.add_row(escape(ns), str(n))
            out.print(table if spaces else "No memories yet.")
            return
        entries = memory.entries(namespace, _kinds(kind), limit)
        if as_json:
            _emit([e.model_dump(mode="json") for e in entries])
        else:
            out.print(_table(f"Memory {namespace}", entries) if entries else "No entries.")


@memory_app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    namespace: NamespaceOpt,
    symbol: Annotated[str | None, typer.Option(help="Only about this ticker (+ general).")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many.")] = 5,
    kind: KindOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recall the memories most relevant to QUERY, as of now."""
    from tradepit.clock import SystemClock

    with _memory() as memory:
        hits = memory.recall(
            query, namespace=namespace, as_of=SystemClock().now(), symbol=symbol, k=k,
            kinds=_kinds(kind),
        )  # fmt: skip
        if as_json:
            _emit([{**h.entry.model_dump(mode="json"), "score": h.score} for h in hits])
            return
        scores = {h.entry.id: h.score for h in hits}
        table = _table(f"Recall: {query}", [h.entry for h in hits], lambda e: f"{scores[e.id]:.3f}")
        out.print(table if hits else "Nothing relevant remembered.")


@memory_app.command()
def forget(
    namespace: NamespaceOpt,
    ids: Annotated[list[str] | None, typer.Argument(help="Entry ids (or unique prefixes).")] = None,
    all_entries: Annotated[bool, typer.Option("--all", help="Forget the whole namespace.")] = False,
) -> None:
    """Delete entries by id (prefixes from `memory list` work), or --all of a namespace."""
    if bool(ids) == all_entries:
        print_error("give entry ids or --all (not both)")
        raise typer.Exit(2)
    with _memory() as memory:
        if all_entries:
            count = memory.forget(namespace)
        else:
            known = [e.id for e in memory.entries(namespace, limit=None)]
            full = []
            for prefix in ids or []:
                matches = [i for i in known if i.startswith(prefix)]
                if len(matches) != 1:
                    print_error(f"{prefix!r} matches {len(matches)} entries")
                    raise typer.Exit(1)
                full.append(matches[0])
            count = memory.forget(namespace, full)
        out.print(f"forgot {count} entr{'y' if count == 1 else 'ies'} in {namespace}", markup=False)


@memory_app.command()
def ablation(
    models: Annotated[str, typer.Option(help="Comma-separated model specs.")] = "rules:supertrend",
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = "SPX,IXIC,MSFT",
    start: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD).")] = None,
    windows: Annotated[int, typer.Option(min=1, help="Consecutive windows.")] = 5,
    portfolio: Annotated[bool, typer.Option(help="One account trades all symbols.")] = False,
    fresh: Annotated[bool, typer.Option(help="Empty memory at every window.")] = False,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Memory ablation, offline: each model without and with memory (X and X+memory as
    battle competitors) on the same windows, one battle per symbol (or one over all with
    --portfolio); paired differences of return, Sharpe and max drawdown with 95% bootstrap
    intervals over windows. Default: the last WINDOWS years of the symbols' bundled data,
    one year per window. Same as `tradepit battle --memory-ablation --windows K` per symbol."""
    from tradepit.battle import BattleConfig, new_run_id
    from tradepit.battle.ablation import run_ablation
    from tradepit.bootstrap import configure_process, open_store
    from tradepit.cli_battle import print_ablation

    names = [s.strip().upper() for s in symbols.split(",") if s.strip()]
    specs = [m.strip() for m in models.split(",") if m.strip()]
    settings = Settings()
    configure_process(settings)
    try:
        lo, hi = _ablation_window(names, windows, start, end)
        config = BattleConfig(
            models=specs, symbols=names, start=lo, end=hi, windows=windows, seed=seed,
            fresh_memory=fresh, commission_pct=settings.commission_pct,
            slippage_bps=settings.slippage_bps,
        )  # fmt: skip
        store = open_store(settings)
        try:
            result = run_ablation(
                config, store, settings, new_run_id(store, "ablation"), per_symbol=not portfolio,
                on_battle=None if as_json else lambda b: err.print(f"[dim]{b.run_id} done[/]"),
            )  # fmt: skip
        finally:
            store.close()
    except (TradepitError, ValueError) as e:
        print_error(str(e))
        raise typer.Exit(1) from None
    if as_json:
        _emit(result.to_dict())
        return
    print_ablation(result.reports)
    ids = ", ".join(b.run_id for b in result.battles)
    out.print(f"[dim]battles: {ids} (tradepit battle show ID)[/]")


def _ablation_window(symbols: list[str], windows: int, start: str | None, end: str | None) -> Any:
    """[start, end], by default the last `windows` years of data common to `symbols`."""
    import pandas as pd

    from tradepit.battle.market import load_frames

    def day(text: str) -> Any:
        return pd.Timestamp(text, tz="UTC").to_pydatetime()

    frames, _ = load_frames(symbols, {})
    last = min(pd.Timestamp(f.index[-1]) for f in frames.values()) + pd.Timedelta(days=1)
    hi = day(end) if end else last.to_pydatetime()
    lo = day(start) if start else (pd.Timestamp(hi) - pd.DateOffset(years=windows)).to_pydatetime()
    return lo, hi


def register(app: typer.Typer) -> None:
    """Add the `memory` command group to `app`."""
    app.add_typer(memory_app, name="memory")
