"""What a battle is: its competitors, market, window, money, samples and guards.

A `BattleConfig` is stored with the battle's run (JSON), so `battle replay` can rebuild the
same battle from the record alone. Competitors are model specs (``rules:supertrend``,
``anthropic/claude-sonnet-4-6``, ``openai/<model>@http://127.0.0.1:8000/v1``, ...); the
same spec twice gets ``#2`` in its display name.

A spec ending in ``+memory`` is that model with a memory of its own (see `battle.memory`):
``rules:<strategy>+memory`` runs the memory-aware ``rules:<strategy>+recall``, any other
model runs as itself with the recall tools and memories in its prompts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradepit.domain.models import UtcDatetime
from tradepit.market.timeframe import canonical_timeframe
from tradepit.memory import namespaces

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]{0,47}$")
"""Battle ids stay short: competitor runs append ``.s<n>.c<n>`` and client_order_ids
append cycle, symbol and leg to that (128 characters at most)."""

Concurrency = Literal["auto", "processes", "threads", "sequential"]
MEMORY = "+memory"
"""Model spec suffix: this competitor has a memory."""
RECALL = "+recall"
"""Suffix of the memory-aware rules model (`tradepit.agent.backends.rules_recall`)."""


def without_memory(spec: str) -> str:
    """The model spec without the ``+memory`` suffix."""
    return spec.strip().removesuffix(MEMORY)


def with_memory(spec: str) -> str:
    return without_memory(spec) + MEMORY


def backend_spec(spec: str) -> str:
    """The backend a competitor spec runs: ``rules:<s>+memory`` -> ``rules:<s>+recall``
    (the rules model that reads its memory), ``<model>+memory`` -> ``<model>``."""
    spec = spec.strip()
    if not spec.endswith(MEMORY):
        return spec
    base = without_memory(spec)
    if base.startswith("rules:") and not base.endswith(RECALL):
        return base + RECALL
    return base


class Competitor(BaseModel):
    """One competitor of a battle: its position, display name and model spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    name: str
    model: str

    @property
    def memory(self) -> bool:
        """Whether this competitor has a memory (its spec ends in ``+memory``)."""
        return self.model.endswith(MEMORY)

    @property
    def backend(self) -> str:
        """The model spec of its backend (`backend_spec`)."""
        return backend_spec(self.model)


class BattleConfig(BaseModel):
    """Everything that decides a battle's outcome (stored with the run)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: tuple[str, ...] = Field(min_length=1)
    symbols: tuple[str, ...] = Field(min_length=1)
    start: UtcDatetime
    end: UtcDatetime
    cadence: str = "1Day"
    """Tick interval: one decision cycle per competitor per tick."""
    capital: float = Field(100_000.0, gt=0)
    repeats: int = Field(1, ge=1, le=100)
    """Samples of the same window (models that are not deterministic)."""
    windows: int = Field(1, ge=1, le=100)
    """Samples over consecutive sub-windows of [start, end]."""
    blind: bool = False
    budget_usd: float | None = Field(None, ge=0)
    """Dollar budget per competitor and sample (fail-closed)."""
    budget_tokens: int | None = Field(None, ge=1)
    seed: int = 0
    commission_pct: float = Field(0.0, ge=0)
    """Fraction of each fill's notional (0.0005 = 5 bps)."""
    slippage_bps: float = Field(0.0, ge=0)
    data: dict[str, str] = Field(default_factory=dict)
    """User files by symbol (CSV or parquet); other symbols come from the bundled data."""
    shared_memory: bool = False
    """The ``+memory`` competitors share one memory (default: one each)."""
    fresh_memory: bool = False
    """Each sample starts with an empty memory. Otherwise consecutive windows (`windows`)
    carry it over, as a run without a break would; repeats and blind samples (each with its
    own names and shifted dates) always start empty."""
    rpm: float | None = Field(60.0, gt=0)
    """Model requests per minute per provider (litellm backends only); None = no limit."""
    concurrency: Concurrency = "auto"
    """auto: offline battles split over worker processes (one per core), battles with network
    models in one process (those in threads); processes: always split (rate limits then
    apply per process); threads: every competitor in a thread; sequential: one by one.
    The outcome is the same in every mode."""

    @field_validator("models", "symbols", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(v).strip() for v in value if str(v).strip())
        return value

    @field_validator("symbols")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        upper = tuple(s.upper() for s in value)
        if len(set(upper)) != len(upper):
            raise ValueError("symbols must be distinct")
        return upper

    @field_validator("cadence")
    @classmethod
    def _cadence(cls, value: str) -> str:
        return canonical_timeframe(value)

    @field_validator("data")
    @classmethod
    def _data(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.upper(): str(v) for k, v in value.items()}

    @model_validator(mode="after")
    def _check(self) -> BattleConfig:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        if self.repeats > 1 and self.windows > 1:
            raise ValueError("give --repeats or --windows, not both")
        unknown = set(self.data) - set(self.symbols)
        if unknown:
            raise ValueError(f"data given for symbols not in the battle: {sorted(unknown)}")
        if (self.shared_memory or self.fresh_memory) and not self.has_memory:
            raise ValueError(
                "shared or fresh memory needs a competitor with memory (<model>+memory)"
            )
        return self

    @property
    def has_memory(self) -> bool:
        return any(m.endswith(MEMORY) for m in self.models)

    @property
    def memory_per_sample(self) -> bool:
        """Whether each sample has a memory of its own (see `fresh_memory`)."""
        return self.samples > 1 and (self.fresh_memory or self.blind or self.repeats > 1)

    @property
    def samples(self) -> int:
        return max(self.repeats, self.windows)

    def competitors(self) -> list[Competitor]:
        """The competitors in the given order; repeated specs get ``#2``, ``#3``..."""
        seen: dict[str, int] = {}
        out = []
        for i, model in enumerate(self.models):
            seen[model] = seen.get(model, 0) + 1
            name = model if seen[model] == 1 else f"{model}#{seen[model]}"
            out.append(Competitor(index=i, name=name, model=model))
        return out


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise ValueError(
            f"battle id {run_id!r}: use 1-48 letters, digits, '_', '+' or '-' "
            "(starting with a letter or digit)"
        )
    return run_id


def sample_id(run_id: str, sample: int) -> str:
    return f"{run_id}.s{sample}"


def competitor_run(run_id: str, sample: int, index: int) -> str:
    """The run id of one competitor in one sample (its decisions and model calls)."""
    return f"{sample_id(run_id, sample)}.c{index}"


def account_id(run_id: str, sample: int, index: int) -> str:
    """The paper account of one competitor in one sample."""
    return f"paper-{competitor_run(run_id, sample, index)}"


def memory_namespace(run_id: str, sample: int, index: int, config: BattleConfig) -> str:
    """The memory namespace of competitor `index` in `sample`: ``battle:<run>:c<index>``
    (``battle:<run>:shared`` with `shared_memory`); ``<run>.s<n>`` instead of ``<run>`` when
    each sample has a memory of its own (`BattleConfig.memory_per_sample`)."""
    owner = sample_id(run_id, sample) if config.memory_per_sample else run_id
    return namespaces.competitor(owner, f"c{index}", shared=config.shared_memory)


def benchmark_series(run_id: str, sample: int) -> str:
    """The equity series of the buy-and-hold benchmark of one sample."""
    return f"{sample_id(run_id, sample)}.bench"


def as_utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
