"""Memory fixtures: one embedding session per test session, a fresh memory per test.

`memory` is a Memory on a SQLite file and a persistent chromadb directory in tmp_path.
`open_memory(path)` opens another on the same files; `restart()` first drops chromadb's
in-process cache of clients, so the new client really reads the directory again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tradepit.config import Settings
from tradepit.memory.embeddings import LocalEmbeddingFunction
from tradepit.memory.service import Memory
from tradepit.memory.situation import Situation
from tradepit.memory.vector import VectorIndex
from tradepit.storage import Store

T0 = datetime(2015, 3, 2, 14, 30, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def situation(symbol: str = "MSFT", at: datetime = T0, **values: float) -> Situation:
    base = {"price": 100.0, "rsi14": 50.0, "macd_hist": 0.1, "supertrend_dir": 1}
    return Situation(symbol=symbol, at=at, **{**base, **values})


def restart() -> None:
    """Forget chromadb's per-process client cache (what a process restart does)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


@pytest.fixture(scope="session")
def embedding() -> LocalEmbeddingFunction:
    return LocalEmbeddingFunction()


def make_memory(
    path: Path, embedding: LocalEmbeddingFunction, *, ephemeral: bool = False, **options
) -> Memory:
    """A memory on SQLite under `path` and chromadb files under `path/memory` (or chromadb
    in process memory with `ephemeral`: no disk writes, for the many-example property test)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    store = Store.from_url(f"sqlite:///{path / 'tradepit.db'}")
    chroma = ChromaSettings(anonymized_telemetry=False)
    if ephemeral:
        client = chromadb.EphemeralClient(settings=chroma)
    else:
        client = chromadb.PersistentClient(path=str(path / "memory"), settings=chroma)
    memory = Memory(store, VectorIndex(client, embedding), **options)
    memory._owns_store = True
    return memory


@pytest.fixture
def open_memory(
    tmp_path: Path, embedding: LocalEmbeddingFunction
) -> Iterator[Callable[..., Memory]]:
    opened: list[Memory] = []

    def open_(path: Path = tmp_path, **options) -> Memory:
        memory = make_memory(path, embedding, **options)
        opened.append(memory)
        return memory

    yield open_
    for memory in opened:
        memory.close()


@pytest.fixture
def memory(open_memory: Callable[..., Memory]) -> Memory:
    return open_memory()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, _env_file=None)
