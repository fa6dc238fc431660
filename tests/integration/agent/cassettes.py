"""vcrpy set-up for the hand-written provider cassettes in tests/cassettes.

record_mode="none": an unmatched request raises instead of reaching the network. Requests
match on method, URL and `conversation`: the same sequence of roles and tool-call ids as
the recorded request, so a multi-turn trajectory only plays when the tool results were
sent back with the right ids. Auth headers are filtered (never written to a cassette).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vcr

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
AUTH_HEADERS = ("authorization", "x-api-key", "api-key", "openai-organization")


def _ids(message: dict[str, Any]) -> tuple[str, ...]:
    ids = [c["id"] for c in message.get("tool_calls") or ()]
    if message.get("tool_call_id"):
        ids.append(message["tool_call_id"])
    content = message.get("content")
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict):
            ids.extend(str(block[k]) for k in ("id", "tool_use_id") if k in block)
    return tuple(ids)


def shape(body: bytes | str | None) -> list[tuple[str, tuple[str, ...]]]:
    """(role, tool ids) of every non-system message of a chat request body."""
    data = json.loads(body or "{}")
    return [(m["role"], _ids(m)) for m in data.get("messages", []) if m.get("role") != "system"]


def conversation(sent: Any, recorded: Any) -> None:
    if shape(sent.body) != shape(recorded.body):
        raise AssertionError(f"{shape(sent.body)} != {shape(recorded.body)}")


def recorder() -> vcr.VCR:
    v = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        filter_headers=list(AUTH_HEADERS),
        match_on=["method", "scheme", "host", "port", "path", "conversation"],
        decode_compressed_response=True,
    )
    v.register_matcher("conversation", conversation)
    return v
