"""Settings of a paper account: costs, fill limits, shorting, fractional shares, leverage."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from tradepit.domain.models import Frozen


class PaperConfig(Frozen):
    """Costs and limits of the paper broker (see ``paper_fills`` for how they apply)."""

    starting_cash: Decimal = Field(default=Decimal(100000), gt=0)
    commission_per_share: Decimal = Field(default=Decimal(0), ge=0)
    commission_pct: Decimal = Field(default=Decimal(0), ge=0)
    """Fraction of the fill's notional, e.g. 0.001 = 0.1 %."""
    min_commission: Decimal = Field(default=Decimal(0), ge=0)
    slippage_bps: Decimal = Field(default=Decimal(0), ge=0)
    """Applied against the trader on market and stop fills; limit fills get none."""
    max_volume_share: Decimal | None = Field(default=Decimal("0.1"), gt=0)
    """Share of a bar's volume one symbol may trade in that bar; None = no cap."""
    allow_short: bool = True
    allow_fractional: bool = False
    max_leverage: Decimal = Field(default=Decimal(1), gt=0)
    fill_at_last_price: bool = False
    """Work a new order at once against the symbol's last price (a quote tick), as a paper
    account on a live market does. Off for replays, where only later bars may fill."""

    @property
    def slip(self) -> Decimal:
        return self.slippage_bps / Decimal(10000)
