"""Process-wide, read-only configuration of the chat server (settings, auth mode, models).
Built once when Chainlit loads the app; holds nothing that changes per conversation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tradepit.bootstrap import configure_process
from tradepit.chat_ui.auth import AuthMode, auth_mode, auth_secret
from tradepit.chat_ui.models import ModelChoices, model_choices
from tradepit.chat_ui.workdir import chat_dir
from tradepit.config import Settings, export_to_library


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    host: str
    auth: AuthMode
    models: ModelChoices
    directory: Path


def load_runtime(host: str, settings: Settings | None = None) -> Runtime:
    """Settings from the environment; refuses (ConfigError) an unprotected non-loopback
    host; gives Chainlit its token-signing secret."""
    settings = settings or Settings()
    configure_process(settings)
    mode = auth_mode(settings, host)
    directory = chat_dir(settings)
    export_to_library("CHAINLIT_AUTH_SECRET", auth_secret(settings, directory))
    return Runtime(settings, host, mode, model_choices(settings), directory)
