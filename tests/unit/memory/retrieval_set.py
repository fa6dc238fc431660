"""A small labelled retrieval set: memories (notes, lessons, decisions in words) and queries
phrased differently from the memory they should find. Several memories share vocabulary
(RSI, MSFT, stops, tech) so the set is not trivially separable."""

from __future__ import annotations

MEMORIES: dict[str, tuple[str, str | None, str]] = {
    # key: (kind, symbol, text)
    "tech_limit": ("note", None, "Never hold more than 3 tech stocks at the same time."),
    "no_earnings": (
        "note",
        None,
        "Do not open new positions in the week before a company reports earnings.",
    ),
    "risk_per_trade": ("note", None, "Risk at most 1% of equity on any single trade."),
    "no_crypto": ("note", None, "I don't want any crypto exposure in my portfolio."),
    "dividends": ("note", None, "I prefer dividend-paying companies for long-term holdings."),
    "stop_rule": ("note", None, "Always place a stop loss below the most recent swing low."),
    "no_shorts": ("note", None, "Never short sell; long positions only."),
    "cash_reserve": ("note", None, "Keep at least 20% of the account in cash."),
    "reporting": ("note", None, "Send me a summary of every trade by the end of the day."),
    "horizon": (
        "note",
        None,
        "My investment horizon is several years; I'm not interested in day trading.",
    ),
    "rsi_overbought": (
        "lesson",
        "MSFT",
        "Lesson on MSFT: buying when RSI was overbought above 75 against a falling trend "
        "lost 4% in a week.",
    ),
    "oversold_bounce": (
        "lesson",
        "SPX",
        "Lesson on SPX: buying the oversold dip (RSI 25) while the Supertrend was still up "
        "gained 3% in a week.",
    ),
    "macd_cross": (
        "lesson",
        "IXIC",
        "Lesson on IXIC: the MACD bullish crossover below the zero line was a false signal "
        "and the index fell 2%.",
    ),
    "gap": (
        "lesson",
        "AAPL",
        "Lesson on AAPL: chasing a large opening gap up reversed by the close; wait for the "
        "first hour.",
    ),
    "volatility": (
        "lesson",
        None,
        "Lesson: when ATR doubled after the Fed announcement, position sizes should have "
        "been halved.",
    ),
    "tight_stop": (
        "lesson",
        "TSLA",
        "Lesson on TSLA: a stop loss of only 1% was hit by normal noise before the move happened.",
    ),
    "trend_follow": (
        "lesson",
        "SPX",
        "Lesson on SPX: staying long while price held above the 200-day moving average "
        "captured the whole rally.",
    ),
    "divergence": (
        "lesson",
        "MSFT",
        "Lesson on MSFT: bearish RSI divergence at new highs preceded a 6% pullback.",
    ),
    "correlation": (
        "lesson",
        None,
        "Lesson: holding MSFT and IXIC together doubled the exposure to the same tech risk.",
    ),
    "friday": (
        "lesson",
        None,
        "Lesson: positions opened on Friday afternoons suffered from weekend gap risk.",
    ),
    "sold_spx": (
        "lesson",
        "SPX",
        "SPX SELL: closed the position as the index broke below the 200-day average with "
        "rising volume.",
    ),
    "bought_msft": (
        "lesson",
        "MSFT",
        "MSFT BUY: strong earnings beat and cloud revenue growth, bought on the breakout.",
    ),
    "hold_ixic": (
        "lesson",
        "IXIC",
        "IXIC HOLD: signals mixed, MACD flat and RSI near 50, no edge so no trade.",
    ),
    "btc_breakout": (
        "lesson",
        "BTCUSD",
        "BTCUSD BUY: bitcoin broke above 10,000 on high volume.",
    ),
}

QUERIES: list[tuple[str, str]] = [
    ("how many technology shares can I own at once", "tech_limit"),
    ("earnings announcement coming up next week, should I enter now", "no_earnings"),
    ("position sizing: how much may I risk per trade", "risk_per_trade"),
    ("should I buy some cryptocurrency", "no_crypto"),
    ("what kind of stocks does the user like for the long run", "dividends"),
    ("where should the stop go", "stop_rule"),
    ("can I go short this stock", "no_shorts"),
    ("how much cash should stay uninvested", "cash_reserve"),
    ("MSFT looks overbought with RSI at 78, buy it?", "rsi_overbought"),
    ("the index is oversold in an uptrend, buy the dip?", "oversold_bounce"),
    ("MACD just crossed up while still negative", "macd_cross"),
    ("Apple gapped up at the open, should I chase it", "gap"),
    ("volatility spiked after the central bank decision", "volatility"),
    ("how tight should my stop loss be", "tight_stop"),
    ("price is above the 200 day moving average, keep holding?", "trend_follow"),
    ("new price high but RSI makes a lower high", "divergence"),
    ("when did we exit the S&P 500 position and why", "sold_spx"),
    ("why did we buy Microsoft after its results", "bought_msft"),
    ("no clear signal on the Nasdaq today", "hold_ixic"),
    ("daily report of my trades", "reporting"),
    ("are my holdings too concentrated in technology", "correlation"),
    ("what is the user's time horizon", "horizon"),
    ("opening a trade late on Friday", "friday"),
    ("bitcoin breakout on strong volume", "btc_breakout"),
]
