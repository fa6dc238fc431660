"""Agent commands of the CLI: `ask` (one chat turn), `run` (the autonomous loop), `halt` and
`resume` (the kill switch). `register(app)` adds them to the main Typer app."""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tradepit.cli_common import MetricsPort, cli_errors, cli_settings

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
        call = escape(f"{step.get('name')} {step.get('arguments')}")
        err.print(f"[dim]tool {call}[/] {_mark(step)}", highlight=False)
    style = "bold red" if reply.status == "aborted" else ""
    out.print(reply.text, style=style, markup=False, highlight=False)


def _mark(step: dict[str, Any]) -> str:
    """How a tool call ended: its error, an order's refusal or outcome, else ok."""
    from tradepit.tools.place_order import REFUSED  # loaded already: a reply was made

    if not step.get("ok"):
        return f"[red]{escape(str(step.get('error_type')))}[/]"
    outcome = (step.get("output") or {}).get("outcome")
    if outcome in REFUSED:
        return f"[yellow]{escape(str(outcome))}[/]"
    return f"[green]{escape(str(outcome or 'ok'))}[/]"


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

    if approve and reject:
        err.print("[bold red]error:[/] --approve or --reject, not both")
        raise typer.Exit(2)
    if text is not None and (approve or reject):
        err.print("[bold red]error:[/] --approve / --reject answer the pending order: no message")
        raise typer.Exit(2)
    if text is None and not (approve or reject):
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
                again = f" --model {model}" if model else ""  # the same model goes on
                err.print(
                    f"Order waiting for approval: {summary}. Run `tradepit ask --approve "
                    f"--session {session}{again}` or `--reject`.",
                    markup=False,
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
    interval: Annotated[
        str | None,
        typer.Option(help="Cycle interval (15m, 1h, 1d); default: 1d on replays, 15m live."),
    ] = None,
    once: Annotated[bool, typer.Option(help="Run the next cycle only.")] = False,
    start: Annotated[str | None, typer.Option(help="Replay start date (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None, typer.Option(help="Last date of a replay / live run (YYYY-MM-DD), included.")
    ] = None,
    speed: Annotated[float, typer.Option(help="Replay speed-up; 0 = no waiting.")] = 0.0,
    cycles: Annotated[int | None, typer.Option(help="Stop after this many cycles.", min=1)] = None,
    run_id: Annotated[str | None, typer.Option(help="Run id (same id = resume).")] = None,
    calendar: Annotated[
        str | None, typer.Option(help="Exchange calendar (XNYS; 24/7 for crypto).")
    ] = None,
    notify: Annotated[
        bool | None,
        typer.Option(help="Send fills, rejections, alerts, daily summaries (default: live)."),
    ] = None,
    confirm_live: Annotated[
        bool,
        typer.Option("--confirm-live", help="Confirm live trading (TRADEPIT_ALPACA_LIVE=true)."),
    ] = False,
    metrics_port: MetricsPort = None,
) -> None:
    """The autonomous loop. Offline: on a replay clock over the bundled data. With live
    data (TRADEPIT_DATA=alpaca or TRADEPIT_BROKER=alpaca): on the real clock, one cycle per
    interval during market hours. Rerun the same command to resume after a stop or a crash.
    Exits 1 when a cycle aborted (model or data failure; each is recorded), 130 / 143 when
    Ctrl-C / SIGTERM stopped it (after the current cycle; it resumes)."""
    from tradepit.agent.schedule import calendar_for

    with _errors(live_option=True):
        settings = _settings()
        names = tuple(s.strip().upper() for s in symbols.split(",") if s.strip())
        if not names:
            raise ValueError("give at least one symbol")
        if speed < 0:
            raise ValueError("--speed must be >= 0")
        live = settings.data_source() == "alpaca"
        if live and (start is not None or speed):
            raise ValueError("--start and --speed are for replays; a live run starts now")
        options = _RunOptions(
            names, model or settings.model, _interval(interval, live), once, cycles,
            run_id, calendar or calendar_for(names), live if notify is None else notify,
            confirm_live, metrics_port,
        )  # fmt: skip
        runner = _run_live if live else _run_replay
        last_day = _date(end)  # inclusive, as in `battle`: the end date's session runs
        until = None if last_day is None else last_day + timedelta(days=1)
        result, account, stop = runner(settings, options, _date(start), until, speed)
    out.print(
        f"run {result.run_id}: {result.cycles} cycle(s) this time, status {result.status}, "
        f"equity {account.equity:,.2f} (cash {account.cash:,.2f})"
        + (f", {result.aborted} aborted" if result.aborted else "")
        + (f", {result.missed} missed while down" if result.missed else "")
        + (f", {result.skipped} skipped (outage)" if result.skipped else "")
    )
    if stop is not None:  # stopped by a signal: resumable, but not a success for scripts
        raise typer.Exit(stop)
    if result.aborted:
        raise typer.Exit(1)


def _interval(interval: str | None, live: bool) -> str:
    """The cycle interval: given, else 15m live and the bundled bars' own (1d) on replays,
    where a finer one decides again and again on the same bar (said, not refused)."""
    from tradepit.bootstrap import BUNDLED_TIMEFRAME
    from tradepit.market.timeframe import canonical_timeframe, parse_timeframe

    step = canonical_timeframe(interval or ("15Min" if live else BUNDLED_TIMEFRAME))
    if parse_timeframe(step) > parse_timeframe("1Day"):  # it ran daily, without a word
        raise ValueError(f"--interval {interval}: at most 1d (one cycle at each session's close)")
    if not live and parse_timeframe(step) < parse_timeframe(BUNDLED_TIMEFRAME):
        err.print(
            f"[yellow]note:[/] the bundled bars are daily: every {interval} cycle of a day "
            "sees the same last completed bar, and orders fill with the next daily bar"
        )
    return step


@dataclass(frozen=True)
class _RunOptions:
    symbols: tuple[str, ...]
    model: str
    interval: str
    once: bool
    cycles: int | None
    run_id: str | None
    calendar: str
    notify: bool
    confirm_live: bool
    metrics_port: int | None = None


def _run_replay(settings: Any, o: _RunOptions, start: Any, end: Any, speed: float) -> Any:
    from tradepit.agent.loop import LoopPlan, default_run_id, replay_window
    from tradepit.agent.schedule import ticks
    from tradepit.bootstrap import open_app, serve_ops
    from tradepit.clock import ReplayClock
    from tradepit.domain.errors import ConfigError
    from tradepit.market import HistoricalSource
    from tradepit.market.timeframe import parse_timeframe

    source = HistoricalSource.bundled(o.symbols)  # a close-only symbol: its own error
    lo, hi = replay_window(source, o.symbols, start, end)
    if end is not None and hi < end:  # it stopped at the data's end without a word
        last = hi - timedelta(microseconds=1)  # `hi` is exclusive
        early = [s for s in o.symbols if source.frame(s).index[-1].date() == last.date()]
        err.print(f"[yellow]note:[/] the data of {', '.join(early)} ends {last:%Y-%m-%d}; "
                  "the replay stops there")  # fmt: skip
    step = parse_timeframe(o.interval)
    if next(iter(ticks(lo, hi, step, o.calendar)), None) is None:
        last = hi - timedelta(microseconds=1)  # the window ends at `hi`, exclusive of it
        raise ConfigError(f"no {o.calendar} session from {lo:%Y-%m-%d} to {last:%Y-%m-%d}")
    rid = o.run_id or default_run_id(o.model, o.symbols, o.interval, lo)
    plan = LoopPlan(
        rid, o.model, o.symbols, o.interval, lo, hi, o.once, speed, o.cycles, o.calendar
    )
    clock = ReplayClock(lo)
    with serve_ops(settings, o.metrics_port) as ops, open_app(
        settings, model=o.model, clock=clock, account_id=f"paper-{rid}", symbols=o.symbols,
        metrics=ops.metrics if ops else None,
    ) as app:  # fmt: skip
        result, stop = _drive(app, plan, o, fills=None, ops=ops)
        return result, app.broker.get_account(), stop


def _run_live(settings: Any, o: _RunOptions, start: Any, end: Any, speed: float) -> Any:
    from tradepit.agent.fills import BarFills, BrokerFills
    from tradepit.agent.loop import LoopPlan, default_run_id, stored_start
    from tradepit.agent.schedule import ticks
    from tradepit.bootstrap import open_app, serve_ops
    from tradepit.bootstrap_live import LIVE_FILL_TIMEFRAME
    from tradepit.market.timeframe import parse_timeframe

    rid = o.run_id or default_run_id(o.model, o.symbols, o.interval, None)
    with serve_ops(settings, o.metrics_port) as ops, open_app(
        settings, model=o.model, account_id=f"paper-{rid}", symbols=o.symbols,
        confirm_live=o.confirm_live, fill_at_last_price=False,
        metrics=ops.metrics if ops else None,
    ) as app:  # fmt: skip
        first = stored_start(app.store, rid) or app.clock.now()
        plan = LoopPlan(
            rid, o.model, o.symbols, o.interval, first, end, o.once, 0.0, o.cycles, o.calendar,
            live=True,
        )  # fmt: skip
        fills = (
            BarFills(app.feed, app.broker, o.symbols, LIVE_FILL_TIMEFRAME)  # type: ignore[arg-type]
            if settings.broker.lower() == "paper"
            else BrokerFills(app.broker)
        )
        upcoming = next(ticks(app.clock.now(), None, parse_timeframe(o.interval), o.calendar))
        out.print(
            f"live run {rid} on {app.account_id}: next cycle at {upcoming:%Y-%m-%d %H:%M}Z "
            f"({o.calendar} hours)"
        )
        result, stop = _drive(app, plan, o, fills=fills, ops=ops)
        return result, app.broker.get_account(), stop


def _drive(app: Any, plan: Any, o: _RunOptions, fills: Any, ops: Any = None) -> Any:
    """Run the loop with stop handlers (and notifications when asked for, metrics and
    health when served); a paper ledger is saved with its last marks when the loop ends.
    Returns the loop's result and, when a signal stopped it, the exit code it calls for
    (128 + the signal)."""
    from tradepit.agent.loop import RunLoop
    from tradepit.agent.schedule import LivePacer
    from tradepit.broker import PaperBroker
    from tradepit.stop_signals import StopSignals

    publisher, observers = _observers(app, plan, o.notify)
    if ops is not None:
        observers.append(_ops_observer(app, plan, ops))
    try:
        ending = "stop requested (signal {number}): finishing the current cycle"
        with StopSignals(ending, at_once=[signal.SIGINT]) as signals:
            stop = signals.event
            pacer = LivePacer(app.clock, stop) if plan.live else None
            loop = RunLoop(
                plan, app.service, app.clock, app.feed, app.broker, app.store, stop, _on_cycle,
                pacer=pacer, fills=fills, account_id=app.account_id, observers=observers,
            )  # fmt: skip
            try:
                result = loop.run()
            except KeyboardInterrupt:  # a second Ctrl-C: at once, mid-cycle
                again = "the same command resumes it"
                err.print(f"interrupted: run {plan.run_id} stopped mid-cycle; {again}")
                raise typer.Exit(signals.exit_code) from None
        if isinstance(app.broker, PaperBroker):
            app.broker.save()
        stopped = signals.signum is not None and result.status != "completed"
        return result, signals.exit_code if stopped else None
    finally:
        if publisher is not None:
            publisher.close()


def _ops_observer(app: Any, plan: Any, ops: Any) -> Any:
    from tradepit.ops.observer import LoopMetrics

    url = ops.server.url
    err.print(f"metrics on {url}/metrics, health on {url}/healthz", soft_wrap=True)
    return LoopMetrics(
        ops.metrics, ops.health, run_id=plan.run_id, account_id=app.account_id,
        broker=app.broker, limits=app.service.deps.limits,
        manual_state=lambda: app.service.trading_state(plan.run_id),
    )  # fmt: skip


def _observers(app: Any, plan: Any, notify: bool) -> tuple[Any, list[Any]]:
    if not notify or app.hub is None or not app.hub.routes:
        return None, []
    from tradepit.clock import SystemClock
    from tradepit.integrations.hub import BackgroundPublisher
    from tradepit.integrations.run_events import RunNotifier
    from tradepit.integrations.schedule import SummarySchedule

    publisher = BackgroundPublisher(app.hub)
    notifier = RunNotifier(
        publisher.submit, run_id=plan.run_id, account_id=app.account_id, broker=app.broker,
        clock=app.clock, limits=app.service.deps.limits,
        manual_state=lambda: app.service.trading_state(plan.run_id), store=app.store,
        hub=app.hub, schedule=SummarySchedule.from_settings(app.settings, app.clock, app.account_id)
        if plan.live else None,
        repeat_window_s=app.settings.notify_repeat_window_s, wall=SystemClock(),
    )  # fmt: skip
    return publisher, [notifier]


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
    failed = escape(f"{reply.status}: {reply.text}")
    status = "" if reply.status == "answered" else f" [red]{failed}[/]"
    out.print(f"cycle {n} {when:%Y-%m-%d %H:%M}Z: {escape(actions)}{status}")


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
    # the kill switch must land in seconds: the store alone, not the agent (bootstrap)
    from tradepit.clock import SystemClock
    from tradepit.domain.errors import ConfigError
    from tradepit.domain.models import GLOBAL_SCOPE, TradingState
    from tradepit.storage import Store

    with _errors():
        store = Store.from_settings(_settings())
        store.migrate()
        try:
            if run_id is not None and store.get_run(run_id) is None:
                recent = ", ".join(r.id for r in store.list_runs()[-10:]) or "none yet"
                raise ConfigError(f"no run {run_id!r} (recent runs: {recent})")
            scope = run_id or GLOBAL_SCOPE
            store.set_trading_flag(scope, TradingState(state), reason, SystemClock().now())
            resumed = state == "active"
            still = [s for s in store.halted_scopes() if s != scope] if resumed else []
        finally:
            store.close()
    out.print(f"trading {state} ({scope})", markup=False)
    if still:
        how = {GLOBAL_SCOPE: "everywhere (tradepit resume)"}
        halted = ", ".join(how.get(s, f"{s} (tradepit resume --run-id {s})") for s in still)
        err.print(f"note: still halted: {halted}", markup=False)


def register(app: typer.Typer) -> None:
    """Add `ask`, `run`, `halt` and `resume` to the main CLI."""
    app.command()(ask)
    app.command()(run)
    app.command()(halt)
    app.command()(resume)
