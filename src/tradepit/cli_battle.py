"""Battle commands of the CLI: `battle` (run one, live leaderboard), `battle show`,
`battle replay`, `battle list`; `run_demo` is the offline demo battle (`tradepit demo`).
`register(app)` adds the `battle` group to the main Typer app."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradepit.cli_common import cli_errors, cli_settings

if TYPE_CHECKING:
    from tradepit.battle import Leaderboard, Progress
    from tradepit.config import Settings
    from tradepit.memory.ablation import AblationReport
    from tradepit.storage import Store

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
battle_app = typer.Typer(
    help="Model battles: several backends trade the same market side by side.",
    invoke_without_command=True,
)
DEMO_MODELS = (
    "rules:supertrend", "rules:macd_rsi", "rules:ema_rsi", "rules:sma_cross",
    "rules:buy_and_hold",
)  # fmt: skip
DEMO_SYMBOLS = ("SPX", "IXIC", "MSFT")


_errors = cli_errors
_settings = cli_settings


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _data(items: list[str]) -> dict[str, str]:
    """``SYMBOL=path`` or ``path`` (symbol = file name without suffix)."""
    out: dict[str, str] = {}
    for item in items:
        symbol, sep, path = item.partition("=")
        if not sep:
            path, symbol = item, Path(item).name.split(".")[0]
        out[symbol.strip().upper()] = path.strip()
    return out


def _day(text: str | None, name: str, end: bool = False) -> Any:
    import pandas as pd

    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ValueError(f"--{name} {text!r} is not a date (use YYYY-MM-DD)") from None
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    if end and stamp == stamp.normalize():
        stamp += pd.Timedelta(days=1)  # an end date includes that day's session
    return stamp.to_pydatetime()


def _window(symbols: list[str], data: dict[str, str], start: Any, end: Any) -> tuple[Any, Any]:
    from tradepit.battle.market import default_window, load_frames
    from tradepit.market.timeframe import data_timeframe

    if start is not None and end is not None:
        return start, end
    frames, _ = load_frames([s.upper() for s in symbols], {k: v for k, v in data.items()})
    lo, hi = default_window(frames, data_timeframe(frames))
    if end is not None:
        import pandas as pd

        lo = (pd.Timestamp(end) - pd.Timedelta(days=365)).to_pydatetime()
    return start or lo, end or hi


# -- rendering ----------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    colour = "green" if x > 0 else "red" if x < 0 else "white"
    return f"[{colour}]{x:+.2f}[/]"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def live_table(p: Progress) -> Table:
    from tradepit.battle.scoring import UNFINISHED

    title = (
        f"sample {p.sample}/{p.samples}  tick {p.tick + 1}/{p.ticks}  {p.time:%Y-%m-%d %H:%M}Z"
        f"  buy & hold {p.benchmark_pct:+.2f}%"
    )
    table = Table(title=title, header_style="bold")
    for name in ("#", "competitor", "equity", "return %", "fills", "failures", "status",
                 "tokens", "cost $"):  # fmt: skip
        table.add_column(
            name,
            justify="left" if name in ("competitor", "status") else "right",
            overflow="fold" if name == "competitor" else "ellipsis",
        )
    ranked = sorted(p.standings, key=lambda s: (s.status in UNFINISHED, -s.return_pct, s.index))
    for rank, s in enumerate(ranked, start=1):
        status = s.status if s.status == "ok" else f"[red]{s.status}[/]"
        table.add_row(
            str(rank), s.name, f"{s.equity:,.2f}", _pct(s.return_pct), str(s.fills),
            str(s.failures), status, f"{s.tokens:,}", f"{s.usd:.4f}",
        )  # fmt: skip
    return table


def leaderboard_table(board: Leaderboard, sample: int = 1) -> Table:
    """The leaderboard of one sample (1-based) with its own dates."""
    first = board.samples[sample - 1]
    title = f"{board.label()}: {first.window()}" + (
        f" (sample {sample} of {len(board.samples)})" if len(board.samples) > 1 else ""
    )
    if not board.complete:
        title = f"[bold red]{title}[/]"
    table = Table(title=title, header_style="bold")
    columns = (
        "#", "competitor", "net %", "return %", "vs B&H", "Sharpe", "Sortino", "max DD %",
        "win %", "PF", "trades", "fees $", "tokens in/out", "cost $", "fail", "status",
    )  # fmt: skip
    for name in columns:
        table.add_column(
            name,
            justify="left" if name in ("competitor", "status") else "right",
            overflow="fold" if name == "competitor" else "ellipsis",
        )
    for rank, s in enumerate(first.scores, start=1):
        table.add_row(
            str(rank), s.name, _pct(s.net_return_pct), _pct(s.return_pct), _pct(s.excess_pct),
            _num(s.sharpe), _num(s.sortino), _num(s.max_drawdown_pct),
            _num(s.win_rate_pct, "{:.0f}"), _num(s.profit_factor), str(s.trades),
            _num(s.fees, "{:,.2f}"),
            f"{s.tokens_in:,}/{s.tokens_out:,}", _num(s.cost_usd, "{:.4f}"), str(s.failures),
            s.status if s.status == "ok" else f"[red]{s.status}[/]",
        )  # fmt: skip
    b = first.benchmark
    table.add_row(
        "-", f"[dim]{b.name}[/]", _pct(b.return_pct), _pct(b.return_pct), "", _num(b.sharpe),
        _num(b.sortino), _num(b.max_drawdown_pct), *([""] * 8),
    )  # fmt: skip
    return table


def aggregate_table(board: Leaderboard) -> Table:
    table = Table(title="Over all samples: mean [95% bootstrap interval]", header_style="bold")
    for name in ("competitor", "samples", "net return %", "vs B&H %", "Sharpe", "vs buy & hold"):
        table.add_column(name, justify="left" if name == "competitor" else "right")
    for a in board.aggregates:
        cells = []
        for metric in ("net_return_pct", "excess_pct", "sharpe"):
            e = a.estimates[metric]
            interval = "" if e.low is None else f" [{e.low:+.2f}, {e.high:+.2f}]"
            cells.append("-" if e.mean is None else f"{e.mean:+.2f}{interval}")
        table.add_row(a.name, str(a.samples), *cells, a.versus_benchmark)
    return table


def ablation_table(report: AblationReport) -> Table:
    """One model's arms per unit (without | with | difference) and the mean differences
    with their 95% bootstrap intervals (* = the interval excludes 0)."""
    from tradepit.memory.ablation import METRICS

    table = Table(title=f"Memory ablation, {report.model}: without | with memory | difference",
                  header_style="bold")  # fmt: skip
    table.add_column("unit")
    for name in ("return %", "Sharpe", "max DD %"):
        table.add_column(name, justify="right")
    table.add_column("trades", justify="right")
    for off, on in report.pairs:
        cells = []
        for m in METRICS:
            without, with_ = getattr(off, m), getattr(on, m)
            cells.append(f"{without:+.2f} | {with_:+.2f} | {with_ - without:+.2f}")
        table.add_row(off.unit, *cells, f"{off.trades} | {on.trades}")
    means = []
    for m in METRICS:
        d = report.differences[m]
        interval = "" if d.low is None else f" [{d.low:+.2f}, {d.high:+.2f}]"
        means.append(f"{d.mean:+.2f}{interval}{' *' if d.significant else ''}")
    table.add_row(f"mean difference (n={report.differences['return_pct'].n})", *means, "")
    return table


def print_ablation(reports: Sequence[AblationReport]) -> None:
    for report in reports:
        out.print(ablation_table(report))
    if reports:
        out.print(
            "[dim]difference = with memory - without, same windows; \\[low, high] = 95% "
            "bootstrap interval over windows; * = it excludes 0 (none with one window)[/]"
        )


def _print_board(board: Leaderboard, sample: int = 1) -> None:
    out.print(leaderboard_table(board, sample))
    if board.aggregates:
        out.print(aggregate_table(board))
    print_ablation(board.ablation)


@contextmanager
def _live(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.live import Live

    with Live(console=err, refresh_per_second=4, transient=True) as live:
        last = [0.0]

        def update(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or p.tick + 1 == p.ticks:
                live.update(live_table(p))
                last[0] = now

        yield update


def _report_path(settings: Settings, run_id: str, report: Path | None) -> Path:
    return report or settings.home / "reports" / f"{run_id}.html"


def _emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


@contextmanager
def _stoppable(run_id: str | None = None) -> Iterator[Any]:
    """Yields the battle's stop event, set by SIGINT or SIGTERM (`battle.stop.StopSignals`:
    the battle stops after the current tick; a second signal interrupts it at once). A
    stopped or interrupted battle is one line on stderr and exit code 128 + the signal
    (130 for Ctrl-C, 143 for SIGTERM)."""
    from tradepit.battle.stop import BattleInterrupted, StopSignals

    with StopSignals() as signals:
        try:
            yield signals.event
        except BattleInterrupted as e:
            _stopped(str(e), run_id)
            raise typer.Exit(signals.exit_code) from None
        except KeyboardInterrupt as e:
            notes = getattr(e, "__notes__", None)  # the runner's: how far the battle got
            _stopped(notes[-1] if notes else "interrupted", run_id if notes else None)
            raise typer.Exit(signals.exit_code) from None


def _stopped(message: str, run_id: str | None) -> None:
    hint = f"; see it with: tradepit battle show {run_id}" if run_id else ""
    err.print(f"[bold yellow]stopped:[/] {escape(message + hint)}", highlight=False, soft_wrap=True)


def _run(
    store: Store,
    settings: Settings,
    config: Any,
    run_id: str | None,
    live: bool,
    real_time: bool = False,
    alpaca_accounts: bool = False,
) -> Any:
    from tradepit.battle import new_run_id, run_battle

    rid = run_id or new_run_id(store)
    with _stoppable(rid) as stop, _live(live) as update:
        if not real_time:
            return run_battle(
                config, store, run_id=rid, settings=settings, on_tick=update, stop=stop
            )
        return _run_live_battle(store, settings, config, rid, update, alpaca_accounts, stop)


def _run_live_battle(
    store: Store,
    settings: Settings,
    config: Any,
    rid: str,
    update: Any,
    alpaca_accounts: bool,
    stop: Any,
) -> Any:
    """A battle on today's market: Alpaca's live data, the real clock, and simulated paper
    accounts or (`alpaca_accounts`) one Alpaca paper account per competitor."""
    from tradepit.battle import build_leaderboard
    from tradepit.battle.live import live_runner
    from tradepit.bootstrap_live import open_market
    from tradepit.clock import SystemClock

    clock = SystemClock()
    live_runner(
        config, store, rid, market_data=open_market(clock), clock=clock, stop=stop,
        settings=settings, on_tick=update, alpaca_accounts=alpaca_accounts,
    ).run()  # fmt: skip
    return build_leaderboard(store, rid)


def _live_window(settings: Settings, start: str | None, end: str | None) -> tuple[Any, Any]:
    from tradepit.clock import SystemClock

    if settings.data_source() != "alpaca":
        raise ValueError("--live needs live data: set TRADEPIT_DATA=alpaca and ALPACA_* keys")
    if start is not None or end is None:
        raise ValueError("--live starts now and needs --end (YYYY-MM-DD)")
    return SystemClock().now(), _day(end, "end", end=True)


def _announce(settings: Settings, board: Any) -> None:
    """`BattleFinished` to the configured notification targets (none: nothing)."""
    from tradepit.clock import SystemClock
    from tradepit.integrations.events import BattleFinished, LeaderboardRow
    from tradepit.integrations.targets import build_hub

    hub = build_hub(settings)
    if not hub.routes:
        return
    scores = board.samples[-1].scores
    rows = tuple(
        LeaderboardRow(
            rank=i,
            competitor=s.name,
            equity=Decimal(repr(s.end_equity)),
            return_pct=Decimal(repr(s.net_return_pct / 100)),
            trades=s.trades,
            inference_cost=Decimal(repr(s.cost_usd)),
        )
        for i, s in enumerate(scores, start=1)
    )
    hub.publish(BattleFinished(at=SystemClock().now(), battle_id=board.run_id, rows=rows))
    hub.close()


# -- commands -----------------------------------------------------------------------------


@battle_app.callback()
def battle(
    ctx: typer.Context,
    models: Annotated[str | None, typer.Option(help="Comma-separated model specs.")] = None,
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = "SPX,IXIC,MSFT",
    start: Annotated[str | None, typer.Option(help="First date (default: end - 1y).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date (default: end of the data).")] = None,
    cadence: Annotated[str, typer.Option(help="Tick interval: 1d, 1h, 15m.")] = "1d",
    capital: Annotated[float, typer.Option(help="Starting cash per competitor.")] = 100_000.0,
    repeats: Annotated[int, typer.Option(help="Samples of the same window.")] = 1,
    windows: Annotated[int, typer.Option(help="Samples over consecutive sub-windows.")] = 1,
    blind: Annotated[bool, typer.Option(help="Neutral tickers, rebased prices and dates.")] = False,
    budget_usd: Annotated[float | None, typer.Option(help="$ per competitor, sample.")] = None,
    budget_tokens: Annotated[
        int | None, typer.Option(help="Tokens per competitor, sample.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed (blind names, bootstrap).")] = 0,
    data: Annotated[list[str] | None, typer.Option(help="SYMBOL=file.csv (repeat).")] = None,
    commission_bps: Annotated[
        float | None, typer.Option(help="Commission, bps of notional (default: settings).")
    ] = None,
    slippage_bps: Annotated[
        float | None, typer.Option(help="Slippage, bps (default: settings).")
    ] = None,
    rpm: Annotated[float, typer.Option(help="Requests per minute per provider (LLMs).")] = 60.0,
    concurrency: Annotated[str, typer.Option(help="auto|processes|threads|sequential")] = "auto",
    memory_ablation: Annotated[
        bool, typer.Option(help="Run every model without and with memory (X, X+memory).")
    ] = False,
    shared_memory: Annotated[
        bool, typer.Option(help="The +memory competitors share one memory.")
    ] = False,
    fresh_memory: Annotated[
        bool, typer.Option(help="Empty memory at each window (default: carried over).")
    ] = False,
    run_id: Annotated[str | None, typer.Option(help="Battle id (default: battle-<time>).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the leaderboard as JSON.")] = False,
    live_mode: Annotated[
        bool,
        typer.Option("--live", help="Trade today's market on the real clock until --end."),
    ] = False,
    alpaca_accounts: Annotated[
        bool,
        typer.Option(
            "--alpaca-accounts",
            help="With --live: competitor N trades its own Alpaca paper account (keys in "
            "TRADEPIT_BATTLE_ALPACA_<N>_API_KEY / _SECRET_KEY, N from 1 in --models order).",
        ),
    ] = False,
) -> None:
    """Run a battle: every model trades the same market from the same snapshots, each with its
    own paper account; live leaderboard, final ranking, HTML report with --report. A model
    spec ending in +memory has a memory of its own (rules:<s>+memory runs the memory-aware
    rules:<s>+recall); --memory-ablation runs each model without and with memory and reports
    the paired differences of return, Sharpe and drawdown (use --windows K for intervals)."""
    if ctx.invoked_subcommand is not None:
        return
    from tradepit.battle import BattleConfig
    from tradepit.battle.ablation import ablation_models
    from tradepit.bootstrap import open_store

    with _errors():
        if not models:
            raise ValueError("give --models, e.g. --models rules:supertrend,rules:macd_rsi")
        specs = _split(models)
        if memory_ablation:
            specs = list(ablation_models(specs))
        names, files = _split(symbols), _data(data or [])
        settings = _settings()
        if alpaca_accounts and not live_mode:
            raise ValueError("--alpaca-accounts trades today's market: it needs --live")
        if live_mode:
            lo, hi = _live_window(settings, start, end)
        else:
            lo, hi = _window(names, files, _day(start, "start"), _day(end, "end", end=True))
        commission = settings.commission_pct if commission_bps is None else commission_bps / 1e4
        slippage = settings.slippage_bps if slippage_bps is None else slippage_bps
        config = BattleConfig(
            models=specs, symbols=names, start=lo, end=hi, cadence=cadence,
            capital=capital, repeats=repeats, windows=windows, blind=blind,
            budget_usd=budget_usd, budget_tokens=budget_tokens, seed=seed, data=files,
            commission_pct=commission, slippage_bps=slippage, rpm=rpm, concurrency=concurrency,
            shared_memory=shared_memory, fresh_memory=fresh_memory,
        )  # fmt: skip
        store = open_store(settings)
        try:
            board = _run(
                store, settings, config, run_id, live=not as_json, real_time=live_mode,
                alpaca_accounts=alpaca_accounts,
            )  # fmt: skip
            _announce(settings, board)
            path = None
            if report is not None:
                from tradepit.battle.report import battle_report

                path = battle_report(store, board, report)
        finally:
            store.close()
    if as_json:
        _emit({**board.to_dict(), "report": str(path) if path else None})
        return
    _print_board(board)
    if path:
        out.print(f"report: {path}", markup=False)
    out.print(
        f"[dim]browse: tradepit battle show {board.run_id}; "
        f"replay: tradepit battle replay {board.run_id}[/]"
    )


@battle_app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="Battle id.")],
    competitor: Annotated[str | None, typer.Option(help="Index, name or model spec.")] = None,
    sample: Annotated[int, typer.Option(help="Sample number.")] = 1,
    cycle: Annotated[int | None, typer.Option(help="One cycle only.")] = None,
    limit: Annotated[int, typer.Option(help="Cycles shown (latest).", min=1)] = 20,
    actions_only: Annotated[bool, typer.Option(help="Skip all-hold cycles.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The leaderboard of a recorded battle, or one competitor's decisions with their
    reasoning, tool calls and results, risk verdicts, orders and fills."""
    from tradepit.battle import build_leaderboard
    from tradepit.battle.records import competitor_ids, decision_log, load_battle
    from tradepit.bootstrap import open_store

    with _errors():
        store = open_store(_settings())
        try:
            if competitor is None:
                board = build_leaderboard(store, run)
                if not 1 <= sample <= len(board.samples):
                    raise ValueError(f"battle {run} has {len(board.samples)} sample(s)")
            else:
                record = load_battle(store, run)
                if not 1 <= sample <= len(record.samples):
                    raise ValueError(f"battle {run} has {len(record.samples)} sample(s)")
                c = record.competitor(competitor)
                run_id, _ = competitor_ids(record, sample, c)
                log = decision_log(store, run_id, cycle)
                if cycle is not None and not log:
                    raise ValueError(_no_cycle(store, run_id, cycle, f"{c.name} in battle {run}"))
        finally:
            store.close()
    if competitor is None:
        if as_json:
            _emit(board.to_dict())
        else:
            _print_board(board, sample)
        return
    if actions_only:
        log = [e for e in log if any(d["action"] != "hold" for d in e["decisions"])]
    total = len(log)
    log = log[-limit:] if cycle is None else log
    blinding = record.samples[sample - 1].blinding
    if as_json:
        _emit({"battle": run, "competitor": c.model_dump(), "sample": sample, "cycles": log,
               "blind_names": blinding.real if blinding else {}})  # fmt: skip
        return
    state = "" if record.run.status.value == "completed" else f", {record.run.status.value}"
    hidden = total - len(log)
    shown = f"the latest {len(log)} of {total} cycles shown; --limit N or --cycle C for others"
    out.print(
        f"[bold]{escape(c.name)}[/] in battle {escape(run)}{state}, sample {sample} "
        f"({shown if hidden else f'{len(log)} cycle(s) shown'})"
    )
    if blinding is not None:  # the models saw these names; they change from sample to sample
        out.print(f"blind names in sample {sample}: {blinding.names()}", markup=False)
    for entry in log:
        _print_cycle(entry)


def _no_cycle(store: Store, run_id: str, cycle: int, who: str) -> str:
    last = store.last_cycle(run_id)
    if last is None:
        return f"--cycle {cycle}: {who} has no recorded cycle"
    return f"--cycle {cycle}: {who} has cycles 0 to {last}"


def _price(value: Any) -> str:
    """A recorded price as people read it: to its tick (`risk.price_tick`: cents from 1 up,
    without trailing zeros below 1), not the fill's full precision."""
    from decimal import InvalidOperation

    from tradepit.tools._orders import tick_round

    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not price.is_finite() or price <= 0:
        return str(value)
    text = f"{tick_round(price):f}"
    return text if price >= 1 else text.rstrip("0").rstrip(".")


def _print_cycle(entry: dict[str, Any]) -> None:
    out.rule(f"cycle {entry['cycle']}  {entry['time']}")
    for d in entry["decisions"]:
        style = "red" if d["action"] == "abort" else "bold" if d["action"] != "hold" else ""
        what, why = escape(f"{d['symbol']} {d['action']}"), escape(str(d["rationale"]))
        out.print(f"[{style}]{what}[/] - {why}" if style else f"{what} - {why}", highlight=False)
    for step in entry["tool_calls"]:
        mark = "ok" if step.get("ok") else f"[red]{escape(str(step.get('error_type')))}[/]"
        result = json.dumps(step.get("result"), default=str)
        call = escape(f"{step.get('name')} {step.get('arguments')}")
        out.print(f"  [dim]tool[/] {call} {mark}", highlight=False)
        out.print(f"    -> {result[:300]}", highlight=False, markup=False)
    for v in entry["verdicts"]:
        reasons = "; ".join(r.get("code", "") for r in v.get("reasons") or ())
        verdict = "approved" if v.get("approved") else "denied"
        out.print(f"  verdict: {verdict} {reasons}", markup=False)
    for o in entry["orders"]:
        what = f"{o.get('side')} {o.get('qty')} {o.get('symbol')}"
        out.print(f"  order {o.get('id')}: {what} {o.get('status')}", markup=False)
    for f in entry["fills"]:
        what = f"{f.get('side')} {f.get('qty')} {f.get('symbol')}"
        out.print(f"  fill {what} @ {_price(f.get('price'))}", highlight=False, markup=False)
    for call in entry["model_calls"]:
        if call.get("error"):
            out.print(f"  [red]model call {call['seq']}: {escape(str(call['error']))}[/]")


@battle_app.command("replay")
def replay(
    run: Annotated[str, typer.Argument(help="Battle id.")],
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-run a recorded battle offline from its recorded model turns and check that the
    leaderboard is identical (exit 1 when it is not)."""
    from tradepit.battle import replay_battle
    from tradepit.bootstrap import open_store

    with _errors():
        settings = _settings()
        store = open_store(settings)
        try:
            with _stoppable() as stop, _live(not as_json) as update:
                result = replay_battle(store, run, settings=settings, on_tick=update, stop=stop)
            path = None
            if report is not None:
                from tradepit.battle.report import battle_report

                path = battle_report(store, result.replay, report)
        finally:
            store.close()
    if as_json:
        payload = {"identical": result.identical, "differences": list(result.differences)}
        _emit({**result.replay.to_dict(), **payload, "report": str(path) if path else None})
    else:
        _print_board(result.replay)
        verdict = "[green]identical[/]" if result.identical else "[red]DIFFERENT[/]"
        out.print(f"replay {result.replay.run_id} of {run}: leaderboard {verdict}")
        for line in result.differences[:20]:
            out.print(f"  {line}", markup=False)
        if path:
            out.print(f"report: {path}", markup=False)
    if not result.identical:
        raise typer.Exit(1)


@battle_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recorded battles, oldest first."""
    from tradepit.battle.records import list_battles
    from tradepit.bootstrap import open_store

    with _errors():
        store = open_store(_settings())
        try:
            runs = list_battles(store)
        finally:
            store.close()
    rows = [
        {"id": r.id, "status": r.status.value,
         "started": r.started_at.isoformat(timespec="seconds"),
         "models": r.config["config"]["models"], "symbols": r.config["config"]["symbols"],
         "replay_of": r.config.get("replay_of")}
        for r in runs
    ]  # fmt: skip
    if as_json:
        _emit(rows)
        return
    table = Table(title="Battles", header_style="bold")
    for name in ("id", "status", "started", "models", "symbols", "replay of"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["id"], r["status"], r["started"], ", ".join(r["models"]),
                      ", ".join(r["symbols"]), r["replay_of"] or "")  # fmt: skip
    out.print(table)


def run_demo(as_json: bool = False) -> None:
    """The offline demo: five built-in competitors on SPX, IXIC and MSFT over the last year of
    the bundled data, live leaderboard, final ranking and the HTML report."""
    from tradepit.battle import BattleConfig, new_run_id
    from tradepit.battle.report import battle_report
    from tradepit.bootstrap import open_store

    with _errors():
        started = time.perf_counter()
        settings = _settings()
        lo, hi = _window(list(DEMO_SYMBOLS), {}, None, None)
        config = BattleConfig(
            models=DEMO_MODELS, symbols=DEMO_SYMBOLS, start=lo, end=hi, capital=100_000.0,
            commission_pct=0.0005, slippage_bps=2.0,
        )  # fmt: skip
        store = open_store(settings)
        try:
            run_id = new_run_id(store, "demo")
            board = _run(store, settings, config, run_id, live=not as_json)
            _announce(settings, board)
            path = battle_report(store, board, _report_path(settings, run_id, None))
        finally:
            store.close()
        elapsed = time.perf_counter() - started
    if as_json:
        _emit({**board.to_dict(), "report": str(path), "seconds": round(elapsed, 2)})
        return
    _print_board(board)
    out.print(
        "[dim]Offline: five built-in strategies as models, trading through the same tools, risk "
        "gate and paper broker an LLM would use; 5 bps commission, 2 bps slippage; one frozen "
        "snapshot per day for all.[/]"
    )
    out.print(f"report: {path}", markup=False)
    out.print(
        f"[dim]{elapsed:.1f} s. Decisions: tradepit battle show {board.run_id} --competitor 0; "
        f"replay: tradepit battle replay {board.run_id}. With API keys set "
        "(TRADEPIT_ANTHROPIC_API_KEY, TRADEPIT_OPENAI_API_KEY, ...): tradepit battle --models "
        "rules:supertrend,anthropic/claude-sonnet-4-6,gpt-4o --budget-usd 2[/]"
    )


def register(app: typer.Typer) -> None:
    """Add the `battle` group (run, show, replay, list) to the main CLI."""
    app.add_typer(battle_app, name="battle")
