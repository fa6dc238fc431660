"""Chainlit handlers: conversation start, resume and end, messages, model switch, and the
Approve / Reject actions. Per-conversation state lives in Chainlit's user session (one
`ChatSession` each); blocking work runs in worker threads so sessions do not wait on each
other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select

from tradepit.agent.service import Reply
from tradepit.agent.streaming import Listener
from tradepit.chat_ui import render
from tradepit.chat_ui.chart_requests import is_battle_request, parse_chart_request
from tradepit.chat_ui.models import describe_model
from tradepit.chat_ui.runtime import Runtime
from tradepit.chat_ui.session import ChatSession
from tradepit.chat_ui.steps import model_step, send_chart, stream_answer, tool_step
from tradepit.chat_ui.turns import run_streamed
from tradepit.chat_ui.views import show_battle, show_portfolio, show_price_chart
from tradepit.domain.errors import TradepitError

SESSION_KEY = "tradepit_session"
MODEL_SETTING = "model"
APPROVE, REJECT = "approve_order", "reject_order"
APPROVAL_KEY = "approval_call_id"
"""Metadata of the message showing an order for approval (found again on resume)."""
PORTFOLIO = "Portfolio"
COMMANDS = [
    {
        "id": PORTFOLIO,
        "icon": "wallet",
        "description": "Account, positions with P&L and open orders",
        "button": True,
        "persistent": False,
    }
]
STARTERS = (
    ("Portfolio at a glance", "Show my portfolio", PORTFOLIO),
    ("Chart with an indicator", "show SPX with Supertrend for 2015", None),
    ("Backtest a strategy", "backtest supertrend on SPX since 2010", None),
    ("Place an order", "buy 100 MSFT with a 2% stop", None),
    ("Price and indicators", "what is the RSI and MACD of MSFT", None),
)
"""(label, message, command): prompts the offline model (or the UI itself) answers."""


def starters() -> list[cl.Starter]:
    return [cl.Starter(label=label, message=text, command=cmd) for label, text, cmd in STARTERS]


def _user() -> str:
    user = cl.context.session.user
    return str(getattr(user, "identifier", None) or "chat")


@asynccontextmanager
async def opened(rt: Runtime) -> AsyncIterator[ChatSession]:
    """This conversation's session, opened if needed (also after a reconnect), held for
    one piece of work: a conversation runs one turn at a time."""
    session = cl.user_session.get(SESSION_KEY)
    if session is None:
        wanted = (cl.context.session.chat_settings or {}).get(MODEL_SETTING)
        model = wanted if wanted in rt.models.specs else rt.models.default
        session = ChatSession(rt.settings, cl.context.session.thread_id, model, _user())
        cl.user_session.set(SESSION_KEY, session)
    async with session.lock:
        if not session.is_open:
            await asyncio.to_thread(session.open)
        yield session


async def _error(e: Exception) -> None:
    await cl.ErrorMessage(content=f"{type(e).__name__}: {e}").send()


# -- lifecycle --------------------------------------------------------------------------


async def start(rt: Runtime) -> None:
    """Open this conversation's session (thread id = Chainlit's thread id); show the model
    setting and the Portfolio command."""
    try:
        async with opened(rt) as session:
            model = session.model
    except TradepitError as e:
        await _error(e)
        return
    widget = Select(
        id=MODEL_SETTING, label="Model", values=list(rt.models.specs), initial_value=model,
        description="Built-in offline models need no key; real models appear when their "
        "API key is configured.",
    )  # fmt: skip
    await cl.ChatSettings([widget]).send()
    await cl.context.emitter.set_commands(COMMANDS)


async def resume(rt: Runtime, thread: dict[str, Any]) -> None:
    """Reopen a stored conversation: same graph thread, paper account and model. An order
    still waiting for approval gets its Approve / Reject actions back."""
    await start(rt)
    try:
        async with opened(rt) as session:
            pending = await asyncio.to_thread(session.pending)
            if not pending:
                return
            message_id = approval_message_id(thread, str(pending.get("call_id")))
            if message_id is None:
                await show_approval(session, pending)
                return
            # Chainlit redraws the stored messages after this returns; actions survive it.
            session.approval_actions = approval_actions(pending)
            for action in session.approval_actions:
                await action.send(for_id=message_id)
    except TradepitError as e:
        await _error(e)


def approval_message_id(thread: dict[str, Any], call_id: str) -> str | None:
    """The stored message that showed the order `call_id` for approval, if any."""
    for step in reversed(thread.get("steps") or []):
        metadata = step.get("metadata") or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                continue
        if isinstance(metadata, dict) and metadata.get(APPROVAL_KEY) == call_id:
            return str(step["id"])
    return None


async def end() -> None:
    """The browser left: close the session (after its turn, if one is running)."""
    session = cl.user_session.get(SESSION_KEY)
    if session is not None:
        cl.user_session.set(SESSION_KEY, None)
        async with session.lock:
            await asyncio.to_thread(session.close)


async def settings_update(rt: Runtime, values: dict[str, Any]) -> None:
    spec = values.get(MODEL_SETTING)
    if spec and spec not in rt.models.specs:
        await cl.ErrorMessage(content=f"Unknown model {spec!r}.").send()
        return
    try:
        async with opened(rt) as session:
            if not spec or spec == session.model:
                return
            await asyncio.to_thread(session.switch_model, spec)
    except TradepitError as e:
        await cl.ErrorMessage(content=f"Cannot use {spec}: {e}").send()
        return
    spec_text, _, note = describe_model(spec).partition(" ")
    await cl.Message(content=f"Model: `{spec_text}` {note}.", author="tradepit").send()


# -- messages ---------------------------------------------------------------------------


async def message(rt: Runtime, message: cl.Message) -> None:
    text = (message.content or "").strip()
    try:
        async with opened(rt) as session:
            if message.command == PORTFOLIO or text.lower() in ("/portfolio", "portfolio"):
                await show_portfolio(session)
            elif is_battle_request(text):
                await show_battle(session)
            elif request := parse_chart_request(text, session.symbols()):
                await show_price_chart(session, request)
            else:
                await drop_approval(session)
                await agent_turn(session, lambda listener: session.chat(text, listener))
    except TradepitError as e:
        await _error(e)


async def agent_turn(session: ChatSession, call: Callable[[Listener], Reply]) -> None:
    """Run a turn, showing each tool step and the answer as the graph produces them."""
    answered = False

    async def on_update(node: str, update: dict[str, Any]) -> None:
        nonlocal answered
        if node == "model":
            await model_step(session.model, update)
        elif node == "tools":
            for step in update.get("steps") or ():
                await tool_step(step)
        elif node == "respond" and update.get("answer"):
            await stream_answer(str(update["answer"]))
            answered = True

    reply = await run_streamed(call, on_update)
    if reply.status == "awaiting_approval" and reply.approval:
        await show_approval(session, reply.approval)
    elif not answered:
        await stream_answer(reply.text or "(no answer)")
    for step in reply.steps:
        if step.get("name") == "run_backtest" and step.get("ok") and step.get("output"):
            chart = await asyncio.to_thread(session.backtest_chart, step["output"])
            await send_chart(chart, "equity")


# -- approvals --------------------------------------------------------------------------


def approval_actions(approval: dict[str, Any]) -> list[cl.Action]:
    payload = {"call_id": approval.get("call_id")}
    return [
        cl.Action(name=APPROVE, payload=payload, label="Approve", icon="check"),
        cl.Action(name=REJECT, payload=payload, label="Reject", icon="x"),
    ]


async def show_approval(session: ChatSession, approval: dict[str, Any]) -> None:
    actions = approval_actions(approval)
    metadata = {APPROVAL_KEY: approval.get("call_id")}
    content = render.approval_markdown(approval)
    await cl.Message(content=content, actions=actions, metadata=metadata).send()
    session.approval_actions = actions


async def drop_approval(session: ChatSession) -> None:
    """Remove the Approve / Reject buttons of the order shown last (if any)."""
    actions, session.approval_actions = session.approval_actions, []
    for action in actions:
        await action.remove()


async def decide(rt: Runtime, action: cl.Action, approved: bool) -> None:
    """Approve or reject the pending order: the graph resumes and the broker answers."""
    try:
        async with opened(rt) as session:
            pending = await asyncio.to_thread(session.pending)
            await drop_approval(session)
            if not pending or pending.get("call_id") != action.payload.get("call_id"):
                await cl.Message(content="This order is no longer waiting for approval.").send()
                return
            by = _user()
            await agent_turn(session, lambda listener: session.resolve(approved, by, listener))
    except TradepitError as e:
        await _error(e)
