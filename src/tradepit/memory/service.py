"""`Memory`: the decision journal and vector memory behind one object.

Entries live in the SQL store (`journal.py`), their text chunks and situation vectors in
chromadb (`vector.py`). Every read takes the caller's `as_of` (the clock's now): entries
written later, and outcomes known later, are invisible. The memory never reads the clock.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from tradepit.domain.errors import TradepitError
from tradepit.domain.models import RiskVerdict
from tradepit.memory import hygiene, journal, namespaces, outcomes
from tradepit.memory.models import DEFAULT_IMPORTANCE, Entry, Kind, Recalled, Setup
from tradepit.memory.orm import ensure_schema
from tradepit.memory.recall import best_per_entry, rank
from tradepit.memory.reflections import LessonWriter, template_lesson
from tradepit.memory.situation import Situation

if TYPE_CHECKING:
    from tradepit.config import Settings
    from tradepit.memory.outcomes import PriceLookup
    from tradepit.memory.vector import VectorIndex
    from tradepit.storage import Store

log = logging.getLogger(__name__)

MAX_K = 50
OVERFETCH = 4
"""Chunks fetched per wanted entry before grouping and re-ranking (doubled while short)."""


def _aware(when: datetime, name: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
    return when.astimezone(UTC)


def risk_summary(verdict: RiskVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    resized = verdict.adjusted_request not in (None, verdict.request)
    return {"approved": verdict.approved, "codes": list(verdict.codes), "adjusted": resized}


def _risk_text(risk: dict[str, Any] | None) -> str:
    if risk is None:
        return "no order checked"
    codes = f" ({', '.join(risk['codes'])})" if risk.get("codes") else ""
    if not risk["approved"]:
        return f"denied{codes}"
    return f"approved{', resized' if risk.get('adjusted') else ''}{codes}"


class Memory:
    """Journal, recall, reflections and hygiene over a Store and a chromadb client."""

    def __init__(
        self,
        store: Store,
        index: VectorIndex | Callable[[], VectorIndex],
        *,
        max_entries: int = 5000,
        half_life_days: float = 90.0,
        horizon: timedelta = timedelta(days=7),
        lesson_writer: LessonWriter | None = None,
        cache_size: int = 4096,
    ) -> None:
        ensure_schema(store)
        self.store = store
        factory = callable(index)  # a VectorIndex is not callable; a factory is
        self._index: VectorIndex | None = None if factory else index  # type: ignore[assignment]
        self._index_factory = index if factory else None
        self._index_lock = threading.Lock()
        self.max_entries, self.half_life_days, self.horizon = max_entries, half_life_days, horizon
        self.lesson_writer = lesson_writer
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._owns_store = False

    @property
    def index(self) -> VectorIndex:
        """The vector index, opened on first use (chromadb and the embedding model take a
        second or two to load; SQL-only reads never need them)."""
        with self._index_lock:
            if self._index is None:
                assert self._index_factory is not None
                self._index = self._index_factory()
            return self._index

    @classmethod
    def open(cls, settings: Settings, store: Store | None = None, **options: Any) -> Memory:
        """The configured memory (`memory_*` settings). Without `store`, it opens (and on
        `close()` closes) the configured database. chromadb is opened on first use."""
        from tradepit.storage import Store

        def index() -> VectorIndex:
            from tradepit.memory.embeddings import embedding_function
            from tradepit.memory.vector import VectorIndex, open_client

            return VectorIndex(open_client(settings), embedding_function(settings))

        own = store is None
        db = store if store is not None else Store.from_settings(settings)
        memory = cls(
            db,
            index,
            max_entries=settings.memory_max_entries,
            half_life_days=settings.memory_half_life_days,
            horizon=timedelta(days=settings.memory_outcome_horizon_days),
            **options,
        )
        memory._owns_store = own
        return memory

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def scope(self, namespace: str) -> MemoryScope:
        return MemoryScope(self, namespaces.check(namespace))

    # -- writing ------------------------------------------------------------------------

    def record_decision(
        self,
        namespace: str,
        situation: Situation,
        action: str,
        at: datetime,
        *,
        rationale: str = "",
        risk: RiskVerdict | None = None,
        run_id: str | None = None,
        horizon: timedelta | None = None,
    ) -> Entry:
        """Journal a decision taken at `at`; its outcome is filled in by `resolve_outcomes`
        once the clock has passed `at + horizon`. Recording it again is a no-op."""
        namespaces.check(namespace)
        at = _aware(at, "at")
        risk_doc = risk_summary(risk)
        text = (
            f"{situation.symbol} {action.upper()} on {at:%Y-%m-%d %H:%M}. {situation.brief()}. "
            f"Risk: {_risk_text(risk_doc)}. Rationale: {rationale or 'none given'}"
        )
        entry = self._entry(
            namespace, Kind.DECISION, text, at, situation.symbol,
            run_id=run_id, action=action.lower(), rationale=rationale, risk=risk_doc,
            situation=situation.model_dump(mode="json"), horizon_at=at + (horizon or self.horizon),
        )  # fmt: skip
        return self._write(entry, situation.vector())

    def remember(
        self,
        namespace: str,
        text: str,
        at: datetime,
        *,
        kind: Kind = Kind.NOTE,
        symbol: str | None = None,
        importance: float | None = None,
        source_id: str | None = None,
    ) -> Entry:
        """Store a note, preference or lesson. A duplicate of an entry of the same kind
        written no later (see `hygiene`) is not stored again: that entry is returned."""
        if kind is Kind.DECISION:
            raise ValueError("decisions are recorded with record_decision")
        namespaces.check(namespace)
        at = _aware(at, "at")
        if not text.strip():
            raise ValueError("nothing to remember: empty text")
        symbol = symbol.strip().upper() if symbol else None
        existing = self._duplicate(namespace, kind, text, at)
        if existing is not None:
            log.debug("memory: duplicate of %s suppressed", existing.id)
            return existing
        entry = self._entry(
            namespace, kind, text, at, symbol, importance=importance, source_id=source_id
        )
        return self._write(entry)

    def _entry(
        self,
        namespace: str,
        kind: Kind,
        text: str,
        at: datetime,
        symbol: str | None,
        importance: float | None = None,
        **fields: Any,
    ) -> Entry:
        return Entry(
            id=journal.entry_id(namespaces.check(namespace), kind, symbol, at, text),
            namespace=namespace,
            kind=kind,
            symbol=symbol,
            created_at=at,
            text=text,
            importance=DEFAULT_IMPORTANCE[kind] if importance is None else importance,
            **fields,
        )

    def _duplicate(self, namespace: str, kind: Kind, text: str, at: datetime) -> Entry | None:
        with self.store.read() as session:
            same = journal.by_hash(session, namespace, kind, hygiene.content_hash(text), at)
        if same is not None or len(self.index.embedding.chunks(text)) > 1:
            return same
        hits = self.index.query_chunks(namespace, self._embed([text])[0], 3, at, kinds=[kind])
        close = {eid: sim for eid, sim, _ in hits if sim >= hygiene.NEAR_DUPLICATE}
        if not close:
            return None
        with self.store.read() as session:
            found = journal.get(session, close)
        for eid, sim in close.items():
            if eid in found and hygiene.is_near_duplicate(text, found[eid].text, sim):
                return found[eid]
        return None

    def _write(self, entry: Entry, setup: Sequence[float] | None = None) -> Entry:
        chunks = self.index.embedding.chunks(entry.text)
        entry = entry.model_copy(update={"chunks": len(chunks)})
        vectors = self._embed(chunks)
        with self.store.transaction() as session:
            existing = journal.get(session, [entry.id]).get(entry.id)
            if existing is not None:
                return existing
            journal.add(session, entry, hygiene.content_hash(entry.text))
            self.index.add_chunks(entry, chunks, vectors)  # a failure here rolls back the row
            if setup is not None:
                self.index.add_setup(entry, setup)
        self._enforce_bound(entry.namespace)
        return entry

    def _embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Embeddings through a small LRU cache (recall repeats its queries every tick)."""
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = dict(zip(missing, self.index.embedding(missing), strict=True)) if missing else {}
        with self._cache_lock:
            out = []
            for text in texts:
                vector = self._cache.pop(text, None)
                if vector is None:
                    vector = np.asarray(fresh[text], np.float32)
                self._cache[text] = vector  # most recently used last
                out.append(vector)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def _enforce_bound(self, namespace: str) -> None:
        """Past the bound, evict down to `hygiene.eviction_floor` (a tenth below it), so
        that a full namespace is not re-ranked and trimmed by one on every write."""
        with self.store.read() as session:
            count = journal.count(session, namespace)
            if count <= self.max_entries:
                return
            excess = count - hygiene.eviction_floor(self.max_entries)
            order = hygiene.eviction_order(journal.eviction_candidates(session, namespace))
        self.forget(namespace, order[:excess])
        log.info("memory %s: evicted %d entries (bound %d)", namespace, excess, self.max_entries)

    # -- outcomes and lessons -----------------------------------------------------------

    def resolve_outcomes(
        self, now: datetime, price_lookup: PriceLookup, namespace: str | None = None
    ) -> list[Entry]:
        """Score every decision whose horizon has passed by `now` (price at the horizon from
        `price_lookup`; decisions without a price yet stay pending) and store a lesson for
        each. Returns the resolved decisions, outcomes filled in."""
        now = _aware(now, "now")
        with self.store.read() as session:
            due = journal.pending(session, now, namespace)
        resolved = []
        for entry in due:
            assert entry.horizon_at is not None and entry.situation is not None and entry.symbol
            price = price_lookup(entry.symbol, entry.horizon_at)
            if price is None:
                continue
            outcome = outcomes.score(
                entry.action or "hold", int(entry.situation.get("position", 0)),
                float(entry.situation["price"]), float(price), entry.created_at, entry.horizon_at,
            )  # fmt: skip
            with self.store.transaction() as session:
                journal.set_outcome(session, entry.id, outcome)
                self.index.set_outcome(entry, outcome)
            done = entry.model_copy(update={"outcome": outcome})
            self.remember(
                entry.namespace, self._lesson(done), outcome.known_at,
                kind=Kind.LESSON, symbol=entry.symbol, source_id=entry.id,
            )  # fmt: skip
            resolved.append(done)
        return resolved

    def _lesson(self, entry: Entry) -> str:
        assert entry.outcome is not None
        if self.lesson_writer is not None:
            try:
                text = self.lesson_writer(entry, entry.outcome).strip()
                if text:
                    return text
                log.warning("lesson writer returned nothing for %s; using the template", entry.id)
            except TradepitError as e:
                log.warning("lesson writer failed for %s (%s); using the template", entry.id, e)
        return template_lesson(entry, entry.outcome)

    # -- reading ------------------------------------------------------------------------

    def recall(
        self,
        query: str,
        *,
        namespace: str,
        as_of: datetime,
        symbol: str | None = None,
        k: int = 5,
        kinds: Sequence[Kind] | None = None,
    ) -> list[Recalled]:
        """The `k` most relevant entries of `namespace` written by `as_of` (outcomes only
        if known by then). `symbol` keeps entries about it plus general ones (no symbol)."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}")
        as_of = _aware(as_of, "as_of")
        namespaces.check(namespace)
        symbol = symbol.strip().upper() if symbol else None
        kind_values = [Kind(k).value for k in kinds] if kinds else None
        vector = self._embed([query])[0]
        n, best = OVERFETCH * k, {}
        while True:
            hits = self.index.query_chunks(namespace, vector, n, as_of, symbol, kind_values)
            best = best_per_entry(hits)
            if len(best) >= k or len(hits) < n:
                break
            n *= 2
        with self.store.read() as session:
            entries = journal.get(session, best)
        return rank(best, entries, namespace, as_of, self.half_life_days, k)

    def similar_setups(
        self,
        vector: Sequence[float],
        *,
        namespace: str,
        as_of: datetime,
        k: int = 10,
        symbol: str | None = None,
    ) -> list[Setup]:
        """The `k` past setups nearest to `vector` whose outcome was known by `as_of`."""
        from tradepit.memory.vector import micros

        as_of = _aware(as_of, "as_of")
        hits = self.index.query_setups(namespaces.check(namespace), vector, k, as_of, symbol)
        limit = micros(as_of)
        return [
            Setup(
                entry_id=m["entry_id"],
                symbol=m["symbol"] or None,
                created_at=_from_micros(m["created_us"]),
                action=m["action"],
                distance=d,
                realised_return=m["realised_return"],
                excess_return=m["excess_return"],
            )
            for m, d in hits
            if m["created_us"] <= limit and m["outcome_us"] <= limit
        ]

    def entries(
        self,
        namespace: str,
        kinds: Sequence[Kind] | None = None,
        limit: int | None = 50,
        as_of: datetime | None = None,
    ) -> list[Entry]:
        """Entries newest first (as known at `as_of` when given)."""
        with self.store.read() as session:
            found = journal.listing(session, namespace, kinds, limit, as_of)
        return [e.as_of(as_of) for e in found] if as_of is not None else found

    def namespaces(self) -> list[tuple[str, int]]:
        with self.store.read() as session:
            return journal.namespaces(session)

    def forget(self, namespace: str, ids: Sequence[str] | None = None) -> int:
        """Delete entries (all of the namespace's when `ids` is None); returns how many."""
        with self.store.transaction() as session:
            if ids is None:
                victims = journal.listing(session, namespace, limit=None)
            else:
                found = journal.get(session, ids).values()
                victims = [e for e in found if e.namespace == namespace]
            journal.remove(session, namespace, [e.id for e in victims])
            self.index.delete(namespace, victims)
        return len(victims)


def _from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


@dataclass(frozen=True)
class MemoryScope:
    """A memory bound to one namespace (what a session, run or competitor gets)."""

    memory: Memory
    namespace: str

    def visible_at(self, as_of: datetime) -> datetime:
        """The time reads are made as of, for a read asked at `as_of` (the same here)."""
        return as_of

    def recall(
        self,
        query: str,
        as_of: datetime,
        symbol: str | None = None,
        k: int = 5,
        kinds: Sequence[Kind] | None = None,
    ) -> list[Recalled]:
        return self.memory.recall(
            query, namespace=self.namespace, as_of=self.visible_at(as_of), symbol=symbol, k=k,
            kinds=kinds,
        )  # fmt: skip

    def remember(
        self, text: str, at: datetime, *, kind: Kind = Kind.NOTE, symbol: str | None = None
    ) -> Entry:
        return self.memory.remember(self.namespace, text, at, kind=kind, symbol=symbol)

    def record_decision(
        self, situation: Situation, action: str, at: datetime, **options: Any
    ) -> Entry:
        return self.memory.record_decision(self.namespace, situation, action, at, **options)

    def similar_setups(
        self, vector: Sequence[float], as_of: datetime, k: int = 10, symbol: str | None = None
    ) -> list[Setup]:
        return self.memory.similar_setups(
            vector, namespace=self.namespace, as_of=self.visible_at(as_of), k=k, symbol=symbol
        )
