"""The operations endpoint on loopback: /metrics (Prometheus text), /healthz (JSON, 503
when degraded), and the loop's observer that feeds them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from tests.unit.agent.fakes import World, make_world

from tradepit.agent.service import Reply
from tradepit.bootstrap import serve_ops
from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.errors import BrokerUnavailableError, ConfigError
from tradepit.domain.models import TradingState
from tradepit.ops.health import Health
from tradepit.ops.metrics import Metrics
from tradepit.ops.observer import LoopMetrics
from tradepit.ops.server import OpsServer
from tradepit.risk import RiskLimits

WALL = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
WHEN = pd.Timestamp("2018-06-01 20:00", tz="UTC")
SECRET = "xoxb-secret-0123456789"
OK = Reply(thread_id="t", cycle=0, status="answered", text="")


@pytest.fixture
def parts() -> Iterator[tuple[Metrics, Health, OpsServer]]:
    clock = ReplayClock(WALL)
    metrics = Metrics(clock)
    health = Health(clock, redact=lambda text: text.replace(SECRET, "[redacted]"))
    server = OpsServer(metrics, health, "127.0.0.1", 0)
    yield metrics, health, server
    server.close()


def test_metrics_and_health_over_http(parts):
    metrics, health, server = parts
    metrics.cycle("answered", 0.2)
    exposed = httpx.get(f"{server.url}/metrics")
    assert exposed.status_code == 200 and exposed.headers["content-type"].startswith("text/plain")
    assert 'tradepit_cycles_total{outcome="answered"} 1.0' in exposed.text
    assert "tradepit_cycle_duration_seconds_bucket" in exposed.text
    assert "process_cpu_seconds_total" in exposed.text
    starting = httpx.get(f"{server.url}/healthz")
    assert starting.status_code == 200 and starting.json()["status"] == "starting"
    health.cycle("r1", 4, "answered", WHEN.to_pydatetime())
    health.broker(True)
    health.update(trading_state="halted")
    report = httpx.get(f"{server.url}/healthz").json()
    assert report["status"] == "ok" and report["run"] == "r1" and report["last_cycle"] == 4
    assert report["last_cycle_at"] == "2026-03-02T14:30:00Z"
    assert report["market_time"] == "2018-06-01T20:00:00Z"
    assert report["trading_state"] == "halted" and report["broker_reachable"] is True
    assert httpx.get(f"{server.url}/other").status_code == 404


def test_an_unreachable_broker_is_degraded_and_its_error_masked(parts):
    _, health, server = parts
    health.cycle("r1", 0, "answered", WHEN.to_pydatetime())
    health.broker(False, f"401 for token {SECRET}")
    answer = httpx.get(f"{server.url}/healthz")
    assert answer.status_code == 503
    report = answer.json()
    assert report["status"] == "degraded" and report["broker_reachable"] is False
    assert report["broker_error"] == "401 for token [redacted]"


def test_a_busy_port_is_a_configuration_error(parts):
    _, _, server = parts
    clock = ReplayClock(WALL)
    with pytest.raises(ConfigError, match=f"cannot serve metrics on 127.0.0.1:{server.port}"):
        OpsServer(Metrics(clock), Health(clock), "127.0.0.1", server.port)


def test_serve_ops_is_off_unless_a_port_is_given(tmp_path: Path):
    settings = Settings(home=tmp_path, _env_file=None)
    with serve_ops(settings) as ops:
        assert ops is None
    with serve_ops(settings.model_copy(update={"metrics_port": 0})) as ops:
        assert ops is not None and ops.server.port > 0
        assert httpx.get(f"{ops.server.url}/healthz").json()["command"] == "run"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def test_the_observer_sets_the_gauges_and_health(world: World):
    clock = ReplayClock(WALL)
    metrics, health = Metrics(clock), Health(clock)
    halted = {"on": False}
    observer = LoopMetrics(
        metrics, health, run_id="r1", account_id="acct", broker=world.broker,
        limits=RiskLimits(), manual_state=lambda: TradingState.HALTED if halted["on"] else None,
    )  # fmt: skip
    observer.cycle_done(0, WHEN, OK, [])
    equity = metrics.registry.get_sample_value("tradepit_equity_usd", {"account": "acct"})
    assert equity == float(world.broker.get_account().equity) > 0
    assert health.report()["status"] == "ok"
    halted["on"] = True
    observer.cycle_skipped(1, WHEN, BrokerUnavailableError("fills not collected"))
    state = {"account": "acct", "state": "halted"}
    assert metrics.registry.get_sample_value("tradepit_trading_state", state) == 1
    skipped = metrics.registry.get_sample_value("tradepit_cycles_total", {"outcome": "skipped"})
    assert skipped == 1
    report = health.report()
    assert report["status"] == "degraded" and report["last_cycle_outcome"] == "skipped"
    assert report["trading_state"] == "halted"


def test_the_observer_reports_a_broker_that_does_not_answer(world: World):
    class Down:
        def get_account(self):
            raise BrokerUnavailableError("connection refused")

    clock = ReplayClock(WALL)
    metrics, health = Metrics(clock), Health(clock)
    observer = LoopMetrics(
        metrics, health, run_id="r1", account_id="acct", broker=Down(), limits=RiskLimits()
    )
    observer.cycle_done(0, WHEN, OK, [])
    report = health.report()
    assert report["status"] == "degraded" and report["broker_reachable"] is False
    assert "BrokerUnavailableError: connection refused" in report["broker_error"]
    assert metrics.registry.get_sample_value("tradepit_equity_usd", {"account": "acct"}) is None
