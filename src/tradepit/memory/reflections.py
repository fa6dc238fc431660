"""Lessons written when a decision's outcome arrives: templated (offline rules model), or by
a model through `LessonWriter`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradepit.memory.models import Entry, Outcome
from tradepit.memory.situation import rsi_state

LessonWriter = Callable[[Entry, Outcome], str]
"""(decision entry, its outcome) -> a short lesson, e.g. from the model in use."""

NOISE = 0.01
"""Moves within +-1 % over the horizon teach nothing: "no clear edge"."""


def cues(situation: dict[str, Any] | None) -> str:
    """The conditions a lesson is about: RSI state, trend, momentum, 20-day move."""
    s = situation or {}
    found = []
    if s.get("rsi14") is not None:
        found.append(f"RSI {rsi_state(s['rsi14'])}")
    if s.get("supertrend_dir"):
        found.append("trend up" if s["supertrend_dir"] > 0 else "trend down")
    if s.get("macd_hist") is not None:
        found.append("momentum rising" if s["macd_hist"] > 0 else "momentum falling")
    if s.get("ret_20d") is not None:
        found.append(f"20d {100 * s['ret_20d']:+.0f}%")
    return ", ".join(found) or "no indicators recorded"


def _rule(outcome: Outcome, when: str) -> str:
    side = {1: "going long", -1: "going short"}.get(outcome.exposure)
    if side is not None:
        if outcome.realised_return <= -NOISE:
            return f"avoid {side} when {when}"
        if outcome.realised_return >= NOISE:
            return f"{side} worked when {when}"
        return f"{side} showed no clear edge when {when}"
    if outcome.buy_hold_return >= NOISE:
        return f"staying out missed a rise when {when}"
    if outcome.buy_hold_return <= -NOISE:
        return f"staying out avoided a fall when {when}"
    return f"staying out cost nothing when {when}"


def template_lesson(entry: Entry, outcome: Outcome) -> str:
    """A one-paragraph lesson from the decision, its situation and its outcome."""
    when = cues(entry.situation)
    verdict = "gained" if outcome.realised_return > 0 else "lost"
    if outcome.exposure == 0:
        verdict = "stayed flat"
    return (
        f"Lesson on {entry.symbol or 'the market'}: {(entry.action or 'decision').upper()} "
        f"on {entry.created_at:%Y-%m-%d} at {outcome.entry_price:.6g} {verdict} "
        f"{100 * outcome.realised_return:+.1f}% over {outcome.horizon_days:.0f} days "
        f"(buy-and-hold {100 * outcome.buy_hold_return:+.1f}%, "
        f"excess {100 * outcome.excess_return:+.1f}%). Setup: {when}. "
        f"Rule: {_rule(outcome, when)}."
    )
