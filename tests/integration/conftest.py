"""Fixtures of the integration tests: a migrated SQLite store (`battle.db`) in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tradepit.storage import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'battle.db'}")
    s.migrate()
    yield s
    s.close()
