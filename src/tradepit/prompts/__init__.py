"""Prompt templates (files in ``templates/``) and their loader; rendered-prompt tests live in
tests/unit/prompts."""

from tradepit.prompts.loader import (
    SYMBOLS_PREFIX,
    DecisionLine,
    decision_prompt,
    decision_symbols,
    format_limits,
    parse_decisions,
    render,
    system_prompt,
)

__all__ = [
    "SYMBOLS_PREFIX",
    "DecisionLine",
    "decision_prompt",
    "decision_symbols",
    "format_limits",
    "parse_decisions",
    "render",
    "system_prompt",
]
