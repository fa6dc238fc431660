"""Indicator errors.

Every error raised by this package for a bad request is an `IndicatorError`, which is both a
`TradepitError` and a `ValueError`, so callers may catch either.
"""

from __future__ import annotations

from tradepit.domain.errors import TradepitError


class IndicatorError(TradepitError, ValueError):
    """Bad indicator request. Show the message to whoever asked and fix the request;
    retrying the same call will not help."""


class UnknownIndicatorError(IndicatorError):
    """No indicator by that name. Pick one of `known` (the registry's names)."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown indicator {name!r} (known: {', '.join(known)})")


class IndicatorParamError(IndicatorError):
    """A parameter is unknown, of the wrong type or out of range. The message names the
    parameter and its valid range; ask again with a valid value."""


class IndicatorInputError(IndicatorError):
    """The input series are unusable (missing column, wrong shape, unequal lengths,
    bad index). Fix the data passed in; the parameters are not the problem."""
