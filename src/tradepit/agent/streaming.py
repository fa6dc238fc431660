"""Streaming a graph run: the same result as ``graph.invoke``, with each node's update
passed to a listener as soon as the node finishes (front ends show tool steps live).

A listener runs in the thread that runs the graph; it must be quick and must not raise
(an exception propagates and stops the turn like any node error).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.types import Durability

Listener = Callable[[str, dict[str, Any]], None]
"""Called with (node name, the node's state update)."""

INTERRUPT = "__interrupt__"


def stream_invoke(
    graph: Any,
    payload: Any,
    config: dict[str, Any],
    *,
    context: Any,
    durability: Durability,
    listener: Listener,
) -> dict[str, Any]:
    """Run `graph` like ``invoke`` (final values, ``__interrupt__`` when paused), calling
    `listener` for every node update on the way."""
    latest: dict[str, Any] = {}
    interrupts: list[Any] = []
    for mode, chunk in graph.stream(
        payload,
        config,
        context=context,
        durability=durability,
        stream_mode=["updates", "values"],
    ):
        if mode == "values":
            latest = chunk
            continue
        for node, update in (chunk or {}).items():
            if node == INTERRUPT:
                interrupts.extend(update)
            else:
                listener(node, dict(update or {}))
    return {**latest, INTERRUPT: interrupts} if interrupts else latest
