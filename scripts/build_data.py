"""Regenerate the market data bundled in tradepit (src/tradepit/market/data/).

Sources are registry packages that ship real prices inside their wheels:
  arch     -> SPX, IXIC daily OHLCV        (arch.data.sp500 / arch.data.nasdaq)
  pmdarima -> MSFT daily OHLCV             (datasets/data/msft.tar.gz inside the wheel; read
              from an installed pmdarima, else from a wheel fetched with `pip download`)
  skfolio  -> 20 S&P 500 adjusted closes   (skfolio.datasets.load_sp500_dataset; close only)

Writes one zstd parquet per series, manifest.json (read by tradepit.market.bundled) and
DATA.md (provenance). Run: `make data` or `python scripts/build_data.py [--out DIR]`.
The script never invents prices: rows it cannot use are dropped and counted in DATA.md.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import importlib
import importlib.metadata as md
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "tradepit" / "market" / "data"
PMDARIMA_VERSION = "2.1.1"
PMDARIMA_MEMBER = "pmdarima/datasets/data/msft.tar.gz"
PRICE_COLUMNS = ["open", "high", "low", "close"]
OHLCV_COLUMNS = [*PRICE_COLUMNS, "volume"]
COMPRESSION_LEVEL = 19


@dataclass
class Series:
    """One stored series and what the build did to it."""

    symbol: str
    name: str
    file: str
    source: str
    package: str
    version: str
    licence: str
    frame: pd.DataFrame
    close_only: bool = False
    symbols: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- sources


def _version(package: str) -> str:
    return md.version(package)


def load_arch(module: str) -> pd.DataFrame:
    return importlib.import_module(f"arch.data.{module}").load()


def _pmdarima_tarball() -> tuple[bytes, str]:
    """msft.tar.gz bytes and the pmdarima version they came from."""
    spec = importlib.util.find_spec("pmdarima")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/msft.tar.gz"
        if path.exists():
            return path.read_bytes(), _version("pmdarima")
    with tempfile.TemporaryDirectory() as tmp:
        _pip_download(f"pmdarima=={PMDARIMA_VERSION}", tmp)
        wheel = glob.glob(f"{tmp}/pmdarima-*.whl")[0]
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(PMDARIMA_MEMBER), PMDARIMA_VERSION


def _pip_download(requirement: str, dest: str) -> None:
    """`pip download --no-deps` with whichever pip is available (venvs made by uv lack one)."""
    args = ["download", "--no-deps", "--only-binary=:all:", "-q", "-d", dest, requirement]
    candidates = [[sys.executable, "-m", "pip"]]
    candidates += [[exe] for exe in ("pip3", "pip") if shutil.which(exe)]
    if shutil.which("uv"):
        candidates.append(["uv", "tool", "run", "--from", "pip", "pip"])
    errors = []
    for cmd in candidates:
        result = subprocess.run([*cmd, *args], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return
        errors.append(f"{' '.join(cmd)}: {result.stderr.strip()[-300:]}")
    raise SystemExit("could not download pmdarima:\n" + "\n".join(errors))


def load_msft() -> tuple[pd.DataFrame, str]:
    blob, version = _pmdarima_tarball()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        member = tar.extractfile("msft.csv")
        assert member is not None
        frame = pd.read_csv(member, parse_dates=["Date"], index_col="Date")
    return frame, version


# ---------------------------------------------------------------- cleaning


def clean_ohlcv(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Lower-case OHLCV, UTC midnight index named timestamp, float64; drop/repair bad rows."""
    known_notes = len(notes)
    frame = raw.rename(columns=str.lower)[OHLCV_COLUMNS].astype("float64")
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns").tz_localize("UTC")
    frame.index.name = "timestamp"
    frame = frame.sort_index()
    dups = int(frame.index.duplicated(keep="first").sum())
    if dups:
        frame = frame[~frame.index.duplicated(keep="first")]
        notes.append(f"{dups} duplicated dates dropped (first kept)")
    unusable = frame[PRICE_COLUMNS].isna().any(axis=1) | (frame[PRICE_COLUMNS] <= 0).any(axis=1)
    if unusable.any():
        frame = frame[~unusable]
        notes.append(f"{int(unusable.sum())} rows with missing or non-positive prices dropped")
    inverted = frame["high"] < frame["low"]
    if inverted.any():
        frame = frame[~inverted]
        notes.append(f"{int(inverted.sum())} rows with high < low dropped")
    body_hi = frame[["open", "close"]].max(axis=1)
    body_lo = frame[["open", "close"]].min(axis=1)
    outside = (body_hi > frame["high"]) | (body_lo < frame["low"])
    if outside.any():
        frame["high"] = np.maximum(frame["high"], body_hi)
        frame["low"] = np.minimum(frame["low"], body_lo)
        notes.append(
            f"{int(outside.sum())} rows with open/close outside low..high: high/low widened "
            "to include open and close"
        )
    missing_volume = frame["volume"].isna()
    if missing_volume.any():
        frame["volume"] = frame["volume"].fillna(0.0)
        notes.append(f"{int(missing_volume.sum())} missing volumes set to 0")
    zero_volume = int((frame["volume"] == 0).sum())
    if zero_volume:
        notes.append(f"{zero_volume} rows with volume 0 in the source, kept as is")
    if len(notes) == known_notes:
        notes.append(
            "no issues found: no duplicates, gaps in prices or open/close outside low..high"
        )
    return frame


def clean_closes(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    frame = raw.astype("float64").sort_index()
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns").tz_localize("UTC")
    frame.index.name = "timestamp"
    bad = (frame <= 0).sum().sum()
    if bad:
        frame = frame.mask(frame <= 0)
        notes.append(f"{int(bad)} non-positive closes set to missing")
    missing = int(frame.isna().sum().sum())
    notes.append(f"{missing} missing values (NaN kept; never filled)")
    return frame


# ---------------------------------------------------------------- output


def write_parquet(frame: pd.DataFrame, path: Path) -> str:
    """Write without pandas metadata (stable bytes across pandas versions); return sha256."""
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", compression_level=COMPRESSION_LEVEL)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path) -> list[Series]:
    series: list[Series] = []
    for symbol, module, name in (
        ("SPX", "sp500", "S&P 500 index"),
        ("IXIC", "nasdaq", "NASDAQ Composite index"),
    ):
        notes: list[str] = []
        raw = load_arch(module)
        frame = clean_ohlcv(raw, notes)
        series.append(
            Series(symbol, name, f"{symbol.lower()}.parquet", f"arch.data.{module}.load()",
                   "arch", _version("arch"), "NCSA", frame, notes=notes)
        )  # fmt: skip
    raw, version = load_msft()
    notes = ["prices are split- and dividend-adjusted in the source (1986 open ~0.07 USD)"]
    frame = clean_ohlcv(raw.drop(columns=["OpenInt"], errors="ignore"), notes)
    series.append(
        Series("MSFT", "Microsoft Corp.", "msft.parquet", PMDARIMA_MEMBER, "pmdarima", version,
               "MIT", frame, notes=notes)
    )  # fmt: skip
    from skfolio.datasets import load_sp500_dataset

    notes = ["adjusted closes only: no open, high, low or volume"]
    closes = clean_closes(load_sp500_dataset(), notes)
    series.append(
        Series("SP500_CLOSES", "20 S&P 500 stocks, adjusted closes", "sp500_closes.parquet",
               "skfolio.datasets.load_sp500_dataset()", "skfolio", _version("skfolio"),
               "BSD-3-Clause", closes, close_only=True, symbols=list(closes.columns), notes=notes)
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for item in series:
        sha = write_parquet(item.frame, out / item.file)
        manifest.append(_manifest_entry(item, sha, (out / item.file).stat().st_size))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / "DATA.md").write_text(render_data_md(manifest), encoding="utf-8")
    return series


def _column_span(column: pd.Series) -> dict[str, object]:
    present = column.dropna().index
    return {"start": present[0].date().isoformat(), "end": present[-1].date().isoformat(),
            "rows": len(present)}  # fmt: skip


def _manifest_entry(item: Series, sha: str, size: int) -> dict[str, object]:
    index = item.frame.index
    return {
        "symbol": item.symbol,
        "name": item.name,
        "file": item.file,
        "source": item.source,
        "package": item.package,
        "version": item.version,
        "licence": item.licence,
        "start": index[0].date().isoformat(),
        "end": index[-1].date().isoformat(),
        "rows": len(index),
        "close_only": item.close_only,
        "symbols": [_column_span(item.frame[s]) | {"symbol": s} for s in item.symbols],
        "calendar": "XNYS",
        "sha256": sha,
        "bytes": size,
        "notes": item.notes,
    }


HEADER = """# Bundled market data

Real daily market data shipped inside tradepit so everything works offline. Generated by
`scripts/build_data.py` (`make data`); do not edit by hand. Each file is zstd parquet with a
`timestamp` column (UTC, 00:00 of the trading date = bar open time by tradepit's convention).
OHLCV files hold float64 `open, high, low, close, volume`. The close-only file holds one
float64 column per ticker (adjusted closes) and has no open/high/low/volume: `load_bundled`
returns a single `close` column for those tickers and the bar feed refuses them (OHLC required).
skfolio's MSFT closes are in `sp500_closes.parquet` but the symbol MSFT resolves to the pmdarima
OHLCV series; read every close with `load_bundled_closes()`.

| series | name | source | package | licence | range | rows | file | bytes | sha256 |
|---|---|---|---|---|---|---|---|---|---|
"""


def render_data_md(manifest: list[dict[str, object]]) -> str:
    lines = [HEADER.rstrip("\n")]
    for e in manifest:
        lines.append(
            f"| {e['symbol']} | {e['name']} | `{e['source']}` | {e['package']} {e['version']} "
            f"| {e['licence']} | {e['start']} .. {e['end']} | {e['rows']} | `{e['file']}` "
            f"| {e['bytes']} | `{e['sha256']}` |"
        )
    lines += ["", "## Checks and fixes", ""]
    for e in manifest:
        for note in e["notes"]:  # type: ignore[attr-defined]
            lines.append(f"- {e['symbol']}: {note}")
    closes = [e for e in manifest if e["close_only"]]
    for e in closes:
        lines += [
            "",
            f"Close-only tickers in `{e['file']}`: {', '.join(c['symbol'] for c in e['symbols'])}.",
        ]  # type: ignore[arg-type]
    lines += [
        "",
        "Licences: arch is NCSA (University of Illinois/NCSA Open Source), pmdarima MIT, skfolio",
        "BSD-3-Clause; the prices themselves are public market history as redistributed there.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    for item in build(args.out):
        index = item.frame.index
        print(f"{item.symbol:13s} {len(index):6d} rows {index[0].date()} .. {index[-1].date()}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
