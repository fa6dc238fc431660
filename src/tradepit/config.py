"""Settings: the only reader of the environment (and of a `.env` file)."""

from __future__ import annotations

import difflib
import functools
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from tradepit.domain.errors import InvalidSettingsError

log = logging.getLogger(__name__)

PREFIX = "TRADEPIT_"
OTHER_VARIABLES = frozenset({"TRADEPIT_TEST_DATABASE_URL", "TRADEPIT_UPDATE_PROMPT_SNAPSHOTS"})
"""TRADEPIT_ variables that are no setting: the test suite's (a PostgreSQL URL for its
tests, regenerating prompt snapshots)."""
VARIABLE_PATTERNS = (re.compile(r"TRADEPIT_BATTLE_ALPACA_[0-9]+_(API_KEY|SECRET_KEY)"),)
"""Variables with a number in their name: battle competitors' Alpaca paper keys
(`tradepit.battle.alpaca_accounts.key_names`)."""
_warned: set[str] = set()


def default_home() -> Path:
    return Path.home() / ".tradepit"


PROVIDER_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "anthropic": ("anthropic_api_key", ("ANTHROPIC_API_KEY",)),
    "openai": ("openai_api_key", ("OPENAI_API_KEY",)),
    "xai": ("xai_api_key", ("XAI_API_KEY",)),
    "deepseek": ("deepseek_api_key", ("DEEPSEEK_API_KEY",)),
    "gemini": ("gemini_api_key", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    "dashscope": ("dashscope_api_key", ("DASHSCOPE_API_KEY",)),
}
"""litellm provider -> (the Settings field of its key, the provider's own variables, which
litellm reads when it is given no key)."""


class EnvSettings(BaseSettings):
    """BaseSettings whose loading fails with InvalidSettingsError: one line naming the
    variable (and the `.env` file it came from), not pydantic's multi-line report."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise InvalidSettingsError(_invalid_values(type(self), e, values)) from None
        except UnicodeDecodeError:
            raise InvalidSettingsError(_undecodable(env_files(type(self), values))) from None
        except SettingsError as e:  # a value the settings source itself could not parse
            raise InvalidSettingsError(str(e).splitlines()[0]) from None


def env_files(cls: type[BaseSettings], values: Mapping[str, Any]) -> list[Path]:
    """The `.env` files `cls` reads when built with `values` (`_env_file` overrides)."""
    files = values["_env_file"] if "_env_file" in values else cls.model_config.get("env_file")
    if files is None:
        return []
    if isinstance(files, str | os.PathLike):
        return [Path(files)]
    return [Path(f) for f in files]


def _variable(cls: type[BaseSettings], key: str, values: Mapping[str, Any]) -> str:
    """Where the value at `key` (a field name or alias in an error) came from: its variable,
    with the `.env` file when it came from one; the field name when passed in code."""
    name, field = key, cls.model_fields.get(key)
    for other, info in cls.model_fields.items():
        if field is None and info.validation_alias == key:
            name, field = other, info
    if name in values or key in values:
        return name
    alias = field.validation_alias if field is not None else None
    prefix = values.get("_env_prefix", cls.model_config.get("env_prefix", ""))
    variable = alias if isinstance(alias, str) else f"{prefix}{name}".upper()
    if variable.upper() in {k.upper() for k in os.environ}:
        return variable
    for path in env_files(cls, values):
        if path.is_file() and variable.upper() in {k.upper() for k in _dotenv_keys(path)}:
            return f"{variable} (in {path.resolve()})"
    return variable


def _invalid_values(cls: type[BaseSettings], error: ValidationError, values: Mapping) -> str:
    """`error` as one line, ``VARIABLE: message; ...``, without the values (they may be
    secrets) or pydantic's links."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = _variable(cls, str(item["loc"][0]), values) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(dict.fromkeys(parts))


def _undecodable(files: list[Path]) -> str:
    for path in files:
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            line = e.object[: e.start].count(b"\n") + 1
            return (
                f"{path.resolve()} line {line} is not valid UTF-8 "
                f"(byte {e.object[e.start]:#04x}): save the file as UTF-8"
            )
        except OSError:
            continue
    return "a .env file is not valid UTF-8: save it as UTF-8"


def _dotenv_keys(path: Path) -> list[str]:
    try:
        return list(dotenv_values(path, encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def warn_unknown_variables(files: list[Path]) -> None:
    """Log one warning per `TRADEPIT_` variable (environment or `files`) that no setting
    reads, with the closest known name: a misspelt TRADEPIT_DATABASE_URL would otherwise
    run on the default SQLite store without a word. Once per name and process."""
    found = {k.upper(): "the environment" for k in os.environ if k.upper().startswith(PREFIX)}
    for path in files:
        if path.is_file():
            for key in _dotenv_keys(path):
                if key.upper().startswith(PREFIX):
                    found.setdefault(key.upper(), str(path.resolve()))
    known = known_variables()
    for name, where in found.items():
        if name in known or name in _warned or any(p.fullmatch(name) for p in VARIABLE_PATTERNS):
            continue
        _warned.add(name)
        suffixes = [k.removeprefix(PREFIX) for k in known]
        close = difflib.get_close_matches(name.removeprefix(PREFIX), suffixes, n=1, cutoff=0.7)
        hint = f"; did you mean {PREFIX}{close[0]}?" if close else ""
        log.warning("unknown setting %s in %s is ignored%s", name, where, hint)


@functools.cache
def known_variables() -> frozenset[str]:
    """Every fixed `TRADEPIT_` variable tradepit reads (see also VARIABLE_PATTERNS)."""
    names = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    for info in AlpacaSettings.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, str) and alias.upper().startswith(PREFIX):
            names.add(alias.upper())
    return frozenset(names | OTHER_VARIABLES)


class Settings(EnvSettings):
    """All configuration. Environment variables use the `TRADEPIT_` prefix; one that no
    setting reads is warned about (`warn_unknown_variables`)."""

    model_config = SettingsConfigDict(
        env_prefix="TRADEPIT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(default_factory=default_home)
    """Data directory: SQLite database, caches, reports."""
    database_url: str | None = None
    """SQLAlchemy URL; SQLite under `home` when unset. PostgreSQL: postgresql://..."""
    broker: str = "paper"
    """`paper` (simulated, default) or `alpaca` (the account of `ALPACA_*`; live data)."""
    data: Literal["bundled", "alpaca"] | None = None
    """Market data: the bundled real history on a replay clock (offline), or Alpaca's data
    API on the real clock (`alpaca`). Default: `alpaca` with the Alpaca broker, else
    `bundled`."""
    account_id: str = "paper-default"
    account_lock_timeout_s: float = Field(default=15.0, ge=0)
    """How long a process waits for a paper account another tradepit process has open (one
    writer per account) before it gives up with AccountInUseError; as long as a SQLite write
    waits for the database, so a few `tradepit ask` at once take turns."""
    starting_cash: float = Field(default=100_000.0, gt=0)
    commission_per_share: float = Field(default=0.0, ge=0)
    commission_pct: float = Field(default=0.0, ge=0)
    slippage_bps: float = Field(default=0.0, ge=0)
    max_volume_share: float = Field(default=0.1, gt=0)
    """Orders larger than this share of a bar's volume fill partially."""

    # --- agent -------------------------------------------------------------------------
    model: str = "rules:supertrend"
    """Model backend: `rules:<strategy>` (offline), `replay:<run>`, or a litellm model string
    (`anthropic/claude-sonnet-4-6`, `gpt-4o`, `xai/grok-4`, `deepseek/deepseek-chat`,
    `gemini/gemini-2.5-pro`, `dashscope/qwen-max`, `openai/<name>` with `llm_base_url`)."""
    llm_base_url: str | None = None
    """Base URL of an OpenAI-compatible server (local models), e.g. http://127.0.0.1:8000/v1."""
    llm_tool_mode: Literal["native", "json"] = "native"
    """`json` for servers without native tool calling: tools are described in the prompt and
    the model answers with a JSON object."""
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_attempts: int = Field(default=4, ge=1)
    """Attempts per model call on timeouts, 429 and 5xx (exponential backoff between)."""
    llm_temperature: float = 0.0
    litellm_local_cost_map: bool = True
    """Use litellm's bundled model cost map instead of fetching it from the internet."""
    anthropic_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    xai_api_key: SecretStr | None = None
    deepseek_api_key: SecretStr | None = None
    gemini_api_key: SecretStr | None = None
    dashscope_api_key: SecretStr | None = None
    llm_api_key: SecretStr | None = None
    """Key for the server at `llm_base_url` (local servers usually need none)."""

    def provider_key(self, provider: str) -> tuple[SecretStr | None, bool]:
        """(our key of the litellm `provider`, whether it has any key: ours or its own
        variable, which litellm reads). (None, True) for a provider without a key of ours."""
        if provider not in PROVIDER_KEYS:
            return None, True
        field, native = PROVIDER_KEYS[provider]
        key = getattr(self, field)
        return key, key is not None or any(os.environ.get(name) for name in native)

    checkpoint_url: str | None = None
    """LangGraph checkpoints: a PostgreSQL URL, or a SQLite file under `home` when unset
    (a PostgreSQL `database_url` is used when this is unset)."""
    approval_notional: float = Field(default=1000.0, ge=0)
    """In chat, orders above this notional wait for a person's approval."""
    max_tool_rounds: int = Field(default=8, ge=1)
    """Model -> tools rounds per chat turn or cycle."""
    max_corrections: int = Field(default=2, ge=0)
    """Malformed tool calls sent back to the model per turn before the turn aborts."""
    max_tokens_per_cycle: int = Field(default=60_000, ge=1)
    max_usd_per_cycle: float = Field(default=0.5, ge=0)
    max_tokens_per_run: int = Field(default=2_000_000, ge=1)
    max_usd_per_run: float = Field(default=10.0, ge=0)

    # --- memory ------------------------------------------------------------------------
    memory_backend: Literal["persistent", "server", "ephemeral", "off"] = "persistent"
    """Vector memory: chromadb files under `home/memory`, a chromadb server, in process
    memory only (`ephemeral`: fast, lost at exit; for throwaway battles), or none."""
    memory_server_url: str | None = None
    """chromadb server for `memory_backend=server`, e.g. http://127.0.0.1:8000."""
    memory_embedding: str = "local"
    """`local` (all-MiniLM-L6-v2 ONNX, offline) or a litellm embedding model
    (`openai/text-embedding-3-small`)."""
    memory_embedding_base_url: str | None = None
    """Base URL of an OpenAI-compatible embeddings server for a litellm embedding model."""
    memory_max_entries: int = Field(default=5000, ge=1)
    """Entries kept per namespace; the oldest least important are evicted beyond it."""
    memory_half_life_days: float = Field(default=90.0, gt=0)
    """Recall ranking by similarity x recency: recency is 1 for a new memory, 0.75 one
    half-life later, and never below 0.5 (see tradepit.memory.hygiene)."""
    memory_outcome_horizon_days: int = Field(default=7, ge=1)
    """Decisions are scored against the price this many days after they were made."""

    # --- notifications (Slack, Discord) -----------------------------------------------
    # Main targets get events from `notify_min_severity` up; alerts targets (e.g. #alerts)
    # also get events from `notify_alerts_min_severity` up. Webhook URLs are secrets.
    slack_webhook_url: SecretStr | None = None
    slack_alerts_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    """Bot token (xoxb-...): chat.postMessage (scope `chat:write`) and the Slack bot."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (a local server in tests)."""
    slack_notify_channel: str | None = None
    """Channel the bot posts notifications to (id or #name; needs `slack_bot_token`)."""
    slack_alerts_channel: str | None = None
    discord_webhook_url: SecretStr | None = None
    discord_alerts_webhook_url: SecretStr | None = None
    notify_min_severity: Literal["info", "warning", "critical"] = "info"
    notify_alerts_min_severity: Literal["info", "warning", "critical"] = "critical"
    notify_timeout_s: float = Field(default=10.0, gt=0)
    notify_max_attempts: int = Field(default=4, ge=1)
    notify_max_wait_s: float = Field(default=30.0, ge=0)
    """Longest Retry-After a notifier waits out; a longer one fails the delivery at once."""

    # --- Slack bot (`tradepit slack`) ---------------------------------------------------
    # Id lists are comma-separated; "*" means any. Fail-closed: teams and users must be set.
    slack_app_token: SecretStr | None = None
    """App-level token (xapp-..., scope `connections:write`) for Socket Mode."""
    slack_signing_secret: SecretStr | None = None
    """Verifies the signature of every HTTP request from Slack (HTTP mode)."""
    slack_allowed_teams: str = ""
    """Workspace ids served (T...)."""
    slack_allowed_channels: str = ""
    """Channel ids served (C..., G...; `*` = any the bot is in). Empty: direct messages only."""
    slack_allowed_users: str = ""
    """User ids served (U...; `*` = anyone in an allowed workspace)."""
    slack_approvers: str = ""
    """User ids who may approve orders and resume trading (empty: nobody)."""
    slack_allow_dms: bool = True
    """Serve direct messages from allowed users."""
    slack_approval_ttl_s: float = Field(default=600.0, gt=0)
    """An order left unapproved this long is rejected."""
    slack_rate_limit_per_min: int = Field(default=20, ge=1)
    """Requests per user per minute (messages, commands, button clicks)."""

    # --- chat UI (`tradepit chat`, Chainlit) -------------------------------------------
    chat_username: str | None = None
    """Login of the chat UI (password auth). Required with a host that is not loopback."""
    chat_password: SecretStr | None = None
    chat_auth_secret: SecretStr | None = None
    """Signs the chat UI's login tokens; generated once under `home` when unset."""

    # --- operations: logs, metrics, health ---------------------------------------------
    log_level: str = Field(default="WARNING", pattern=r"(?i)^(debug|info|warning|error|critical)$")
    """Level of the log lines on stderr. The log file gets INFO and above (or this level,
    when it is lower)."""
    log_file: str | None = None
    """Log file, rotated at 10 MB (5 kept). Default: `home/logs/tradepit.log` for the
    long-running commands (run, battle, chat, slack), none for the others; `off`: none."""

    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve Prometheus metrics (/metrics) and health (/healthz) on this port (`run`,
    `slack`); off when unset. 0 picks a free port."""
    metrics_host: str = "127.0.0.1"
    """Interface of the metrics endpoint (loopback by default)."""
    slack_connect_attempts: int = Field(default=6, ge=1)
    """Socket Mode: failed connection attempts in a row before `tradepit slack` gives up."""
    slack_connect_timeout_s: float = Field(default=120.0, gt=0)
    """Socket Mode: longest time without a connection before `tradepit slack` gives up."""
    notify_repeat_window_s: float = Field(default=3600.0, ge=0)
    """An order rejection identical to one notified less than this long ago (same symbol,
    source and reasons) is counted, not sent; the daily summary gives the counts."""

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        warn_unknown_variables(env_files(type(self), values))

    def apply_process_environment(self) -> None:
        """Environment for third-party libraries, set before they are imported: litellm
        uses its bundled cost map instead of fetching one from the internet."""
        if self.litellm_local_cost_map:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

    def data_source(self) -> Literal["bundled", "alpaca"]:
        if self.data is not None:
            return self.data
        return "alpaca" if self.broker.lower() == "alpaca" else "bundled"

    def sqlite_path(self) -> Path:
        return self.home / "tradepit.db"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.sqlite_path()}"

    def secret_fields(self) -> dict[str, SecretStr]:
        """Every secret value, for redaction filters."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, SecretStr)}


def export_to_library(name: str, value: str) -> None:
    """Hand a value to a third-party library that reads only its environment (Chainlit's
    app root and token secret). The one place besides Settings that touches os.environ."""
    os.environ[name] = value


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


PAPER_TRADING_URL = "https://paper-api.alpaca.markets"
LIVE_TRADING_URL = "https://api.alpaca.markets"
MARKET_DATA_URL = "https://data.alpaca.markets"


class AlpacaSettings(EnvSettings):
    """Alpaca credentials and endpoints, read from the names Alpaca users already have
    (`ALPACA_API_KEY`, `ALPACA_SECRET_KEY`, `ALPACA_BASE_URL`, `ALPACA_DATA_URL`) plus
    `TRADEPIT_ALPACA_LIVE`. Paper trading unless `live` is set (and confirmed in code)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    api_key: SecretStr = Field(default=SecretStr(""), validation_alias="ALPACA_API_KEY")
    secret_key: SecretStr = Field(default=SecretStr(""), validation_alias="ALPACA_SECRET_KEY")
    base_url: str = Field(default=PAPER_TRADING_URL, validation_alias="ALPACA_BASE_URL")
    """Trading API; the paper URL by default (a local server in tests)."""
    data_url: str = Field(default=MARKET_DATA_URL, validation_alias="ALPACA_DATA_URL")
    """Market data API."""
    live: bool = Field(default=False, validation_alias="TRADEPIT_ALPACA_LIVE")
    """Live trading with real money; also needs an explicit confirmation in code."""
    max_attempts: int = Field(default=4, ge=1, validation_alias="TRADEPIT_ALPACA_MAX_ATTEMPTS")
    """Attempts per request on transient errors (network, 5xx, 429)."""
    timeout_s: float = Field(default=10.0, gt=0, validation_alias="TRADEPIT_ALPACA_TIMEOUT_S")
    """Timeout of each HTTP request."""
