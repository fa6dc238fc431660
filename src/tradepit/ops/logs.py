"""Logging of a CLI command: one line per record on stderr and, for long-running commands,
in a rotating file.

Lines read ``2026-03-02T14:30:00.123Z WARNING tradepit.agent.loop: message run=r cycle=3``:
UTC time, level, logger, message, then the structured fields the code passes with
``extra=`` (run, cycle, backend, symbol, client_order_id first). Every configured secret is
masked in the whole line (message, fields and traceback) before it is written.

stderr gets `settings.log_level` (WARNING by default, so command output stays clean); the
file gets INFO and above (or the lower console level). tradepit's own loggers pass INFO to
the file; other libraries' records pass from WARNING up unless a lower level is asked for.
`configure_logging` returns the undo (`LogSetup.close`), so a command's set-up never
outlives it (tests invoke many commands in one process).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradepit.config import Settings
    from tradepit.integrations.redact import Redactor

LONG_RUNNING = frozenset({"run", "battle", "chat", "slack"})
"""Commands that log to a file by default (an unattended process leaves a record)."""
LOG_FILE = "logs/tradepit.log"
"""Default log file, under `settings.home`."""
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
FIELDS_FIRST = ("run", "cycle", "backend", "symbol", "client_order_id")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class LineFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger>: <message> key=value ...``, secrets masked."""

    converter = time.gmtime

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = structured_fields(record)
        if fields:
            head, newline, rest = line.partition("\n")  # fields stay on the first line
            line = f"{head} {fields}{newline}{rest}"
        return self.redactor.redact(line) if self.redactor is not None else line


def structured_fields(record: logging.LogRecord) -> str:
    """The record's ``extra=`` fields as ``key=value`` (values with spaces JSON-quoted)."""
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and k[0] != "_"}
    keys = [k for k in FIELDS_FIRST if k in extra] + sorted(set(extra) - set(FIELDS_FIRST))
    return " ".join(f"{k}={_value(extra[k])}" for k in keys)


def _value(value: Any) -> str:
    text = str(value)
    if not text or any(c.isspace() or c == '"' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (as logging's last resort does)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _RotatingFile(RotatingFileHandler):
    """Opened (and its directory made) at the first record: `--help` leaves no file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, delay=True)

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


@dataclass
class LogSetup:
    """The handlers a command installed and the levels it changed; `close()` undoes it."""

    handlers: list[logging.Handler] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)
    file: Path | None = None

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        for name, level in self.levels.items():
            logging.getLogger(name or None).setLevel(level)
        self.handlers.clear()
        self.levels.clear()


def log_file(settings: Settings, command: str | None) -> Path | None:
    """Where `command` logs: `settings.log_file` (``off``: nowhere), else the default file
    under `home` for the long-running commands."""
    chosen = (settings.log_file or "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    return settings.home / LOG_FILE if command in LONG_RUNNING else None


def configure_logging(
    settings: Settings, command: str | None, redactor: Redactor | None = None
) -> LogSetup:
    """Install the stderr handler (and the file handler, see `log_file`) on the root
    logger, with `redactor` masking every line; returns the set-up to close."""
    console_level = logging.getLevelName(settings.log_level.upper())
    path = log_file(settings, command)
    file_level = min(logging.INFO, console_level)
    own_level = min(console_level, file_level) if path is not None else console_level
    setup = LogSetup(file=path)
    formatter = LineFormatter(redactor)
    handlers: list[tuple[logging.Handler, int]] = [(_Stderr(), console_level)]
    if path is not None:
        handlers.append((_RotatingFile(path), file_level))
    root = logging.getLogger()
    for handler, level in handlers:
        handler.setLevel(level)
        handler.setFormatter(formatter)
        root.addHandler(handler)
        setup.handlers.append(handler)
    _set_levels(setup, {"": min(console_level, logging.WARNING), "tradepit": own_level})
    return setup


def _set_levels(setup: LogSetup, levels: dict[str, int]) -> None:
    for name, level in levels.items():
        logger = logging.getLogger(name or None)
        setup.levels[name] = logger.level
        logger.setLevel(level)
