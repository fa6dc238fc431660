"""Optuna tuning of a strategy's parameters on one series, scored by the vector engine.

Each trial samples the strategy's typed parameter space (`strategies.param_space`: int
and float ranges; parameters given in `fixed` are held, and refused before any trial when
no trial could use them: `check_fixed`). A sample that the params model
rejects (e.g. ``fast >= slow``), or that an indicator refuses at compute time, is pruned
with ``user_attrs["pruned"] = "invalid_params"``; a backtest with fewer than ``min_trades``
round trips is pruned with ``"min_trades"``. Pruned trials are never the best. Sampler:
TPE, seeded, with the constant liar so that workers sharing a study do not all try the
same point.

Storage: in memory when `storage` is None; otherwise an Optuna RDB URL (or a storage
object). SQLite is the
default of the CLI (`default_storage_url`); with a PostgreSQL URL several processes or
machines run trials of one study at once (Optuna's distributed mode): each one calls
`optimize` with the same study name and storage and its own seed. Each trial records the
``host:pid`` that ran it (``user_attrs["worker"]``).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.objectives import ObjectiveSpec, metrics_summary
from tradepit.backtest.vector import run_vector
from tradepit.config import normalise_database_url
from tradepit.domain.errors import ConfigError, StrategyError
from tradepit.domain.models import Asset
from tradepit.indicators import IndicatorParamError
from tradepit.strategies import ParamRange, Strategy, build_params, param_space

__all__ = [
    "OptimizeResult",
    "TrialRecord",
    "check_fixed",
    "default_storage_url",
    "open_study",
    "optimize",
    "search_space",
    "settings_meta",
    "storage_for",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
PRUNED = "pruned"
"""The user attribute naming why a trial was pruned."""


def default_storage_url(home: Path) -> str:
    """``sqlite:///<home>/optuna.db`` (the directory is created)."""
    Path(home).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(home) / 'optuna.db'}"


StorageLike = str | optuna.storages.BaseStorage | None


def storage_for(url: StorageLike) -> optuna.storages.BaseStorage:
    """An Optuna storage: in memory for None, RDB for a URL (postgresql:// runs on
    psycopg 3); a storage object is used as it is."""
    if url is None:
        return optuna.storages.InMemoryStorage()
    if isinstance(url, optuna.storages.BaseStorage):
        return url
    url = normalise_database_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options = {"connect_args": {"timeout": 30}}
    last: Exception | None = None
    for attempt in range(_STORAGE_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=options)
        except IntegrityError as e:
            # Workers starting together race to create Optuna's tables; the loser retries.
            last = e
            time.sleep(0.2 * (attempt + 1))
        except (ImportError, ValueError, SQLAlchemyError) as e:
            raise ConfigError(f"cannot open the Optuna storage {redact(url)}: {e}") from e
    raise ConfigError(f"cannot open the Optuna storage {redact(url)}: {last}") from last


_STORAGE_ATTEMPTS = 5


def redact(url: StorageLike) -> str:
    """The URL without its password (for logs and output)."""
    if url is None or isinstance(url, optuna.storages.InMemoryStorage):
        return "memory"
    if isinstance(url, optuna.storages.BaseStorage):
        return type(url).__name__
    return make_url(url).render_as_string(hide_password=True)


def search_space(strategy: Strategy, fixed: Mapping[str, Any] | None = None) -> list[ParamRange]:
    """The tunable ranges of `strategy`, minus the parameters held fixed."""
    fixed = fixed or {}
    unknown = set(fixed) - set(strategy.Params.model_fields)
    if unknown:
        raise StrategyError(f"{strategy.name} has no parameter(s) {', '.join(sorted(unknown))}")
    return [r for r in param_space(strategy.Params) if r.name not in fixed]


def check_fixed(strategy: Strategy, fixed: Mapping[str, Any]) -> list[ParamRange]:
    """The ranges left to tune, after refusing fixed values no trial could use (StrategyError,
    before any trial runs): a value its field refuses (type, range), fixed values that no
    default or end of the free ranges completes into valid parameters (sma_cross fast=100
    slow=50), or nothing left to tune."""
    ranges = search_space(strategy, fixed)
    if not ranges:
        tunable = [r.name for r in param_space(strategy.Params)]
        if tunable:
            raise StrategyError(
                f"every tunable parameter of {strategy.name} is fixed "
                f"({', '.join(tunable)}): nothing to tune"
            )
        raise StrategyError(f"{strategy.name} has no tunable parameters")
    try:
        build_params(strategy, dict(fixed))
        return ranges
    except StrategyError as e:
        refused = e
    cause = refused.__cause__
    if isinstance(cause, ValidationError) and any(x["loc"] for x in cause.errors()):
        raise refused  # a field refuses its fixed value (the defaults are valid)
    names = [r.name for r in ranges]
    for values in product(*[(r.low, r.default, r.high) for r in ranges]):
        try:
            build_params(strategy, {**fixed, **dict(zip(names, values, strict=True))})
            return ranges
        except StrategyError:
            continue
    raise refused


def _suggest(trial: optuna.Trial, ranges: list[ParamRange]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for r in ranges:
        if r.kind is int:
            values[r.name] = trial.suggest_int(r.name, int(r.low), int(r.high))
        else:
            values[r.name] = trial.suggest_float(r.name, float(r.low), float(r.high))
    return values


def open_study(
    name: str,
    storage: StorageLike,
    *,
    seed: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> optuna.Study:
    """Create or join the study `name`. A study made for another strategy, symbol, data
    range, objective, fixed parameters, cash or costs (its `meta` differs) raises
    ConfigError instead of mixing trials."""
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    study = optuna.create_study(
        study_name=name,
        storage=storage_for(storage),
        sampler=sampler,
        direction="maximize",
        load_if_exists=True,
    )
    meta = dict(meta or {})
    existing = study.user_attrs
    clashes = {k: (existing[k], v) for k, v in meta.items() if k in existing and existing[k] != v}
    if clashes:
        detail = ", ".join(f"{k}: study has {a!r}, asked {b!r}" for k, (a, b) in clashes.items())
        raise ConfigError(
            f"study {name!r} was made for something else ({detail}); "
            "use another study name or the same settings"
        )
    for key, value in meta.items():
        if key not in existing:
            study.set_user_attr(key, value)
    return study


@dataclass(frozen=True)
class TrialRecord:
    """One trial as reported: its state, score, sampled params and backtest metrics."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    pruned: str | None = None
    worker: str | None = None
    """``host:pid`` of the process that ran the trial."""

    @classmethod
    def of(cls, trial: optuna.trial.FrozenTrial) -> TrialRecord:
        value = trial.value if trial.value is not None and math.isfinite(trial.value) else None
        return cls(
            trial.number,
            trial.state.name.lower(),
            value,
            dict(trial.params),
            dict(trial.user_attrs.get("metrics", {})),
            trial.user_attrs.get(PRUNED),
            trial.user_attrs.get("worker"),
        )


@dataclass
class OptimizeResult:
    """The outcome of a tuning run. `best_*` are None when no trial counted."""

    study_name: str
    storage: str
    strategy: str
    symbol: str
    objective: ObjectiveSpec
    best_params: dict[str, Any] | None
    best_value: float | None
    best_metrics: dict[str, Any]
    trials: list[TrialRecord]
    ran: int
    """Trials run by this call (the study may hold more, from other workers or runs)."""
    study: optuna.Study | None = field(default=None, repr=False)

    def counts(self) -> dict[str, int]:
        out = {"complete": 0, "pruned": 0, "fail": 0}
        for t in self.trials:
            out[t.state] = out.get(t.state, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study_name,
            "storage": self.storage,
            "strategy": self.strategy,
            "symbol": self.symbol,
            "objective": self.objective.name,
            "mdd_weight": self.objective.mdd_weight,
            "min_trades": self.objective.min_trades,
            "best_params": self.best_params,
            "best_value": self.best_value,
            "best_metrics": self.best_metrics,
            "trials_run": self.ran,
            "trials_in_study": len(self.trials),
            "trial_states": self.counts(),
        }


def make_objective(
    strategy: Strategy,
    bars: pd.DataFrame,
    symbol: str,
    spec: ObjectiveSpec,
    *,
    fixed: Mapping[str, Any] | None = None,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
) -> Callable[[optuna.Trial], float]:
    """The Optuna objective: sample, validate, backtest (vector engine), score."""
    fixed = dict(fixed or {})
    ranges = search_space(strategy, fixed)
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        sampled = _suggest(trial, ranges)
        try:
            params = build_params(strategy, {**fixed, **sampled})
        except StrategyError as e:
            trial.set_user_attr(PRUNED, "invalid_params")
            raise optuna.TrialPruned(str(e)) from None
        try:
            result = run_vector(strategy, bars, symbol, params, config, asset)
        except IndicatorParamError as e:  # a constraint the params model does not state
            trial.set_user_attr(PRUNED, "invalid_params")
            raise optuna.TrialPruned(str(e)) from None
        metrics = result.metrics
        trial.set_user_attr("metrics", metrics_summary(metrics))
        if metrics.trades < spec.min_trades:
            trial.set_user_attr(PRUNED, "min_trades")
            raise optuna.TrialPruned(f"{metrics.trades} trades < min_trades {spec.min_trades}")
        value = spec.score(metrics)
        if not math.isfinite(value):
            trial.set_user_attr(PRUNED, "non_finite")
            raise optuna.TrialPruned(f"objective is {value}")
        return value

    return objective


def optimize(
    strategy: Strategy,
    bars: pd.DataFrame,
    symbol: str,
    *,
    trials: int,
    spec: ObjectiveSpec | None = None,
    storage: StorageLike = None,
    study_name: str | None = None,
    seed: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
    progress: Progress | None = None,
) -> OptimizeResult:
    """Run `trials` trials of `strategy` on `bars` and report the study's best."""
    if trials < 1:
        raise ValueError("trials must be >= 1")
    spec = spec or ObjectiveSpec()
    config = config or BacktestConfig()
    asset = asset or Asset(symbol=symbol)
    fixed = dict(fixed or {})
    check_fixed(strategy, fixed)
    name = study_name or f"{strategy.name}-{symbol}-{spec.name}"
    meta = {
        "strategy": strategy.name,
        "symbol": symbol,
        "objective": spec.name,
        "mdd_weight": spec.mdd_weight,
        "min_trades": spec.min_trades,
        "fixed": {k: str(v) for k, v in sorted(fixed.items())},
        "data": f"{bars.index[0].isoformat()}..{bars.index[-1].isoformat()} ({len(bars)} bars)",
        **settings_meta(config, asset),
    }
    study = open_study(name, storage, seed=seed, meta=meta)
    objective = make_objective(
        strategy, bars, symbol, spec, fixed=fixed, config=config, asset=asset
    )
    done = 0

    def tick(_study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, trials)

    log.info("study %s on %s: %d trials", name, redact(storage), trials)
    study.optimize(objective, n_trials=trials, callbacks=[tick], catch=())
    return _result(study, name, storage, strategy, symbol, spec, fixed, done)


def settings_meta(config: BacktestConfig, asset: Asset) -> dict[str, Any]:
    """What a trial's score depends on besides its parameters and the data: cash, costs,
    sizing and the calendar its returns are annualised by (part of a study's identity)."""
    return {
        "cash": config.cash,
        "commission": config.commission_pct,
        "commission_per_share": config.commission_per_share,
        "slippage_bps": config.slippage_bps,
        "size": config.size,
        "fractional": config.fractional,
        "close_at_end": config.close_at_end,
        "calendar": asset.calendar,
    }


def _result(study, name, storage, strategy, symbol, spec, fixed, ran) -> OptimizeResult:
    records = [TrialRecord.of(t) for t in study.get_trials(deepcopy=False)]
    complete = [t for t in records if t.state == "complete" and t.value is not None]
    best = max(complete, key=lambda t: (t.value, -t.number), default=None)
    best_params = None
    if best is not None:
        best_params = build_params(strategy, {**fixed, **best.params}).model_dump()
    return OptimizeResult(
        study_name=name,
        storage=redact(storage),
        strategy=strategy.name,
        symbol=symbol,
        objective=spec,
        best_params=best_params,
        best_value=best.value if best else None,
        best_metrics=best.metrics if best else {},
        trials=records,
        ran=ran,
        study=study,
    )
