"""Chainlit's working directory under `home/chat_ui` (never the user's cwd): its
`.chainlit/config.toml`, `chainlit.md` (the readme shown in the UI), uploaded `.files/`,
the conversation database and the login-token secret."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from tradepit.chat_ui.auth import is_loopback
from tradepit.config import Settings

README = """# tradepit chat

Chat with the trading agent about quotes, indicators, backtests and your paper portfolio.

- **Model**: open the settings (gear icon next to the input) to pick the model. The built-in
  offline models (`rules:<strategy>`) need no key; real models are listed when their API key
  is configured (e.g. `TRADEPIT_ANTHROPIC_API_KEY`).
- **Charts**: "show SPX with Supertrend for 2015", "plot MSFT with SMA 50 and RSI since
  2016"; a backtest ("backtest supertrend on SPX since 2010") comes with its equity curve;
  "show the last battle" draws the leaderboard and equity curves of the latest battle.
- **Orders**: "buy 100 MSFT with a 2% stop". Orders above the approval threshold wait for
  your Approve / Reject, with the risk gate's verdict shown; the answer is the broker's.
- **Portfolio**: the `/Portfolio` command (or the starter) shows account, positions with
  P&L and open orders.

Each conversation trades its own paper account and keeps its own history: reopen it from
the sidebar to carry on where you left off.
"""


def chat_dir(settings: Settings) -> Path:
    return settings.home / "chat_ui"


def origins(host: str, port: int) -> list[str]:
    """Origins allowed to connect: the local ones on a loopback host, any otherwise (the
    password login protects a shared host)."""
    if not is_loopback(host):
        return ["*"]
    return [f"http://{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")]


def config_toml(host: str, port: int) -> str:
    allowed = ", ".join(f'"{o}"' for o in origins(host, port))
    return f"""# Written by `tradepit chat` at every start; edits are overwritten.
[project]
user_env = []
session_timeout = 3600
user_session_timeout = 1296000
cache = false
persist_user_env = false
mask_user_env = false
allow_origins = [{allowed}]

[features]
unsafe_allow_html = false
latex = false
user_message_markdown = true
user_message_autoscroll = true
assistant_message_autoscroll = true
auto_tag_thread = true
edit_message = false
allow_thread_sharing = false
favorites = false

[features.spontaneous_file_upload]
enabled = false

[features.audio]
enabled = false

[features.mcp]
enabled = false

[UI]
name = "tradepit"
description = "Chat with an LLM trading agent (offline by default)."
cot = "full"
alert_style = "classic"
logo_file_url = ""
default_avatar_file_url = ""

[meta]
generated_by = "{version("chainlit")}"
"""


def prepare(settings: Settings, host: str, port: int) -> Path:
    """Create (or refresh) the working directory; returns it."""
    directory = chat_dir(settings)
    (directory / ".chainlit").mkdir(parents=True, exist_ok=True)
    (directory / ".chainlit" / "config.toml").write_text(config_toml(host, port), "utf-8")
    (directory / "chainlit.md").write_text(README, "utf-8")
    return directory
