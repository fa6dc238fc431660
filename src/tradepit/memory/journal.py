"""The decision journal and memory entries in SQL, as functions of one Session.

The SQL row is the record of an entry; chromadb holds its vectors (see `vector.py`). Entry
ids are derived from the content (`entry_id`), so writing the same entry twice is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tradepit.memory.models import Entry, Kind, Outcome
from tradepit.memory.orm import MemoryEntryRow


def entry_id(
    namespace: str, kind: Kind, symbol: str | None, created_at: datetime, text: str
) -> str:
    key = "\x1f".join((namespace, kind.value, symbol or "", created_at.isoformat(), text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def add(session: Session, entry: Entry, content_hash: str) -> None:
    session.add(_row(entry, content_hash))


def _row(entry: Entry, content_hash: str) -> MemoryEntryRow:
    outcome = entry.outcome
    return MemoryEntryRow(
        id=entry.id,
        namespace=entry.namespace,
        kind=entry.kind.value,
        symbol=entry.symbol,
        created_at=entry.created_at,
        text=entry.text,
        content_hash=content_hash,
        importance=entry.importance,
        chunks=entry.chunks,
        run_id=entry.run_id,
        action=entry.action,
        rationale=entry.rationale,
        risk=entry.risk,
        situation=entry.situation,
        horizon_at=entry.horizon_at,
        outcome_at=None if outcome is None else outcome.known_at,
        outcome=None if outcome is None else outcome.model_dump(mode="json"),
        source_id=entry.source_id,
    )


def to_entry(row: MemoryEntryRow) -> Entry:
    return Entry(
        id=row.id,
        namespace=row.namespace,
        kind=Kind(row.kind),
        symbol=row.symbol,
        created_at=row.created_at,
        text=row.text,
        importance=row.importance,
        chunks=row.chunks,
        run_id=row.run_id,
        action=row.action,
        rationale=row.rationale,
        risk=row.risk,
        situation=row.situation,
        horizon_at=row.horizon_at,
        outcome=None if row.outcome is None else Outcome.model_validate(row.outcome),
        source_id=row.source_id,
    )


def get(session: Session, ids: Iterable[str]) -> dict[str, Entry]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = session.scalars(select(MemoryEntryRow).where(MemoryEntryRow.id.in_(wanted)))
    return {row.id: to_entry(row) for row in rows}


def by_hash(
    session: Session, namespace: str, kind: Kind, content_hash: str, not_after: datetime
) -> Entry | None:
    """The earliest `kind` entry of `namespace` with this normalised text, written by
    `not_after`."""
    row = session.scalars(
        select(MemoryEntryRow)
        .where(
            MemoryEntryRow.namespace == namespace,
            MemoryEntryRow.kind == kind.value,
            MemoryEntryRow.content_hash == content_hash,
            MemoryEntryRow.created_at <= not_after,
        )
        .order_by(MemoryEntryRow.created_at)
        .limit(1)
    ).first()
    return None if row is None else to_entry(row)


def listing(
    session: Session,
    namespace: str,
    kinds: Sequence[Kind] | None = None,
    limit: int | None = None,
    as_of: datetime | None = None,
) -> list[Entry]:
    """Entries of a namespace, newest first (those written by `as_of`, when given)."""
    query = select(MemoryEntryRow).where(MemoryEntryRow.namespace == namespace)
    if kinds:
        query = query.where(MemoryEntryRow.kind.in_([k.value for k in kinds]))
    if as_of is not None:
        query = query.where(MemoryEntryRow.created_at <= as_of)
    query = query.order_by(MemoryEntryRow.created_at.desc(), MemoryEntryRow.id).limit(limit)
    return [to_entry(row) for row in session.scalars(query)]


def pending(session: Session, now: datetime, namespace: str | None = None) -> list[Entry]:
    """Decisions whose horizon has passed by `now` and whose outcome is not recorded yet."""
    query = select(MemoryEntryRow).where(
        MemoryEntryRow.kind == Kind.DECISION.value,
        MemoryEntryRow.outcome_at.is_(None),
        MemoryEntryRow.horizon_at.is_not(None),
        MemoryEntryRow.horizon_at <= now,
    )
    if namespace is not None:
        query = query.where(MemoryEntryRow.namespace == namespace)
    query = query.order_by(MemoryEntryRow.horizon_at, MemoryEntryRow.id)
    return [to_entry(row) for row in session.scalars(query)]


def set_outcome(session: Session, entry_id: str, outcome: Outcome) -> None:
    row = session.get(MemoryEntryRow, entry_id)
    if row is None:
        raise KeyError(entry_id)
    row.outcome_at = outcome.known_at
    row.outcome = outcome.model_dump(mode="json")


def namespaces(session: Session) -> list[tuple[str, int]]:
    """(namespace, entries) for every namespace, by name."""
    query = (
        select(MemoryEntryRow.namespace, func.count())
        .group_by(MemoryEntryRow.namespace)
        .order_by(MemoryEntryRow.namespace)
    )
    return [(ns, int(n)) for ns, n in session.execute(query)]


def count(session: Session, namespace: str) -> int:
    query = select(func.count()).where(MemoryEntryRow.namespace == namespace)
    return int(session.scalar(query) or 0)


def eviction_candidates(session: Session, namespace: str) -> list[tuple[str, float, datetime]]:
    query = select(MemoryEntryRow.id, MemoryEntryRow.importance, MemoryEntryRow.created_at).where(
        MemoryEntryRow.namespace == namespace
    )
    return [(i, imp, at) for i, imp, at in session.execute(query)]


def remove(session: Session, namespace: str, ids: Sequence[str] | None = None) -> list[str]:
    """Delete entries of `namespace` (all of them when `ids` is None); return the ids."""
    query = select(MemoryEntryRow.id).where(MemoryEntryRow.namespace == namespace)
    if ids is not None:
        query = query.where(MemoryEntryRow.id.in_(list(ids)))
    found = list(session.scalars(query))
    if found:
        session.execute(delete(MemoryEntryRow).where(MemoryEntryRow.id.in_(found)))
    return found
