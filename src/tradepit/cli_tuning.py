"""CLI commands for tuning: `optimize` (Optuna) and `walkforward`.

`register(app)` adds both to the main Typer app; ``python -m tradepit.cli_tuning`` runs them
on their own (used by the distributed-study test to start worker processes).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tradepit.cli_common import (
    Calendar,
    Cash,
    Commission,
    CommissionPerShare,
    Fractional,
    SlippageBps,
    backtest_config,
)

if TYPE_CHECKING:
    from tradepit.backtest.optimize import OptimizeResult
    from tradepit.backtest.walkforward import WalkForwardResult, WindowResult

log = logging.getLogger(__name__)

Strategy = Annotated[str, typer.Option(help="Built-in strategy name.")]
Symbol = Annotated[str | None, typer.Option(help="Bundled symbol, e.g. SPX.")]
Data = Annotated[Path | None, typer.Option(help="Your OHLCV file (CSV or parquet).")]
Start = Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")]
End = Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD).")]
Objective = Annotated[
    str,
    typer.Option(
        help="sharpe | pnl (total return %) | composite = sharpe + return%/100 + win_rate "
        "- mdd_weight * |max drawdown %|/100."
    ),
]
MddWeight = Annotated[float, typer.Option(help="Drawdown penalty of the composite objective.")]
MinTrades = Annotated[int, typer.Option(help="Trials with fewer round trips do not count.")]
Fixed = Annotated[
    list[str] | None, typer.Option("--param", help="Hold a parameter fixed: name=value.")
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
STORAGE_HELP = (
    "Optuna storage URL; SQLite under the home directory when unset. "
    "With PostgreSQL several processes work on one study."
)
Report = Annotated[Path | None, typer.Option(help="Write a self-contained HTML report here.")]


def _spec(objective: str, mdd_weight: float, min_trades: int):
    from tradepit.backtest.objectives import ObjectiveSpec

    return ObjectiveSpec(objective, mdd_weight, min_trades)  # type: ignore[arg-type]


def optimize(
    strategy: Strategy,
    symbol: Symbol = None,
    data: Data = None,
    trials: Annotated[int, typer.Option(min=1, help="Trials run by this process.")] = 100,
    objective: Objective = "sharpe",
    mdd_weight: MddWeight = 0.5,
    min_trades: MinTrades = 5,
    storage: Annotated[str | None, typer.Option(help=STORAGE_HELP)] = None,
    study: Annotated[str | None, typer.Option(help="Study name (joined if it exists).")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampler seed (one per worker).")] = None,
    param: Fixed = None,
    start: Start = None,
    end: End = None,
    cash: Cash = 10_000.0,
    commission: Commission = 0.0,
    commission_per_share: CommissionPerShare = 0.0,
    slippage_bps: SlippageBps = 0.0,
    fractional: Fractional = None,
    calendar: Calendar = None,
    save: Annotated[
        bool, typer.Option(help="Write the best parameters to the strategy config file.")
    ] = True,
    as_json: Json = False,
    report: Report = None,
) -> None:
    """Tune a strategy's parameters with Optuna (TPE) on the vector engine."""
    import optuna

    from tradepit import cli as base
    from tradepit.backtest.optimize import default_storage_url
    from tradepit.backtest.optimize import optimize as run_optimize
    from tradepit.config import Settings
    from tradepit.strategies import get_strategy, parse_param_pairs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with base._errors():
        settings = Settings()
        strat = get_strategy(strategy)
        spec = _spec(objective, mdd_weight, min_trades)
        fixed = parse_param_pairs(param or [])
        bars, asset = base._load(symbol, data, start, end, calendar=calendar)
        if save:
            _save_target(settings.home, strat.name, asset.symbol)
        url = storage or default_storage_url(settings.home)
        config = backtest_config(
            bars, asset, cash=cash, commission=commission,
            commission_per_share=commission_per_share, slippage_bps=slippage_bps,
            fractional=fractional,
        )  # fmt: skip
        with base._progress(f"tuning {strat.name} on {asset.symbol}", True) as progress:
            result = run_optimize(
                strat, bars, asset.symbol, trials=trials, spec=spec, storage=url,
                study_name=study, seed=seed, fixed=fixed, config=config, asset=asset,
                progress=progress,
            )  # fmt: skip
        payload = result.to_dict()
        if result.best_params is None:
            base.err.print(
                f"[bold red]error:[/] no trial of study {result.study_name!r} reached "
                f"{min_trades} trades; lower --min-trades or use more data"
            )
            raise typer.Exit(1)
        if save:
            payload["config_path"] = str(_save(settings.home, result))
        if report is not None:
            payload["report"] = str(_optimize_report(result, strat, bars, config, asset, report))
    if as_json:
        base._emit_json(payload)
        return
    base.out.print(_optimize_table(result))
    for key in ("config_path", "report"):
        if key in payload:
            base.out.print(f"{key.replace('_', ' ')}: {payload[key]}")


def _save_target(home: Path, strategy: str, symbol: str) -> Path:
    """Where `--save` writes, checked before tuning so that a name that cannot be a file
    name loses no work (ConfigError)."""
    from tradepit.backtest.strategy_config import strategy_config_path
    from tradepit.domain.errors import ConfigError

    try:
        return strategy_config_path(home, strategy, symbol)
    except ConfigError as e:
        raise ConfigError(f"{e}: rename the data file or use --no-save") from None


def _save(home: Path, result: OptimizeResult) -> Path:
    from tradepit.backtest.strategy_config import StrategyConfig, write_strategy_config
    from tradepit.clock import SystemClock

    config = StrategyConfig(
        strategy=result.strategy,
        symbol=result.symbol,
        params=result.best_params or {},
        objective=result.objective.name,
        value=result.best_value,
        study=result.study_name,
        updated_at=SystemClock().now(),
        metrics=result.best_metrics,
    )
    return write_strategy_config(home, config)


def _optimize_report(result, strat, bars, config, asset, path: Path) -> Path:
    from tradepit.backtest.report import optimize_report
    from tradepit.backtest.vector import run_vector
    from tradepit.strategies import build_params

    params = build_params(strat, result.best_params)
    best = run_vector(strat, bars, asset.symbol, params, config, asset)
    return optimize_report(result, path, backtest=best, bars=bars)


def _optimize_table(result: OptimizeResult) -> Table:
    table = Table(
        title=f"{result.strategy} on {result.symbol}: best of study {result.study_name}",
        header_style="bold",
    )
    table.add_column("")
    table.add_column("value", justify="right")
    rows: dict[str, Any] = {
        f"objective ({result.objective.name})": result.best_value,
        **{f"param {k}": v for k, v in (result.best_params or {}).items()},
        **result.best_metrics,
        "trials run here": result.ran,
        "trials in study": len(result.trials),
        **{f"  {state}": n for state, n in result.counts().items()},
    }
    for name, value in rows.items():
        table.add_row(name, _text(value))
    return table


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.2f}"
    return "-" if value is None else str(value)


def walkforward(
    strategy: Strategy,
    symbol: Symbol = None,
    data: Data = None,
    train: Annotated[int, typer.Option(help="Bars per train window.", min=1)] = 756,
    test: Annotated[int, typer.Option(help="Bars per test window.", min=1)] = 252,
    step: Annotated[
        int | None, typer.Option(help="Bars between windows (default: test).", min=1)
    ] = None,
    anchored: Annotated[
        bool, typer.Option(help="Train windows all start at the first bar.")
    ] = False,
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials per train window.")] = 20,
    objective: Objective = "sharpe",
    mdd_weight: MddWeight = 0.5,
    min_trades: MinTrades = 5,
    overfit_ratio: Annotated[
        float, typer.Option(help="Flag when OOS Sharpe < this x IS Sharpe.")
    ] = 0.5,
    seed: int = 0,
    param: Fixed = None,
    start: Start = None,
    end: End = None,
    cash: Cash = 10_000.0,
    commission: Commission = 0.0,
    commission_per_share: CommissionPerShare = 0.0,
    slippage_bps: SlippageBps = 0.0,
    fractional: Fractional = None,
    calendar: Calendar = None,
    as_json: Json = False,
    report: Report = None,
) -> None:
    """Walk-forward: tune on each train window, score on the next test window."""
    import optuna

    from tradepit import cli as base
    from tradepit.backtest.walkforward import walk_forward
    from tradepit.strategies import get_strategy, parse_param_pairs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with base._errors():
        strat = get_strategy(strategy)
        spec = _spec(objective, mdd_weight, min_trades)
        bars, asset = base._load(symbol, data, start, end, calendar=calendar)
        config = backtest_config(
            bars, asset, cash=cash, commission=commission,
            commission_per_share=commission_per_share, slippage_bps=slippage_bps,
            fractional=fractional,
        )  # fmt: skip
        with base._progress(f"walk-forward {strat.name} on {asset.symbol}", True) as progress:
            result = walk_forward(
                strat, bars, asset.symbol, train=train, test=test, step=step,
                anchored=anchored, trials=trials, spec=spec, seed=seed,
                fixed=parse_param_pairs(param or []),
                config=config, asset=asset,
                overfit_ratio=overfit_ratio, progress=progress,
            )  # fmt: skip
        payload = result.to_dict()
        if report is not None:
            from tradepit.backtest.report import walkforward_report

            payload["report"] = str(walkforward_report(result, report))
    if as_json:
        base._emit_json(payload)
        return
    base.out.print(_walkforward_table(result))
    base.out.print(
        f"verdict: [bold]{result.verdict}[/] (efficiency {_text(result.efficiency)}, "
        f"mean IS Sharpe {result.mean_is_sharpe:.3f}, mean OOS Sharpe "
        f"{result.mean_oos_sharpe:.3f}, OOS return {_text(result.oos_metrics['return_pct'])}%)"
    )
    untuned = sum(not w.tuned for w in result.windows)
    if untuned:
        base.out.print(
            f"[yellow]{untuned} of {len(result.windows)} windows not tuned[/]: no trial reached "
            f"--min-trades {min_trades}; they ran with the default (or --param) values"
        )
    if "report" in payload:
        base.out.print(f"report: {payload['report']}")


def _walkforward_table(result: WalkForwardResult) -> Table:
    table = Table(title=f"walk-forward {result.strategy} on {result.symbol}", header_style="bold")
    for name in ("#", "test window", "params", "IS Sharpe", "OOS Sharpe", "OOS ret %", "flag"):
        table.add_column(name, justify="left" if name in ("test window", "params") else "right")
    for w in result.windows:
        table.add_row(
            str(w.window.number),
            f"{w.test[0].date()}..{w.test[1].date()}",
            ", ".join(f"{k}={_text(v)}" for k, v in w.params.items()),
            _text(w.is_metrics["sharpe"]),
            _text(w.oos_metrics["sharpe"]),
            _text(w.oos_metrics["return_pct"]),
            ", ".join(_window_flags(w)),
        )
    return table


def _window_flags(w: WindowResult) -> list[str]:
    flags = [] if w.tuned else ["[yellow]not tuned[/]"]
    return [*flags, "[red]overfit[/]"] if w.overfit else flags


def register(app: typer.Typer) -> None:
    """Add `optimize` and `walkforward` to `app`."""
    app.command("optimize")(optimize)
    app.command("walkforward")(walkforward)


def main() -> None:  # pragma: no cover - exercised through subprocesses
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    register(app)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
