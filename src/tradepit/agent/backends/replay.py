"""replay backend: answers with the model turns recorded for an earlier run, offline.

Turns are matched by position, (cycle, seq): the model node calls ``at(cycle, seq)`` before
each call. Positions, not request hashes, because tool results carry run-specific ids
(client_order_id). A recorded failure is replayed as the same error; a position with no
recorded turn raises ModelOutputError (the replay diverged: never a made-up answer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tradepit.agent.backends.base import AssistantTurn
from tradepit.agent.errors import ModelError, ModelOutputError, ModelUnavailableError
from tradepit.domain.errors import ConfigError

if TYPE_CHECKING:
    from tradepit.storage import ModelCallRecord, Store

log = logging.getLogger(__name__)

_ERRORS: dict[str, type[ModelError]] = {
    "ModelUnavailableError": ModelUnavailableError,
    "ModelOutputError": ModelOutputError,
}


class ReplayBackend:
    """A `ModelBackend` over recorded model calls."""

    def __init__(self, run_id: str, calls: Sequence[ModelCallRecord]) -> None:
        self.run_id = run_id
        self.name = f"replay:{run_id}"
        self._calls: dict[tuple[int, int], ModelCallRecord] = {}
        for call in calls:
            self._calls.setdefault((call.cycle, call.seq), call)
        self._position: tuple[int, int] | None = None
        self._next = 0

    @classmethod
    def from_store(cls, store: Store, run_id: str) -> ReplayBackend:
        calls = store.list_model_calls(run_id)
        if not calls:
            raise ConfigError(f"nothing to replay: no model calls recorded for run {run_id!r}")
        return cls(run_id, calls)

    def at(self, cycle: int, seq: int) -> None:
        """Position the replay on call `seq` of `cycle` (called by the model node)."""
        self._position = (cycle, seq)

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        position = self._position or sorted(self._calls)[min(self._next, len(self._calls) - 1)]
        self._position = None
        self._next += 1
        record = self._calls.get(position)
        if record is None:
            raise ModelOutputError(
                f"{self.name}: no recorded model call at cycle {position[0]}, call {position[1]}"
            )
        _check_shape(record.request.get("messages") or [], messages, self.name, position)
        if record.error_type:
            raise _ERRORS.get(record.error_type, ModelError)(record.error or record.error_type)
        return AssistantTurn.model_validate(record.response)


def _check_shape(
    recorded: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    name: str,
    position: tuple[int, int],
) -> None:
    """Warn when the conversation differs in shape from the recorded one."""
    if [m.get("role") for m in recorded] != [m.get("role") for m in messages]:
        log.warning("%s: conversation differs from the recording at %s", name, position)
