"""Read users' OHLCV files (CSV or parquet) into the standard bar frame.

Standard frame: UTC DatetimeIndex named "timestamp" (bar open time), sorted and unique,
float64 columns open, high, low, close, volume. Malformed input raises MalformedDataError
with a reason a user can act on; an empty file raises NoDataError.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from tradepit.domain.errors import MalformedDataError, NoDataError
from tradepit.market.dates import parse_date_strings

log = logging.getLogger(__name__)

OHLCV = ("open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")
TIME_NAMES = ("timestamp", "datetime", "date", "time", "date/time", "t", "open_time", "open time")
ALIASES = {
    "close": ("close", "adj close", "adj_close", "adjclose", "c"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "volume": ("volume", "vol", "v"),
}
US_THOUSANDS = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"
DECIMAL_COMMA = r"[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+"
CLOCK = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?(Z| ?[+-]\d{2}:?\d{2})?"
CSV_SUFFIXES = (".csv", ".txt", ".csv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")
PARQUET_SUFFIXES = (".parquet", ".pq")


def load_ohlcv(path: str | Path, *, repair: bool = False) -> pd.DataFrame:
    """Read a CSV or parquet file of bars. See `normalise_ohlcv` for the rules and `repair`."""
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise MalformedDataError(f"cannot read {path}: no such file")
    try:
        if name.endswith(PARQUET_SUFFIXES):
            raw = pd.read_parquet(path)
        elif name.endswith(CSV_SUFFIXES):
            raw = pd.read_csv(path, skipinitialspace=True)
        else:
            raise MalformedDataError(f"{path}: unsupported file type; use .csv or .parquet")
    except pd.errors.EmptyDataError as e:
        raise NoDataError(f"{path} is empty") from e
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as e:
        raise MalformedDataError(f"{path} cannot be parsed: {e}") from e
    return normalise_ohlcv(raw, source=str(path), repair=repair)


def normalise_ohlcv(
    raw: pd.DataFrame, source: str = "data", *, repair: bool = False
) -> pd.DataFrame:
    """Turn a frame with common spellings into the standard bar frame.

    Time: a DatetimeIndex, or an index/column named Date, Datetime, Timestamp or Time (any
    case; epoch numbers accepted; text dates must share one format, see `dates`), or
    separate Date and Time (HH:MM[:SS]) columns; naive times are taken as UTC. Prices:
    Open/High/Low/Close in any case ("Adj Close" only when there is no Close). Volume
    optional (0 when absent). Rows whose prices are all empty (e.g. holidays in Yahoo
    exports) are dropped; duplicated times keep the first row; both are logged. With
    `repair`, high/low are widened to cover open/close instead of raising.
    """
    if raw.empty:
        raise NoDataError(f"{source} has no rows")
    times, frame = _split_time(raw, source)
    columns = _pick_columns(frame, source)
    out = pd.DataFrame(
        {key: _numeric(frame[col], key, source) for key, col in columns.items()},
    )
    out.index = _parse_times(times, source)
    out.index.name = "timestamp"
    if "volume" not in out:
        out["volume"] = 0.0
    out = out[list(OHLCV)]
    out = _drop_empty_rows(out, source)
    out = _sort_dedupe(out, source)
    _check_values(out, source, repair=repair)
    out.attrs["source"] = source
    return out


def _split_time(raw: pd.DataFrame, source: str) -> tuple[pd.Series | pd.Index, pd.DataFrame]:
    if isinstance(raw.index, pd.DatetimeIndex):
        return raw.index, raw
    lowered = {str(c).strip().lower(): c for c in raw.columns}
    for name in TIME_NAMES:
        if name == "date" and "date" in lowered and "time" in lowered:
            return _join_date_time(raw, lowered["date"], lowered["time"], source)
        if name in lowered:
            col = lowered[name]
            return raw[col].reset_index(drop=True), raw.drop(columns=[col]).reset_index(drop=True)
    if raw.index.name is not None and str(raw.index.name).strip().lower() in TIME_NAMES:
        return raw.index, raw.reset_index(drop=True)
    raise MalformedDataError(
        f"{source}: missing time column; name it Date, Datetime, Timestamp or Time "
        f"(found: {', '.join(map(str, raw.columns))})"
    )


def _join_date_time(
    raw: pd.DataFrame, date: object, time: object, source: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Separate Date and Time columns as one text time ("2024-01-02" + "09:30")."""
    days, clock = (raw[c].astype("string").str.strip().reset_index(drop=True) for c in (date, time))
    bad = ~clock.str.fullmatch(CLOCK, na=False).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise MalformedDataError(
            f"{source}: cannot join the Date and Time columns: time {clock[row]!r} at row "
            f"{row + 1} is not HH:MM[:SS] ({int(bad.sum())} such rows)"
        )
    return days + " " + clock, raw.drop(columns=[date, time]).reset_index(drop=True)


def _pick_columns(frame: pd.DataFrame, source: str) -> dict[str, object]:
    lowered: dict[str, object] = {}
    for col in frame.columns:
        lowered.setdefault(str(col).strip().lower(), col)
    picked: dict[str, object] = {}
    for key, aliases in ALIASES.items():
        found = next((lowered[a] for a in aliases if a in lowered), None)
        if found is not None:
            picked[key] = found
        elif key != "volume":
            raise MalformedDataError(
                f"{source}: missing column {key!r} (found: {', '.join(map(str, frame.columns))})"
            )
    return picked


def _numeric(column: pd.Series, key: str, source: str) -> np.ndarray:
    values = column
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        values = _drop_thousands_commas(values.astype("string").str.strip(), key, source)
        values = values.replace({"": pd.NA, "null": pd.NA, "NaN": pd.NA, "nan": pd.NA})
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna().to_numpy() & values.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise MalformedDataError(
            f"{source}: non-numeric value {column.iloc[row]!r} in column {key!r} at row {row + 1}"
            f" ({int(bad.sum())} such values)"
        )
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _drop_thousands_commas(text: pd.Series, key: str, source: str) -> pd.Series:
    """Strip US thousands commas ("2,058.90"); refuse a decimal comma ("2058,90", "2.058,9").
    Other values with commas are left for the non-numeric check."""
    us = text.str.fullmatch(US_THOUSANDS, na=False).to_numpy()
    decimal = text.str.fullmatch(DECIMAL_COMMA, na=False).to_numpy() & ~us
    if decimal.any():
        row = int(np.flatnonzero(decimal)[0])
        raise MalformedDataError(
            f"{source}: decimal comma in {text.iloc[row]!r} in column {key!r} at row {row + 1};"
            " save the file with '.' as the decimal mark"
        )
    return text.where(~us, text.str.replace(",", "", regex=False))


def _parse_times(times: pd.Series | pd.Index, source: str) -> pd.DatetimeIndex:
    values = pd.Series(times).reset_index(drop=True)
    if isinstance(times, pd.DatetimeIndex):
        parsed = pd.Series(times if times.tz else times.tz_localize("UTC")).dt.tz_convert("UTC")
    elif pd.api.types.is_numeric_dtype(values):
        parsed = _parse_epoch(values)
    elif pd.api.types.infer_dtype(values, skipna=True) == "string":
        parsed = parse_date_strings(values, source)
    else:
        parsed = pd.to_datetime(values, errors="coerce", utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise MalformedDataError(
            f"{source}: unparseable date {values.iloc[row]!r} at row {row + 1}"
            f" ({int(bad.sum())} such rows)"
        )
    return pd.DatetimeIndex(parsed).as_unit("ns")


def _parse_epoch(values: pd.Series) -> pd.Series:
    """Epoch numbers (unit guessed from the magnitude: s, ms, us, ns) or YYYYMMDD integers."""
    numbers = values.to_numpy(dtype="float64")
    if np.all((numbers >= 1900_01_01) & (numbers <= 2100_12_31) & (numbers % 1 == 0)):
        text = values.astype("int64").astype(str)
        return pd.to_datetime(text, format="%Y%m%d", errors="coerce", utc=True)
    magnitude = float(np.nanmax(np.abs(numbers)))
    unit = (
        "s"
        if magnitude < 1e11
        else "ms"
        if magnitude < 1e14
        else "us"
        if magnitude < 1e17
        else "ns"
    )
    return pd.to_datetime(values, unit=unit, utc=True, errors="coerce")


def _drop_empty_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    prices = frame[list(PRICES)]
    empty = prices.isna().all(axis=1)
    if empty.any():
        log.warning("%s: dropped %d rows with no prices", source, int(empty.sum()))
        frame = frame[~empty.to_numpy()]
    partial = frame[list(PRICES)].isna().any(axis=1).to_numpy()
    if partial.any():
        row = frame.index[partial][0]
        raise MalformedDataError(f"{source}: missing price at {row} ({int(partial.sum())} rows)")
    if frame.empty:
        raise NoDataError(f"{source} has no rows with prices")
    missing_volume = frame["volume"].isna()
    if missing_volume.any():
        log.warning("%s: %d missing volumes set to 0", source, int(missing_volume.sum()))
        frame = frame.assign(volume=frame["volume"].fillna(0.0))
    return frame


def _sort_dedupe(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
    dups = frame.index.duplicated(keep="first")
    if dups.any():
        log.warning(
            "%s: removed %d duplicated timestamps (kept the first)", source, int(dups.sum())
        )
        frame = frame[~dups]
    return frame


def _check_values(frame: pd.DataFrame, source: str, *, repair: bool) -> None:
    """Raise on impossible bars; with `repair`, widen high/low around open/close in place."""
    _raise_if(frame, frame[list(PRICES)].le(0).any(axis=1), source, "non-positive prices")
    _raise_if(frame, frame["volume"] < 0, source, "negative volume")
    _raise_if(frame, frame["high"] < frame["low"], source, "high < low")
    top = np.maximum(frame["open"], frame["close"])
    bottom = np.minimum(frame["open"], frame["close"])
    outside = (top > frame["high"]) | (bottom < frame["low"])
    if outside.any() and repair:
        log.warning("%s: widened high/low on %d rows to cover open/close", source, outside.sum())
        frame["high"] = np.maximum(frame["high"], top)
        frame["low"] = np.minimum(frame["low"], bottom)
        return
    _raise_if(frame, outside, source, "open or close outside low..high (inconsistent OHLC)")


def _raise_if(frame: pd.DataFrame, mask: pd.Series, source: str, what: str) -> None:
    """Name the first bad bar by its time and values, so it can be found and fixed."""
    if mask.any():
        first = frame.index[mask.to_numpy()][0]
        when = first.strftime("%Y-%m-%d") if first == first.normalize() else str(first)
        bar = "/".join(f"{frame.at[first, k]:.10g}" for k in OHLCV)
        raise MalformedDataError(
            f"{source}: {int(mask.sum())} rows with {what}, first at {when} (O/H/L/C/V {bar});"
            " fix them in the file"
        )
