"""Fixtures for the tool tests (the harness itself is in `harness.py`)."""

from __future__ import annotations

import pytest
from tests.unit.tools.harness import Caller, Market, bundled_source, make_deps

from tradepit.agent.deps import AgentDeps
from tradepit.market.feed import HistoricalSource
from tradepit.tools.registry import default_tools, tools_by_name


@pytest.fixture(scope="session")
def source() -> HistoricalSource:
    return bundled_source()


@pytest.fixture
def market(source: HistoricalSource) -> Market:
    return Market(source)


@pytest.fixture
def deps(market: Market) -> AgentDeps:
    return make_deps(market)


@pytest.fixture(scope="session")
def registry() -> dict:
    return tools_by_name(default_tools())


@pytest.fixture
def call(deps: AgentDeps, registry: dict) -> Caller:
    return Caller(deps, registry)
