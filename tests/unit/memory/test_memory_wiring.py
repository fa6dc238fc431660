"""The composition root gives every turn its memory: a chat session's user, a run's own; the
memory tools come with it and go without it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tradepit.bootstrap import memory_namespace, open_app
from tradepit.config import Settings


@dataclass
class Turn:
    mode: str
    run_id: str


@pytest.mark.parametrize(
    ("mode", "run_id", "namespace"),
    [
        ("chat", "chat-alice/research", "user:alice"),
        ("chat", "chat-alice/trading", "user:alice"),  # one user, two sessions: shared
        ("chat", "chat-bob", "user:bob"),  # a session without "/" is its own user
        ("cycle", "rules_supertrend-SPX-1Day-20180924", "agent:rules_supertrend-SPX-1Day-20180924"),
        ("battle", "b1.s1.c0", "agent:b1.s1.c0"),
    ],
)
def test_namespaces_of_turns(mode, run_id, namespace) -> None:
    assert memory_namespace(Turn(mode, run_id)) == namespace  # type: ignore[arg-type]


def test_odd_session_names_stay_apart() -> None:
    a = memory_namespace(Turn("chat", "chat-team one/x"))  # type: ignore[arg-type]
    b = memory_namespace(Turn("chat", "chat-team:one/x"))  # type: ignore[arg-type]
    assert a.startswith("user:team_one--") and b.startswith("user:team_one--") and a != b


def _settings(tmp_path: Path, backend: str) -> Settings:
    return Settings(home=tmp_path, memory_backend=backend, _env_file=None)


def test_a_chat_turn_reads_its_users_memory(tmp_path: Path) -> None:
    with open_app(_settings(tmp_path, "ephemeral")) as app:
        assert app.memory is not None and {"recall", "remember"} <= set(app.service.tools)
        at = app.clock.now() - timedelta(days=1)
        app.memory.remember("user:alice", "Never hold more than 3 tech stocks.", at)
        app.memory.remember("user:bob", "Bob likes tech stocks with momentum.", at)
        app.service.chat("alice/s1", "how many tech stocks may I hold?")
        (call,) = app.store.list_model_calls("chat-alice/s1")
        system = call.request["messages"][0]["content"]
        assert "Never hold more than 3 tech stocks." in system and "Bob" not in system


def test_memory_off(tmp_path: Path) -> None:
    with open_app(_settings(tmp_path, "off")) as app:
        assert app.memory is None and not {"recall", "remember"} & set(app.service.tools)
        reply = app.service.chat("alice", "price of MSFT")
        assert reply.status == "answered" and "MSFT is at" in reply.text
