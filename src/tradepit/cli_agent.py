"""Agent commands of the CLI: `ask` (one chat turn), `run` (the autonomous loop), `halt` and
`resume` (the kill switch). `register(app)` adds them to the main Typer app."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from tradepit.cli_common import cli_errors, cli_settings

if TYPE_CHECKING:
    from tradepit.agent.service import Reply

out = Console()
err = Console(stderr=True)


_errors = cli_errors
_settings = cli_settings


def _print_reply(reply: Reply, as_json: bool) -> None:
    if as_json:
        payload = {
            "status": reply.status,
            "text": reply.text,
            "cycle": reply.cycle,
            "error_type": reply.error_type,
            "approval": reply.approval,
            "tools": [s.get("name") for s in reply.steps],
            "actions": reply.actions,
        }
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
        return
    for step in reply.steps:
        mark = "[green]ok[/]" if step.get("ok") else f"[red]{step.get('error_type')}[/]"
        err.print(f"[dim]tool {step.get('name')} {step.get('arguments')}[/] {mark}")
    style = "bold red" if reply.status == "aborted" else ""
    out.print(reply.text, style=style, markup=False, highlight=False)


def ask(
    text: Annotated[str | None, typer.Argument(help="Your message.")] = None,
    session: Annotated[str, typer.Option(help="Conversation id (kept between calls).")] = "cli",
    model: Annotated[str | None, typer.Option(help="Model backend spec.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Approve orders without asking.")] = False,
    approve: Annotated[bool, typer.Option(help="Approve the pending order.")] = False,
    reject: Annotated[bool, typer.Option(help="Reject the pending order.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One chat turn: ask about quotes, indicators, the portfolio, backtests, or place orders."""
    from tradepit.bootstrap import open_app

    if (text is None) == (not (approve or reject)):
        err.print("[bold red]error:[/] give a message, or --approve / --reject")
        raise typer.Exit(2)
    with _errors(), open_app(_settings(), model=model) as app:
        service = app.service
        if text is None:
            reply = service.resolve(session, approve, by="cli")
        else:
            reply = service.chat(session, text)
        while reply.status == "awaiting_approval":
            summary = (reply.approval or {}).get("summary", "")
            interactive = sys.stdin.isatty() and not as_json
            if not (yes or interactive):
                _print_reply(reply, as_json)
                err.print(
                    f"Order waiting for approval: {summary}. Run `tradepit ask --approve "
                    f"--session {session}` or `--reject`."
                )
                return
            ok = yes or typer.confirm(f"Send this order? {summary}", default=False)
            reply = service.resolve(session, ok, by="cli")
        _print_reply(reply, as_json)
    if reply.status == "aborted":
        raise typer.Exit(1)


def run(
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = "SPX",
    model: Annotated[str | None, typer.Option(help="Model backend spec.")] = None,
    interval: Annotated[str, typer.Option(help="Cycle interval (15m, 1h, 1d).")] = "15m",
    once: Annotated[bool, typer.Option(help="Run the next cycle only.")] = False,
    start: Annotated[str | None, typer.Option(help="Replay start date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Replay end date (YYYY-MM-DD).")] = None,
    speed: Annotated[float, typer.Option(help="Replay speed-up; 0 = no waiting.")] = 0.0,
    cycles: Annotated[int | None, typer.Option(help="Stop after this many cycles.")] = None,
    run_id: Annotated[str | None, typer.Option(help="Run id (same id = resume).")] = None,
) -> None:
    """The autonomous loop, offline on a replay clock over the bundled data. Rerun the same
    command to resume after a stop or a crash."""
    from tradepit.agent.loop import (
        LoopPlan,
        RunLoop,
        default_run_id,
        install_stop_handlers,
        replay_window,
    )
    from tradepit.bootstrap import bundled_source, open_app
    from tradepit.clock import ReplayClock
    from tradepit.market.timeframe import canonical_timeframe

    with _errors():
        settings = _settings()
        names = tuple(s.strip().upper() for s in symbols.split(",") if s.strip())
        if not names:
            raise ValueError("give at least one symbol")
        if speed < 0:
            raise ValueError("--speed must be >= 0")
        spec = model or settings.model
        interval = canonical_timeframe(interval)
        lo, hi = replay_window(bundled_source(), names, _date(start), _date(end))
        rid = run_id or default_run_id(spec, names, interval, lo)
        plan = LoopPlan(rid, spec, names, interval, lo, hi, once, speed, cycles)
        clock = ReplayClock(lo)
        with open_app(
            settings, model=spec, clock=clock, account_id=f"paper-{rid}", symbols=names
        ) as app:
            stop = threading.Event()
            restore = install_stop_handlers(stop)
            try:
                loop = RunLoop(
                    plan, app.service, clock, app.feed, app.broker, app.store, stop, _on_cycle
                )
                result = loop.run()
            finally:
                restore()
            account = app.broker.get_account()
    out.print(
        f"run {result.run_id}: {result.cycles} cycle(s) this time, status {result.status}, "
        f"equity {account.equity:,.2f} (cash {account.cash:,.2f})"
        + (f", {result.aborted} aborted" if result.aborted else "")
    )


def _date(text: str | None) -> Any:
    import pandas as pd

    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    return (stamp.tz_localize("UTC") if stamp.tz is None else stamp).to_pydatetime()


def _on_cycle(n: int, when: Any, reply: Reply) -> None:
    actions = ", ".join(f"{s} {a}" for s, a in reply.actions.items()) or "no order"
    status = "" if reply.status == "answered" else f" [red]{reply.status}: {reply.text}[/]"
    out.print(f"cycle {n} {when:%Y-%m-%d %H:%M}Z: {actions}{status}")


def halt(
    reason: Annotated[str, typer.Option(help="Why (stored with the flag).")] = "manual halt",
    run_id: Annotated[str | None, typer.Option(help="Halt one run only.")] = None,
) -> None:
    """Kill switch: only risk-reducing orders pass until `tradepit resume`."""
    _set_state("halted", reason, run_id)


def resume(
    run_id: Annotated[str | None, typer.Option(help="Resume one run only.")] = None,
) -> None:
    """Lift the kill switch set by `tradepit halt`."""
    _set_state("active", "resumed", run_id)


def _set_state(state: str, reason: str, run_id: str | None) -> None:
    from tradepit.agent.service import GLOBAL_SCOPE
    from tradepit.bootstrap import open_store
    from tradepit.clock import SystemClock
    from tradepit.domain.models import TradingState

    with _errors():
        store = open_store(_settings())
        try:
            scope = run_id or GLOBAL_SCOPE
            store.set_trading_flag(scope, TradingState(state), reason, SystemClock().now())
        finally:
            store.close()
    out.print(f"trading {state} ({scope})")


def register(app: typer.Typer) -> None:
    """Add `ask`, `run`, `halt` and `resume` to the main CLI."""
    app.command()(ask)
    app.command()(run)
    app.command()(halt)
    app.command()(resume)
