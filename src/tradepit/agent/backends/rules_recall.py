"""`rules:<strategy>+recall`: the offline rules model that consults its memory before it
enters a position. It makes the memory ablation meaningful without an LLM.

Each cycle it also calls `recall` with every symbol, which reports the past setups most like
the symbol's situation now (the `SETUPS_K` = 10 nearest situation vectors within
`SETUP_RADIUS`, outcomes known by now; see `tradepit.tools.recall`) and how the price moved
over each one's horizon.

**Rule.** Before an entry (the strategy wants a long or short exposure the account does not
hold), the entry is skipped when at least `k_min` (5) similar setups are known and more than
`max_loss_share` (50 %) of them moved against the wanted direction (the price fell, for a
long; rose, for a short): the entry would mostly have lost there. The symbol then stays flat
(a position held the other way is still closed). Exits and holds are never blocked. With no
memory (recall not offered, or failing) it trades exactly as `rules:<strategy>`.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradepit.agent.backends.rules import RulesBackend, about
from tradepit.agent.backends.rules_answers import Step

SUFFIX = "+recall"


class RulesRecallBackend(RulesBackend):
    """A built-in strategy that skips entries whose similar past setups mostly lost."""

    def __init__(
        self,
        strategy: str = "supertrend",
        size: float = 0.1,
        *,
        k_min: int = 5,
        max_loss_share: float = 0.5,
    ) -> None:
        super().__init__(strategy, size)
        if k_min < 1 or not 0 <= max_loss_share < 1:
            raise ValueError("k_min must be >= 1 and max_loss_share in [0, 1)")
        self.k_min, self.max_loss_share = k_min, max_loss_share
        self.name = f"rules:{self.strategy}{SUFFIX}"

    def _reads(self, symbols: Sequence[str], offered: set[str]) -> list:
        reads = super()._reads(symbols, offered)
        if "recall" not in offered:
            return reads
        recalls = [("recall", {"query": f"{s} setup", "symbol": s, "k": 1}) for s in symbols]
        return [*reads, *recalls]

    def _veto(self, symbol: str, want: int, steps: list[Step]) -> str | None:
        recalled = next((s for s in steps if s.name == "recall" and about(s, symbol)), None)
        if recalled is None or not recalled.ok:
            return None
        setups = recalled.result.get("setups") or {}
        known = int(setups.get("n") or 0)
        against = int(setups.get("down" if want > 0 else "up") or 0)
        if known < self.k_min or against <= self.max_loss_share * known:
            return None
        side = "long" if want > 0 else "short"
        return f"{against} of {known} similar past setups moved against a {side}"
