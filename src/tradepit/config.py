"""Settings: the only reader of the environment (and of a `.env` file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".tradepit"


class Settings(BaseSettings):
    """All configuration. Environment variables use the `TRADEPIT_` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="TRADEPIT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(default_factory=default_home)
    """Data directory: SQLite database, caches, reports."""
    database_url: str | None = None
    """SQLAlchemy URL; SQLite under `home` when unset. PostgreSQL: postgresql://..."""
    broker: str = "paper"
    account_id: str = "paper-default"
    starting_cash: float = 100_000.0
    commission_per_share: float = 0.0
    commission_pct: float = 0.0
    slippage_bps: float = 0.0
    max_volume_share: float = 0.1
    """Orders larger than this share of a bar's volume fill partially."""

    def sqlite_path(self) -> Path:
        return self.home / "tradepit.db"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.sqlite_path()}"

    def secret_fields(self) -> dict[str, SecretStr]:
        """Every secret value, for redaction filters."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, SecretStr)}


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
