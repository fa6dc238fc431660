"""Compiled (numba) loops of the vector engine: the per-bar position simulation and the
metrics of its result. Plain arrays in, arrays out; `vector.py` and `sweep.py` wrap them.

`simulate` mirrors the event path (``event.py`` + the paper broker's fill rules): at the
open of bar i, first the pending exit (market), then the pending entry (market, slippage
against the trader), then the open position's stop leg and take-profit leg (stop first);
at the close of bar i, a change of target schedules orders that fill at bar i+1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# Columns of the trade records written by `simulate`.
T_ENTRY_BAR, T_EXIT_BAR, T_SIDE, T_QTY, T_ENTRY_PX, T_EXIT_PX = 0, 1, 2, 3, 4, 5
T_ENTRY_FEE, T_EXIT_FEE, T_COMMISSION, T_PNL, T_KIND = 6, 7, 8, 9, 10
TRADE_COLUMNS = 11
# Exit kinds (column T_KIND).
EXIT_SIGNAL, EXIT_STOP, EXIT_TAKE_PROFIT, EXIT_END = 0, 1, 2, 3
# What to do with a position still open after the last bar.
END_KEEP, END_AT_CLOSE, END_AT_OPEN = 0, 1, 2
# Running trade statistics (`acc`).
A_TRADES, A_WINS, A_SUM_WIN, A_SUM_LOSS, A_FEES = 0, 1, 2, 3, 4
ACC_SIZE = 5
# Metrics written by `stats`, in this order.
STAT_NAMES = (
    "return_pct",
    "cagr_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "max_drawdown_duration_bars",
    "win_rate",
    "profit_factor",
    "avg_win",
    "avg_loss",
    "exposure_pct",
    "trades",
    "fees",
    "end_equity",
)
N_STATS = len(STAT_NAMES)


@njit(cache=True)
def _book_exit(trades, acc, entry_bar, side, qty, entry_px, entry_fee, bar, px, fee, kind):
    """Record a closed round trip (fill prices and fees as traded; commission and pnl with
    the arithmetic of ``trades.trades_from_fills``)."""
    entry = qty * entry_px / qty
    exit_ = qty * px / qty
    commission = qty * (entry_fee / qty) + qty * (fee / qty)
    pnl = side * (exit_ - entry) * qty - commission
    k = int(acc[A_TRADES])
    if k < trades.shape[0]:
        row = trades[k]
        row[T_ENTRY_BAR] = entry_bar
        row[T_EXIT_BAR] = bar
        row[T_SIDE] = side
        row[T_QTY] = qty
        row[T_ENTRY_PX] = entry_px
        row[T_EXIT_PX] = px
        row[T_ENTRY_FEE] = entry_fee
        row[T_EXIT_FEE] = fee
        row[T_COMMISSION] = commission
        row[T_PNL] = pnl
        row[T_KIND] = kind
    acc[A_TRADES] += 1.0
    acc[A_FEES] += fee
    if pnl > 0:
        acc[A_WINS] += 1.0
        acc[A_SUM_WIN] += pnl
    else:
        acc[A_SUM_LOSS] += pnl


@njit(cache=True)
def _stop_price(side, o, h, low, stop, slip):
    """Fill price of a stop leg closing a position of `side` (NaN: not touched)."""
    if side > 0:  # sell stop
        trigger = o if o <= stop else (stop if low <= stop else math.nan)
        return trigger * (1.0 - slip)
    trigger = o if o >= stop else (stop if h >= stop else math.nan)
    return trigger * (1.0 + slip)


@njit(cache=True)
def _limit_price(side, o, h, low, limit):
    """Fill price of a take-profit (limit) leg closing a position of `side` (NaN: not hit)."""
    if side > 0:  # sell limit
        return o if o >= limit else (limit if h >= limit else math.nan)
    return o if o <= limit else (limit if low <= limit else math.nan)


@njit(cache=True)
def _entry_qty(equity, fraction, size, unit_cost, fractional, floor_div):
    """Whole (or 1e-6) units that `equity * fraction * size` buys at `unit_cost`."""
    if fractional:
        return math.floor(equity * fraction * size / unit_cost * 1e6) / 1e6
    if floor_div:  # backtesting.py: int(margin * size // price)
        return (equity * fraction * size) // unit_cost
    return math.floor(equity * fraction * size / unit_cost)


@njit(cache=True)
def simulate(
    open_, high, low, close, target, stop, take_profit,
    cash, per_share, pct, slip, size, fractional, size_at_fill, end_mode,
    equity, exposure, trades, acc,
):  # fmt: skip
    """Run one series. Writes `equity`, `exposure` (per bar), closed trades into `trades`
    (rows beyond its length are only counted) and running totals into `acc`.

    Returns (entry bar, side, qty, entry price, entry fee) of a trade left open (side 0
    when flat). `size_at_fill`: size from the equity at the fill (open of the next bar)
    instead of the signal bar's close. Equity is booked as realised profit plus the open
    position's profit (as backtesting.py does), so a flat round trip leaves it exact."""
    n = close.shape[0]
    base = cash  # equity without the open position's unrealised profit
    pos = 0.0
    prev_target = 0.0
    pend_exit = False
    pend_side, pend_qty, pend_frac, pend_stop, pend_tp = 0.0, 0.0, 0.0, math.nan, math.nan
    leg_stop, leg_tp = math.nan, math.nan
    e_bar, e_side, e_qty, e_px, e_fee = 0.0, 0.0, 0.0, 0.0, 0.0
    for i in range(n):
        o, h, lo, c = open_[i], high[i], low[i], close[i]
        if pend_exit:
            px = o * (1.0 - slip) if e_side > 0 else o * (1.0 + slip)
            fee = per_share * e_qty + pct * e_qty * px
            base += pos * (px - e_px) - fee
            _book_exit(trades, acc, e_bar, e_side, e_qty, e_px, e_fee, i, px, fee, EXIT_SIGNAL)
            pos, pend_exit = 0.0, False
        if pend_side != 0.0:
            qty = pend_qty
            if size_at_fill:
                unit = o * (1.0 + slip) * (1.0 + pct) + per_share
                qty = _entry_qty(base, pend_frac, size, unit, fractional, True)
            if qty > 0:
                px = o * (1.0 + slip) if pend_side > 0 else o * (1.0 - slip)
                fee = per_share * qty + pct * qty * px
                base -= fee
                acc[A_FEES] += fee
                pos = pend_side * qty
                e_bar, e_side, e_qty, e_px, e_fee = i, pend_side, qty, px, fee
                leg_stop, leg_tp = pend_stop, pend_tp
            pend_side = 0.0
        if pos != 0.0 and not math.isnan(leg_stop):
            px = _stop_price(e_side, o, h, lo, leg_stop, slip)
            if not math.isnan(px):
                fee = per_share * e_qty + pct * e_qty * px
                base += pos * (px - e_px) - fee
                _book_exit(trades, acc, e_bar, e_side, e_qty, e_px, e_fee, i, px, fee, EXIT_STOP)
                pos = 0.0
        if pos != 0.0 and not math.isnan(leg_tp):
            px = _limit_price(e_side, o, h, lo, leg_tp)
            if not math.isnan(px):
                fee = per_share * e_qty + pct * e_qty * px
                base += pos * (px - e_px) - fee
                kind = EXIT_TAKE_PROFIT
                _book_exit(trades, acc, e_bar, e_side, e_qty, e_px, e_fee, i, px, fee, kind)
                pos = 0.0
        equity[i] = base + pos * (c - e_px) if pos != 0.0 else base
        exposure[i] = pos != 0.0
        t = target[i]
        if i < n - 1 and t != prev_target:
            prev_target = t
            held = pos
            if held != 0.0 and (t == 0.0 or (t > 0.0) != (held > 0.0)):
                pend_exit, held = True, 0.0
            if t == 0.0 or held != 0.0:
                continue
            side = 1.0 if t > 0.0 else -1.0
            s, tp = stop[i], take_profit[i]
            pend_stop = s if (s < c if side > 0 else s > c) else math.nan
            pend_tp = tp if (tp > c if side > 0 else tp < c) else math.nan
            pend_frac = abs(t)
            if size_at_fill:
                pend_side = side
            else:
                unit = c * (1.0 + slip) * (1.0 + pct) + per_share
                pend_qty = _entry_qty(equity[i], pend_frac, size, unit, fractional, False)
                pend_side = side if pend_qty > 0 else 0.0
    if pos != 0.0 and end_mode != END_KEEP:
        px = close[n - 1] if end_mode == END_AT_CLOSE else open_[n - 1]
        fee = e_qty * (per_share + pct * px)
        base += pos * (px - e_px) - fee
        _book_exit(trades, acc, e_bar, e_side, e_qty, e_px, e_fee, n - 1, px, fee, EXIT_END)
        equity[n - 1] = base
        pos = 0.0
    if pos == 0.0:
        e_side = 0.0
    return e_bar, e_side, e_qty, e_px, e_fee


@njit(cache=True, error_model="numpy")
def stats(equity, exposure, acc, periods_per_year, out):
    """Metrics of one run into `out` (see STAT_NAMES), as ``metrics.compute_metrics``."""
    n = equity.shape[0]
    first, last = equity[0], equity[n - 1]
    years = n / periods_per_year
    cagr = (last / first) ** (1.0 / years) - 1.0 if years > 0 and last > 0 else -1.0
    m = n - 1
    mean = 0.0
    for i in range(m):
        mean += (equity[i + 1] - equity[i]) / equity[i]
    mean = mean / m if m > 0 else 0.0
    var = down = 0.0
    for i in range(m):
        r = (equity[i + 1] - equity[i]) / equity[i]
        var += (r - mean) ** 2
        down += min(r, 0.0) ** 2
    annual = math.sqrt(periods_per_year)
    std = math.sqrt(var / (m - 1)) if m >= 2 else 0.0
    down = math.sqrt(down / m) if m >= 2 else 0.0
    peak, max_dd, run, longest, exposed = equity[0], 0.0, 0, 0, 0
    for i in range(n):
        peak = max(peak, equity[i])
        dd = equity[i] / peak - 1.0
        max_dd = min(max_dd, dd)
        run = run + 1 if dd < 0 else 0
        longest = max(longest, run)
        if exposure[i]:
            exposed += 1
    trades, wins = acc[A_TRADES], acc[A_WINS]
    losses = trades - wins
    out[0] = 100.0 * (last / first - 1.0)
    out[1] = 100.0 * cagr
    out[2] = mean / std * annual if std > 0 else 0.0
    out[3] = mean / down * annual if down > 0 else 0.0
    out[4] = cagr / -max_dd if max_dd < 0 else 0.0
    out[5] = 100.0 * max_dd
    out[6] = longest
    out[7] = wins / trades if trades > 0 else 0.0
    gross_loss = -acc[A_SUM_LOSS]
    out[8] = acc[A_SUM_WIN] / gross_loss if gross_loss > 0 else (math.inf if wins else 0.0)
    out[9] = acc[A_SUM_WIN] / wins if wins > 0 else 0.0
    out[10] = acc[A_SUM_LOSS] / losses if losses > 0 else 0.0
    out[11] = 100.0 * exposed / n
    out[12] = trades
    out[13] = acc[A_FEES]
    out[14] = last


@njit(cache=True)
def _run_row(
    o, h, lo, c, target, stop, tp, cash, per_share, pct, slip, size, fractional, at_fill,
    end_mode, ppy, out,
):  # fmt: skip
    n = c.shape[0]
    equity, exposure = np.empty(n), np.empty(n, dtype=np.bool_)
    acc = np.zeros(ACC_SIZE)
    no_trades = np.empty((0, TRADE_COLUMNS))
    simulate(o, h, lo, c, target, stop, tp, cash, per_share, pct, slip, size, fractional,
             at_fill, end_mode, equity, exposure, no_trades, acc)  # fmt: skip
    stats(equity, exposure, acc, ppy, out)


@njit(cache=True, parallel=True)
def run_many(
    o, h, lo, c, targets, stops, tps, cash, per_share, pct, slip, size, fractional, at_fill,
    end_mode, ppy,
):  # fmt: skip
    """Metrics (rows x N_STATS) of one series under many signal rows (targets: rows x n)."""
    rows = targets.shape[0]
    out = np.empty((rows, N_STATS))
    for k in prange(rows):
        _run_row(o, h, lo, c, targets[k], stops[k], tps[k], cash, per_share, pct, slip, size,
                 fractional, at_fill, end_mode, ppy, out[k])  # fmt: skip
    return out


@njit(cache=True)
def cross_target(fast, slow, allow_short, out):
    """SmaCross's target: +1 from a cross above, -1 (or 0) from a cross below, 0 before,
    exactly as ``crossed_above``/``crossed_below`` + ``hold_from_events``."""
    state = 0.0
    out[0] = 0.0
    for i in range(1, fast.shape[0]):
        a0, b0, a1, b1 = fast[i - 1], slow[i - 1], fast[i], slow[i]
        if not (math.isnan(a0) or math.isnan(b0)):
            if a1 > b1 and a0 <= b0:
                state = 1.0
            elif b1 > a1 and b0 <= a0:
                state = -1.0 if allow_short else 0.0
        out[i] = state


@njit(cache=True, parallel=True)
def run_cross_pairs(
    o, h, lo, c, averages, fast_idx, slow_idx, allow_short, cash, per_share, pct, slip, size,
    fractional, at_fill, end_mode, ppy,
):  # fmt: skip
    """Metrics of the crossover of averages[fast_idx[k]] and averages[slow_idx[k]] per k."""
    rows, n = fast_idx.shape[0], c.shape[0]
    out = np.empty((rows, N_STATS))
    nan = np.full(n, np.nan)
    for k in prange(rows):
        target = np.empty(n)
        cross_target(averages[fast_idx[k]], averages[slow_idx[k]], allow_short, target)
        _run_row(o, h, lo, c, target, nan, nan, cash, per_share, pct, slip, size, fractional,
                 at_fill, end_mode, ppy, out[k])  # fmt: skip
    return out
