"""chromadb side of the memory: one text collection and one setup collection per namespace.

A namespace's collections hold only its vectors, so a query can never reach another
namespace's memories. Every collection is opened with an explicit embedding function. Times
are stored as integer microseconds since the epoch (`created_us`, `outcome_us`; an unknown
outcome is `UNKNOWN_US`, far in the future), and every query filters on them with a `where`
clause, so nothing written (or learnt) after the query time is returned.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import numpy as np

from tradepit.domain.errors import ConfigError
from tradepit.memory.embeddings import PrecomputedOnly
from tradepit.memory.errors import MemoryUnavailableError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import EmbeddingFunction

    from tradepit.config import Settings
    from tradepit.memory.models import Entry, Outcome

log = logging.getLogger(__name__)

UNKNOWN_US = 253_402_300_799_000_000
"""9999-12-31T23:59:59Z in microseconds: the outcome time of an unresolved decision."""
SETUP_VERSION = "situation-v1"
"""Bump when `Situation.vector` changes: old setup vectors then live in other collections."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(when: datetime) -> int:
    """Microseconds since the epoch (exact integer arithmetic, no float rounding)."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def open_client(settings: Settings) -> ClientAPI:
    """The configured chromadb client: files under `home/memory`, a server by URL, or
    in-process memory (`ephemeral`)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.memory_backend == "persistent":
        path = settings.home / "memory"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    if settings.memory_backend == "server":
        if not settings.memory_server_url:
            raise ConfigError("memory_backend=server needs TRADEPIT_MEMORY_SERVER_URL")
        url = urlsplit(settings.memory_server_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"memory server URL must be http(s)://host[:port], got {url!r}")
        port = url.port or (443 if url.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port, ssl=url.scheme == "https", settings=chroma_settings
            )
        except ValueError as e:  # chromadb's "Could not connect to a Chroma server"
            raise MemoryUnavailableError(f"memory server {url.geturl()}: {e}") from e
    if settings.memory_backend == "ephemeral":
        return chromadb.EphemeralClient(settings=chroma_settings)
    raise ConfigError("the vector memory is switched off (memory_backend=off)")


def collection_name(kind: Literal["text", "setup"], namespace: str, model_id: str) -> str:
    """A valid chromadb name for a namespace's collection (namespaces may hold ':')."""
    digest = hashlib.sha256(f"{namespace}\x1f{model_id}".encode()).hexdigest()[:32]
    return f"tp-{kind}-{digest}"


class VectorIndex:
    """The chromadb collections of all namespaces, for one text embedding function."""

    def __init__(self, client: ClientAPI, embedding: EmbeddingFunction[Any]) -> None:
        self.client = client
        self.embedding = embedding
        self.model_id: str = getattr(embedding, "model_id", type(embedding).__name__)
        self._precomputed = PrecomputedOnly()
        self._open: dict[tuple[str, str], Collection] = {}
        self._lock = threading.Lock()

    def _collection(self, kind: Literal["text", "setup"], namespace: str) -> Collection:
        """The namespace's collection, opened once (always with its embedding function)."""
        key = (kind, namespace)
        with self._lock:
            if key not in self._open:
                text = kind == "text"
                self._open[key] = self.client.get_or_create_collection(
                    collection_name(kind, namespace, self.model_id if text else SETUP_VERSION),
                    embedding_function=self.embedding if text else self._precomputed,
                    configuration={"hnsw": {"space": "cosine" if text else "l2"}},
                    metadata={"namespace": namespace, "model": self.model_id, "kind": kind},
                )
            return self._open[key]

    # -- text chunks --------------------------------------------------------------------

    def add_chunks(
        self, entry: Entry, chunks: Sequence[str], vectors: np.ndarray | Sequence[Any]
    ) -> None:
        base = _metadata(entry)
        self._collection("text", entry.namespace).upsert(
            ids=[f"{entry.id}#{i}" for i in range(len(chunks))],
            documents=list(chunks),
            embeddings=[np.asarray(v, np.float32) for v in vectors],
            metadatas=[{**base, "chunk": i} for i in range(len(chunks))],
        )

    def query_chunks(
        self,
        namespace: str,
        vector: np.ndarray,
        n: int,
        as_of: datetime,
        symbol: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[tuple[str, float, str]]:
        """(entry id, cosine similarity, chunk text) of the `n` nearest chunks written by
        `as_of`, nearest first."""
        clauses: list[dict[str, Any]] = [
            {"namespace": namespace},
            {"created_us": {"$lte": micros(as_of)}},
        ]
        if symbol is not None:
            clauses.append({"symbol": {"$in": [symbol, ""]}})
        if kinds:
            clauses.append({"kind": {"$in": list(kinds)}})
        found = self._collection("text", namespace).query(
            query_embeddings=[np.asarray(vector, np.float32)],
            n_results=n,
            where={"$and": clauses},
            include=["metadatas", "distances", "documents"],
        )
        metas, dists, docs = found["metadatas"][0], found["distances"][0], found["documents"][0]
        return [
            (str(m["entry_id"]), 1.0 - float(d), str(doc))
            for m, d, doc in zip(metas, dists, docs, strict=True)
        ]

    # -- situation vectors --------------------------------------------------------------

    def add_setup(self, entry: Entry, vector: Sequence[float]) -> None:
        self._collection("setup", entry.namespace).upsert(
            ids=[entry.id],
            embeddings=[np.asarray(vector, np.float32)],
            metadatas=[{**_metadata(entry), "action": entry.action or ""}],
        )

    def set_outcome(self, entry: Entry, outcome: Outcome) -> None:
        """Record a decision's outcome on its setup vector and its text chunks."""
        known = {"outcome_us": micros(outcome.known_at)}
        setup = {
            **known,
            "realised_return": outcome.realised_return,
            "excess_return": outcome.excess_return,
        }
        self._collection("setup", entry.namespace).update(ids=[entry.id], metadatas=[setup])
        ids = [f"{entry.id}#{i}" for i in range(entry.chunks)]
        self._collection("text", entry.namespace).update(ids=ids, metadatas=[known] * len(ids))

    def query_setups(
        self,
        namespace: str,
        vector: Sequence[float],
        k: int,
        as_of: datetime,
        symbol: str | None = None,
    ) -> list[tuple[dict[str, Any], float]]:
        """(metadata, l2 distance) of the `k` nearest setups written *and resolved* by
        `as_of`, nearest first."""
        t = micros(as_of)
        clauses: list[dict[str, Any]] = [
            {"namespace": namespace},
            {"created_us": {"$lte": t}},
            {"outcome_us": {"$lte": t}},
        ]
        if symbol is not None:
            clauses.append({"symbol": symbol})
        found = self._collection("setup", namespace).query(
            query_embeddings=[np.asarray(vector, np.float32)],
            n_results=k,
            where={"$and": clauses},
            include=["metadatas", "distances"],
        )
        return [
            (dict(m), float(d))
            for m, d in zip(found["metadatas"][0], found["distances"][0], strict=True)
        ]

    # -- removal ------------------------------------------------------------------------

    def delete(self, namespace: str, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        chunk_ids = [f"{e.id}#{i}" for e in entries for i in range(e.chunks)]
        self._collection("text", namespace).delete(ids=chunk_ids)
        decisions = [e.id for e in entries if e.situation is not None]
        if decisions:
            self._collection("setup", namespace).delete(ids=decisions)


def _metadata(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "namespace": entry.namespace,
        "kind": entry.kind.value,
        "symbol": entry.symbol or "",
        "created_us": micros(entry.created_at),
        "outcome_us": UNKNOWN_US if entry.outcome is None else micros(entry.outcome.known_at),
    }
