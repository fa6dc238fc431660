"""Fixtures of the chat UI tests. Chainlit reads its directory when first imported: point
it at a temporary one so importing it here never writes into the repository."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="tradepit-chainlit-"))

from tradepit.chat_ui.session import ChatSession
from tradepit.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, home=tmp_path / "home", memory_backend="off")


@pytest.fixture
def open_session(settings: Settings) -> Iterator:
    """Factory of open chat sessions (closed at the end of the test)."""
    opened: list[ChatSession] = []

    def make(thread: str = "t1", model: str = "rules:supertrend", user: str = "alice"):
        session = ChatSession(settings, thread, model, user).open()
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()
