"""Optuna's distributed mode on PostgreSQL: two worker processes run trials of one study.

Each worker is a separate `python -m tradepit.cli_tuning optimize` process with its own seed;
the study lives in a throwaway schema (unique name, dropped afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from tests.pg_schema import throwaway_schema

pytestmark = pytest.mark.postgres

TRIALS = (14, 9)


@pytest.fixture
def study_url() -> Iterator[str]:
    """A storage URL whose connections use a fresh schema (search_path in the URL)."""
    with throwaway_schema("tradepit_optuna") as url:
        yield url


def worker(url: str, study: str, trials: int, seed: int, home: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "tradepit.cli_tuning", "optimize", "--strategy", "sma_cross"]
    args += ["--symbol", "SPX", "--start", "2005-01-01", "--trials", str(trials)]
    args += ["--storage", url, "--study", study, "--seed", str(seed), "--min-trades", "2"]
    args += ["--no-save", "--json"]
    env = {**os.environ, "TRADEPIT_HOME": str(home)}
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )


def test_two_processes_share_one_study(study_url: str, tmp_path: Path):
    study = f"it-{uuid.uuid4().hex[:8]}"
    procs = [worker(study_url, study, n, seed, tmp_path) for seed, n in enumerate(TRIALS, 1)]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    payloads = [json.loads(out) for out, _ in outputs]
    assert [p["trials_run"] for p in payloads] == list(TRIALS)
    assert all(p["study"] == study for p in payloads)
    assert "***" not in study_url and payloads[0]["storage"].startswith("postgresql+psycopg://")

    loaded = optuna.load_study(study_name=study, storage=study_url)
    assert len(loaded.trials) == sum(TRIALS)
    assert len({t.number for t in loaded.trials}) == sum(TRIALS)  # no number handed out twice
    per_worker = Counter(t.user_attrs["worker"] for t in loaded.trials)
    assert sorted(per_worker.values()) == sorted(TRIALS)  # both processes contributed
    pids = {str(p.pid) for p in procs}
    assert {w.rsplit(":", 1)[1] for w in per_worker} == pids
    best = max((t for t in loaded.trials if t.value is not None), key=lambda t: t.value)
    assert max(p["best_value"] for p in payloads) <= best.value
    assert loaded.user_attrs["strategy"] == "sma_cross"
    optuna.delete_study(study_name=study, storage=study_url)
    assert study not in optuna.get_all_study_names(storage=study_url)
