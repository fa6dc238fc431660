"""The distinct orders of one turn, so that each gets its own client_order_id leg.

The id of an order is (run, cycle, symbol, leg). With the side alone as the leg, a second,
different buy of the same symbol in one turn ("2 at market and 3 more at limit 80") took
the first one's id and came back as a duplicate. Here the n-th distinct order of a symbol
and side gets leg "buy", "buy2", ...; an order equal to an earlier one gets that one's leg
again, so a true repeat is still a duplicate. The count is rebuilt from the turn's recorded
steps whenever the tools node runs, so a re-run turn (restart, approval resume) maps its
orders to the same ids and the broker refuses them as duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from tradepit.tools._orders import OrderArgs

PLACE_ORDER = "place_order"


class TurnOrders:
    """The orders a turn sent, by (symbol, side): their fingerprints in the order sent."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], list[str]] = {}

    @classmethod
    def of(cls, steps: Iterable[Mapping[str, Any]]) -> TurnOrders:
        """From the turn's steps so far: every place_order that reached the broker."""
        turn = cls()
        for step in steps:
            order = step.get("order")
            if step.get("name") != PLACE_ORDER or not isinstance(order, Mapping):
                continue
            try:
                args = OrderArgs.model_validate_json(step.get("arguments") or "{}")
            except ValidationError:
                continue  # it was valid when it ran: the tool would not have sent it
            turn.sent(str(order.get("symbol")), args)
        return turn

    def leg(self, symbol: str, args: OrderArgs) -> str:
        """The leg of this order: an equal earlier order's, else the next free one."""
        sent = self._sent.get((symbol, args.side), [])
        mark = fingerprint(symbol, args)
        n = sent.index(mark) + 1 if mark in sent else len(sent) + 1
        return args.side if n == 1 else f"{args.side}{n}"

    def sent(self, symbol: str, args: OrderArgs) -> None:
        """Note an order that reached the broker (`symbol` resolved)."""
        sent = self._sent.setdefault((symbol, args.side), [])
        mark = fingerprint(symbol, args)
        if mark not in sent:
            sent.append(mark)


def fingerprint(symbol: str, args: OrderArgs) -> str:
    """What makes two orders the same: every argument given, the symbol resolved."""
    given = args.model_dump(exclude_none=True, exclude={"symbol"})
    return json.dumps({**given, "symbol": symbol}, sort_keys=True)
