"""Secrets never leave the process in a message or a log line.

`secret_values` collects every SecretStr of the settings; `find_secrets` scans a payload
for them (raw, JSON-escaped and URL-encoded forms); `Redactor` masks them
(`settings_redactor`: all of the settings' and Alpaca's); `protect_logs`
masks them in the records of the HTTP libraries the notifiers use (httpx logs every request
URL at INFO, and a webhook URL is a secret).

Values shorter than `MIN_SECRET_LENGTH` are not scanned: they would match ordinary text
(real tokens and webhook URLs are far longer).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

if TYPE_CHECKING:
    from tradepit.config import Settings

MIN_SECRET_LENGTH = 8
MASK = "[redacted]"
HTTP_LOGGERS = ("httpx", "slack_sdk.web.base_client")


def secret_values(*sources: BaseModel | Mapping[str, Any]) -> dict[str, str]:
    """`{name: value}` of every non-empty SecretStr in the sources (Settings, AlpacaSettings,
    mappings), nested containers included."""
    found: dict[str, str] = {}
    for source in sources:
        prefix = type(source).__name__ if isinstance(source, BaseModel) else ""
        items = source.__dict__ if isinstance(source, BaseModel) else source
        for name, value in items.items():
            _collect(f"{prefix}.{name}" if prefix else str(name), value, found)
    return found


def _collect(name: str, value: Any, found: dict[str, str]) -> None:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if len(secret) >= MIN_SECRET_LENGTH:
            found[name] = secret
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _collect(f"{name}[{key}]", item, found)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            _collect(f"{name}[{i}]", item, found)
    elif isinstance(value, BaseModel):
        for key, item in value.__dict__.items():
            _collect(f"{name}.{key}", item, found)


def _forms(secret: str) -> set[str]:
    """The ways a secret can appear in a payload: raw, JSON-escaped, URL-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}


def _text(data: Any) -> str:
    if isinstance(data, bytes | bytearray):
        return bytes(data).decode("utf-8", errors="replace")
    if isinstance(data, str):
        return data
    return json.dumps(data, default=str)


def find_secrets(data: Any, secrets: Mapping[str, str]) -> list[str]:
    """Names of the secrets present in `data` (str, bytes, or anything JSON-serialisable)."""
    text = _text(data)
    return sorted(n for n, v in secrets.items() if any(form in text for form in _forms(v)))


class Redactor:
    """Replaces every known secret (in any of its forms) with `[redacted]`. Thread-safe."""

    def __init__(self, secrets: Iterable[str | SecretStr | None] = ()) -> None:
        self._forms: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str | SecretStr | None) -> None:
        forms = set(self._forms)
        for secret in secrets:
            value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
            if value and len(value) >= MIN_SECRET_LENGTH:
                forms |= _forms(value)
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def redact_json(self, payload: Any) -> Any:
        """A copy of a JSON-serialisable payload with every secret masked."""
        if not self._forms:
            return payload
        return json.loads(self.redact(json.dumps(payload)))


def settings_redactor(settings: Settings) -> Redactor:
    """A redactor of every secret in the settings (Alpaca keys included): what the Slack
    bot, the notifiers and the model backend mask."""
    from tradepit.config import AlpacaSettings

    return Redactor(secret_values(settings, AlpacaSettings()).values())


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message of each record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redactor.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_LOG_FILTER = RedactingFilter(Redactor())


def protect_logs(*secrets: str | SecretStr | None, loggers: Iterable[str] = HTTP_LOGGERS) -> None:
    """Mask `secrets` in every record the given loggers emit (idempotent)."""
    _LOG_FILTER.redactor.add(*secrets)
    for name in loggers:
        logging.getLogger(name).addFilter(_LOG_FILTER)
