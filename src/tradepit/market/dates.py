"""Read a column of users' date strings in ONE format, never guessing row by row.

ISO 8601 (with or without time and offset) is read as is. Otherwise the format of the first
date is inferred and tried month-first and day-first on the whole column: exactly one
reading must fit every date. A column that fits both readings differently (every day and
month <= 12) is ambiguous, and one that fits no single format is mixed; both are refused.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from tradepit.domain.errors import MalformedDataError

log = logging.getLogger(__name__)

HINT = "write dates as ISO YYYY-MM-DD[ HH:MM]"
ISO = "ISO8601"


def parse_date_strings(text: pd.Series, source: str) -> pd.Series:
    """UTC times of `text` (strings; NA stays NaT). Raises MalformedDataError if the dates
    are ambiguous, in mixed formats or unreadable."""
    text = text.astype("string").str.strip().reset_index(drop=True)
    present = text.notna().to_numpy()
    readings = {ISO: _read(text, ISO)}
    if not present.any() or readings[ISO][present].notna().all():
        return readings[ISO]
    first = str(text[present].iloc[0])
    for fmt in _formats(first):
        readings[fmt] = _read(text, fmt)
    complete = [f for f, r in readings.items() if r[present].notna().all()]
    if len(complete) == 1 or (len(complete) == 2 and _same(*(readings[f] for f in complete))):
        if complete[0] != ISO:
            log.info("%s: dates read as %s", source, _readable(complete[0]))
        return readings[complete[0]]
    if complete:
        a, b = (readings[f] for f in complete)
        row = int(np.flatnonzero(present & (a != b).to_numpy())[0])
        raise MalformedDataError(
            f"{source}: ambiguous dates: {text[row]!r} at row {row + 1} could be "
            f"{_readable(complete[0])} or {_readable(complete[1])}; {HINT}"
        )
    raise _mixed_error(text, present, readings, first, source)


def _mixed_error(
    text: pd.Series, present: np.ndarray, readings: dict[str, pd.Series], first: str, source: str
) -> MalformedDataError:
    """Why no single format fits: a date nothing reads, no format to infer, or mixed ones."""
    fmt, best = max(readings.items(), key=lambda item: int(item[1].notna().sum()))
    missed = present & best.isna().to_numpy()
    anyhow = _read(text, "mixed").notna().to_numpy()
    unreadable = missed & ~anyhow
    if unreadable.any():
        row = int(np.flatnonzero(unreadable)[0])
        return MalformedDataError(
            f"{source}: unparseable date {text[row]!r} at row {row + 1}"
            f" ({int(unreadable.sum())} such rows)"
        )
    if len(readings) == 1 or best.isna().all():
        return MalformedDataError(f"{source}: cannot tell the format of the date {first!r}; {HINT}")
    row, fits = int(np.flatnonzero(missed)[0]), int(np.flatnonzero(best.notna().to_numpy())[0])
    return MalformedDataError(
        f"{source}: dates in mixed formats: {text[row]!r} at row {row + 1} is not "
        f"{_readable(fmt)} like {text[fits]!r} at row {fits + 1} ({int(missed.sum())} such rows); "
        f"{HINT}"
    )


def _read(text: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(text, format=fmt, errors="coerce", utc=True)


def _formats(value: str) -> list[str]:
    """The format of `value` read month-first, and day-first when that differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when a value only fits day-first
        fmt = guess_datetime_format(value)
    if fmt is None:
        return []
    if "%d" not in fmt or "%m" not in fmt or fmt.startswith("%Y"):
        return [fmt]
    swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return [fmt, swapped]


def _same(a: pd.Series, b: pd.Series) -> bool:
    return bool(((a == b) | (a.isna() & b.isna())).all())


def _readable(fmt: str) -> str:
    if fmt == ISO:
        return "ISO YYYY-MM-DD"
    for code, shown in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"),
                        ("%H", "hh"), ("%I", "hh"), ("%M", "mm"), ("%S", "ss")):  # fmt: skip
        fmt = fmt.replace(code, shown)
    return fmt
