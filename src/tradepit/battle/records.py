"""Reading a recorded battle back from the store: its plan, equity series, fills, model
usage, failures and decision log. The leaderboard, `battle show`, the report and the replay
are all computed from these records, never from in-memory state."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from tradepit.battle import config as ids
from tradepit.battle.blind import Blinding
from tradepit.battle.config import BattleConfig, Competitor
from tradepit.domain.errors import ConfigError
from tradepit.storage import RunKind, RunRecord, RunStatus, Store
from tradepit.storage.orm import DecisionRow, ModelCallRow


@dataclass(frozen=True)
class Sample:
    sample: int
    start: pd.Timestamp
    end: pd.Timestamp
    ticks: int
    seed: int
    blinding: Blinding | None


@dataclass(frozen=True)
class BattleRecord:
    run: RunRecord
    config: BattleConfig
    timeframe: str
    calendar: str
    limits: dict[str, Any]
    competitors: tuple[Competitor, ...]
    samples: tuple[Sample, ...]
    replay_of: str | None

    @property
    def id(self) -> str:
        return self.run.id

    def competitor(self, key: str) -> Competitor:
        """A competitor by index, name or model spec."""
        for c in self.competitors:
            if key in (str(c.index), c.name, c.model):
                return c
        names = ", ".join(f"{c.index}={c.name}" for c in self.competitors)
        raise ConfigError(f"no competitor {key!r} in battle {self.id} ({names})")


@dataclass(frozen=True)
class Usage:
    calls: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def list_battles(store: Store) -> list[RunRecord]:
    return [r for r in store.list_runs(RunKind.BATTLE) if r.config.get("type") == "battle"]


def load_battle(store: Store, run_id: str) -> BattleRecord:
    run = store.get_run(run_id)
    if run is None or run.config.get("type") != "battle":
        known = ", ".join(r.id for r in list_battles(store)[-10:]) or "none"
        raise ConfigError(f"no battle {run_id!r} (recent: {known})")
    data = run.config
    samples = tuple(
        Sample(
            s["sample"], pd.Timestamp(s["start"]), pd.Timestamp(s["end"]), s["ticks"], s["seed"],
            Blinding.from_json(s["blind"]) if s.get("blind") else None,
        )
        for s in data["samples"]
    )  # fmt: skip
    return BattleRecord(
        run=run,
        config=BattleConfig.model_validate(data["config"]),
        timeframe=data["timeframe"],
        calendar=data["calendar"],
        limits=dict(data["limits"]),
        competitors=tuple(Competitor.model_validate(c) for c in data["competitors"]),
        samples=samples,
        replay_of=data.get("replay_of"),
    )


def equity_series(store: Store, series: str, blinding: Blinding | None = None) -> pd.Series:
    """An equity curve as floats indexed by real time (blind times shifted back)."""
    points = store.equity_curve(series)
    index = pd.DatetimeIndex([pd.Timestamp(p.timestamp) for p in points])
    if blinding is not None and len(index):
        index = index - blinding.offset
    return pd.Series([float(p.equity) for p in points], index=index, dtype="float64")


BENCHMARK = "buy & hold"
"""The name of the buy-and-hold line next to the competitors' curves."""


def sample_curves(store: Store, record: BattleRecord, sample: Sample) -> dict[str, pd.Series]:
    """The equity curve of every competitor in `sample` by name, then buy and hold's
    (`BENCHMARK`): what the HTML report, the chat's battle view and Slack draw."""
    out = {}
    for c in record.competitors:
        _, account = competitor_ids(record, sample.sample, c)
        out[c.name] = equity_series(store, account, sample.blinding)
    bench = ids.benchmark_series(record.id, sample.sample)
    out[BENCHMARK] = equity_series(store, bench, sample.blinding)
    return out


@dataclass(frozen=True)
class Recorded:
    """How much of a sample the store holds: ticks (buy and hold's equity points, one per
    completed tick) and the real time of the last one (None: no tick)."""

    ticks: int
    last: pd.Timestamp | None

    @classmethod
    def of(cls, curve: pd.Series) -> Recorded:
        """From the sample's buy-and-hold equity curve."""
        return cls(len(curve), curve.index[-1] if len(curve) else None)


def recorded(store: Store, record: BattleRecord, sample: Sample) -> Recorded:
    curve = equity_series(store, ids.benchmark_series(record.id, sample.sample), sample.blinding)
    return Recorded.of(curve)


def complete(record: BattleRecord, done: Sequence[Recorded]) -> bool:
    """Completed, with every tick of every sample recorded (`done`: per sample)."""
    finished = record.run.status is RunStatus.COMPLETED
    return finished and all(d.ticks == s.ticks for s, d in zip(record.samples, done, strict=True))


def progress(store: Store, record: BattleRecord) -> str:
    """``completed``, or the status and how far the battle got: ``aborted, 1480 of 2266 ticks
    recorded (last 2013-11-12 21:00Z)`` (with the sample when there are several)."""
    done = [recorded(store, record, s) for s in record.samples]
    status = record.run.status.value
    if complete(record, done):
        return status
    k = max((i for i, d in enumerate(done) if d.ticks), default=0)
    sample, got = record.samples[k], done[k]
    where = f"sample {sample.sample} of {len(done)}: " if len(done) > 1 else ""
    last = f" (last {stamp(got.last)})" if got.last is not None else ""
    return f"{status}, {where}{got.ticks} of {sample.ticks} ticks recorded{last}"


def stamp(when: pd.Timestamp) -> str:
    """A tick's time: the date, with the time of day unless it is midnight."""
    return f"{when:%Y-%m-%d}" if when == when.normalize() else f"{when:%Y-%m-%d %H:%M}Z"


def usage(store: Store, run_id: str) -> Usage:
    """Model calls of a competitor run: count, failed calls, tokens and dollars."""
    with store.read() as session:
        row = session.execute(
            select(
                func.count(ModelCallRow.pk),
                func.count(ModelCallRow.error_type),
                func.coalesce(func.sum(ModelCallRow.input_tokens), 0),
                func.coalesce(func.sum(ModelCallRow.output_tokens), 0),
            ).where(ModelCallRow.run_id == run_id)
        ).one()
        costs = session.scalars(select(ModelCallRow.cost_usd).where(ModelCallRow.run_id == run_id))
        cost = sum(costs, Decimal(0))
    return Usage(int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(cost))


@dataclass(frozen=True)
class Outcomes:
    """Per competitor run: cycles decided, cycles aborted (and why), actions taken."""

    cycles: int
    failures: int
    errors: dict[str, int]
    last_error: str | None
    actions: dict[str, int]


def outcomes(store: Store, run_id: str) -> Outcomes:
    with store.read() as session:
        rows = session.execute(
            select(DecisionRow.cycle, DecisionRow.action, DecisionRow.payload)
            .where(DecisionRow.run_id == run_id)
            .order_by(DecisionRow.cycle, DecisionRow.pk)
        ).all()
    cycles, aborted, errors = set(), {}, Counter()
    actions: Counter[str] = Counter()
    for cycle, action, payload in rows:
        cycles.add(cycle)
        actions[action] += 1
        if action == "abort" and cycle not in aborted:
            outcome = (payload or {}).get("outcome") or {}
            aborted[cycle] = str(outcome.get("error_type") or "aborted")
            errors[aborted[cycle]] += 1
    last = aborted[max(aborted)] if aborted else None
    return Outcomes(len(cycles), len(aborted), dict(errors), last, dict(actions))


def status(o: Outcomes) -> str:
    return status_of(o.failures, o.cycles, o.last_error)


def status_of(failures: int, cycles: int, last_error: str | None) -> str:
    """ok; over budget (the last failure was the budget); failed (every cycle); failing."""
    if not failures:
        return "ok"
    if last_error == "BudgetExceededError":
        return "over budget"
    return "failed" if failures == cycles else "failing"


def decision_log(store: Store, run_id: str, cycle: int | None = None) -> list[dict[str, Any]]:
    """Per cycle: the decisions (action, rationale per symbol), the tool calls with their
    results (from the recorded model requests), verdicts, orders, fills, model turns."""
    decisions = store.list_decisions(run_id, cycle)
    calls = store.list_model_calls(run_id, cycle)
    by_cycle: dict[int, dict[str, Any]] = {}
    for record in decisions:
        d, payload = record.decision, record.payload
        entry = by_cycle.setdefault(d.cycle, _entry(d.cycle, d.timestamp, payload))
        entry["decisions"].append(
            {"symbol": d.symbol, "action": d.action, "rationale": d.rationale}
        )
    for call in calls:
        entry = by_cycle.setdefault(call.cycle, _entry(call.cycle, call.timestamp, {}))
        entry["model_calls"].append(_turn(call))
        for message in call.request.get("messages") or ():
            if message.get("role") == "tool":
                entry["results"][message.get("tool_call_id")] = _parse(message.get("content"))
    for entry in by_cycle.values():
        for step in entry["tool_calls"]:
            step["result"] = entry["results"].get(step.get("id")) or _own_result(step)
        del entry["results"]
    return [by_cycle[c] for c in sorted(by_cycle)]


def _own_result(step: dict[str, Any]) -> Any:
    """A call's result as its step recorded it: the last call of an aborted cycle reaches no
    later model request (it showed "null", not the error that aborted the cycle)."""
    if step.get("error_type"):
        return {"error": step["error_type"], "message": step.get("error")}
    return step.get("output")


def _entry(cycle: int, when: Any, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "time": pd.Timestamp(when).isoformat(),
        "outcome": payload.get("outcome"),
        "decisions": [],
        "tool_calls": [dict(c) for c in payload.get("tool_calls") or ()],
        "verdicts": payload.get("verdicts") or [],
        "orders": payload.get("orders") or [],
        "fills": payload.get("fills") or [],
        "model_calls": [],
        "results": {},
    }


def _turn(call: Any) -> dict[str, Any]:
    response = call.response or {}
    return {
        "seq": call.seq,
        "model": call.model,
        "text": response.get("text") or "",
        "tool_calls": [c.get("name") for c in response.get("tool_calls") or ()],
        "tokens_in": call.input_tokens,
        "tokens_out": call.output_tokens,
        "cost_usd": float(call.cost_usd),
        "latency_s": call.latency_s,
        "error": f"{call.error_type}: {call.error}" if call.error_type else None,
    }


def _parse(content: Any) -> Any:
    try:
        return json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return content


def competitor_ids(record: BattleRecord, sample: int, c: Competitor) -> tuple[str, str]:
    """(run id, account id) of competitor `c` in `sample`."""
    return ids.competitor_run(record.id, sample, c.index), ids.account_id(
        record.id, sample, c.index
    )
