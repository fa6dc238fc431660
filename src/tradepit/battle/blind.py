"""Blind battles: neutral tickers, rebased prices and shifted dates, so a model cannot
recall what happened next from memory.

The whole market world of a blind sample is transformed before anything sees it: the
frames (so the feed, the tools, the snapshot and the prompts), the assets, the clock and
the ticks. Per symbol, prices are divided by the close of the last bar completed at the
sample's start and multiplied by 100 (every symbol starts at 100), and volumes are
multiplied by the same factor (like a split: dollar volume and the paper broker's volume
cap are unchanged). Times move by a whole number of weeks so the sample starts in the week
of `EPOCH` (weekdays, sessions and bar spacing are kept). Tickers become ``ASSET-A``,
``ASSET-B``, ... in a seeded random order. Names are cleared; indexes look like equities.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from tradepit.domain.models import Asset, AssetClass

EPOCH = pd.Timestamp("2100-01-04", tz="UTC")
"""A Monday no model has a memory of."""
WEEK = pd.Timedelta(days=7)
BASE = 100.0


def alias(i: int) -> str:
    letters = string.ascii_uppercase
    return f"ASSET-{letters[i]}" if i < 26 else f"ASSET-{letters[i // 26 - 1]}{letters[i % 26]}"


@dataclass(frozen=True)
class Blinding:
    """Real symbol -> neutral alias, per-symbol price divisor, and the time offset."""

    aliases: Mapping[str, str]
    divisors: Mapping[str, float]
    offset: pd.Timedelta

    @classmethod
    def plan(
        cls, frames: Mapping[str, pd.DataFrame], start: datetime, duration: pd.Timedelta, seed: int
    ) -> Blinding:
        """The blinding of a sample starting at `start` over bars of `duration`."""
        symbols = list(frames)
        order = np.random.default_rng(seed).permutation(len(symbols))
        aliases = {symbols[j]: alias(i) for i, j in enumerate(order)}
        at = pd.Timestamp(start)
        divisors = {}
        for symbol, frame in frames.items():
            done = frame[frame.index + duration <= at]
            first = float(done["close"].iloc[-1]) if len(done) else float(frame["close"].iloc[0])
            divisors[symbol] = first / BASE
        weeks = round((EPOCH - at.normalize()) / WEEK)
        return cls(aliases, divisors, WEEK * weeks)

    @property
    def real(self) -> dict[str, str]:
        """Alias -> real symbol."""
        return {v: k for k, v in self.aliases.items()}

    def names(self) -> str:
        """ "ASSET-A = SPX, ...": what the models' names stand for."""
        return ", ".join(f"{alias} = {real}" for alias, real in self.real.items())

    def frame(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        k = self.divisors[symbol]
        out = frame[["open", "high", "low", "close", "volume"]].copy()
        out[["open", "high", "low", "close"]] = out[["open", "high", "low", "close"]] / k
        out["volume"] = out["volume"] * k
        out.index = out.index + self.offset
        out.attrs = {}
        return out

    def asset(self, asset: Asset) -> Asset:
        crypto = asset.asset_class is AssetClass.CRYPTO
        return asset.model_copy(
            update={
                "symbol": self.aliases[asset.symbol],
                "name": "",
                "asset_class": AssetClass.CRYPTO if crypto else AssetClass.US_EQUITY,
            }
        )

    def time(self, when: datetime | pd.Timestamp) -> pd.Timestamp:
        return pd.Timestamp(when) + self.offset

    def to_json(self) -> dict:
        return {
            "aliases": dict(self.aliases),
            "divisors": dict(self.divisors),
            "offset_days": int(self.offset / pd.Timedelta(days=1)),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Blinding:
        return cls(
            dict(data["aliases"]), dict(data["divisors"]), pd.Timedelta(days=data["offset_days"])
        )
