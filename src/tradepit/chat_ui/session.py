"""One chat conversation: its own service, graph thread and paper account.

A `ChatSession` is created per browser conversation and kept in Chainlit's user session,
never at module level. It wires everything through `bootstrap.open_app`: its own store
connection, point-in-time feed, checkpointer, model backend and a paper account named
after the conversation (``chat-<thread id>``), so two conversations never share an account
or a pending order; a file lock (`locks`) keeps a conversation open in one session at a
time. The service session is ``<user>/<thread id>`` (graph thread ``chat:<user>/<thread
id>``; the memory reads the user from it): resuming the conversation resumes its
checkpointed state. Methods are synchronous (the UI runs them in a worker thread); `lock`
serialises one conversation's turns.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import ExitStack
from typing import Any

from tradepit.agent.backends.base import ToolCall
from tradepit.agent.service import Reply
from tradepit.agent.streaming import Listener
from tradepit.backtest.rerun import rerun_backtest
from tradepit.bootstrap import App, open_app
from tradepit.chat_ui import CHAT_ACCOUNT_PREFIX, charts
from tradepit.chat_ui.chart_requests import ChartRequest
from tradepit.chat_ui.locks import ThreadLock
from tradepit.chat_ui.workdir import chat_dir
from tradepit.config import Settings
from tradepit.domain.errors import TradepitError
from tradepit.tools.registry import execute

log = logging.getLogger(__name__)

PORTFOLIO_CALLS = (
    ("get_account", {}),
    ("get_positions", {}),
    ("get_orders", {"status": "open", "limit": 50}),
)


def account_for(thread_id: str) -> str:
    return f"{CHAT_ACCOUNT_PREFIX}{thread_id}"


def session_id(user: str, thread_id: str) -> str:
    """``<user>/<thread id>`` (a "/" in the user name would split it, so it is replaced)."""
    return f"{user.replace('/', '_') or 'chat'}/{thread_id}"


class ChatSession:
    """See the module docstring. `open()` before use, `close()` at the end."""

    def __init__(self, settings: Settings, thread_id: str, model: str, user: str) -> None:
        self.settings = settings
        self.thread_id = thread_id
        self.session = session_id(user, thread_id)
        self.model = model
        self.lock = asyncio.Lock()
        self.approval_actions: list[Any] = []
        """The Approve / Reject actions shown for the pending order (UI objects)."""
        self._stack: ExitStack | None = None
        self._app: App | None = None
        self._lock = ThreadLock(chat_dir(settings) / "locks", thread_id)

    @property
    def app(self) -> App:
        if self._app is None:
            raise TradepitError("the chat session is not open")
        return self._app

    @property
    def is_open(self) -> bool:
        return self._app is not None

    def open(self) -> ChatSession:
        """Take the conversation's lock (ConversationBusyError when another session holds
        it) and wire the app."""
        self._lock.acquire()
        try:
            self._open_app()
        except BaseException:
            self._lock.release()
            raise
        log.info("chat session open", extra={"session": self.session, "backend": self.model})
        return self

    def _open_app(self) -> None:
        stack = ExitStack()
        try:
            self._app = stack.enter_context(
                open_app(self.settings, model=self.model, account_id=account_for(self.thread_id))
            )
        except BaseException:
            stack.close()
            raise
        self._stack = stack

    def _close_app(self) -> None:
        stack, self._stack, self._app = self._stack, None, None
        if stack is not None:
            stack.close()

    def close(self) -> None:
        try:
            self._close_app()
        finally:
            self._lock.release()

    def switch_model(self, spec: str) -> None:
        """Rewire with model `spec` (the lock is kept); the conversation carries on."""
        previous = self.model
        self._close_app()
        self.model = spec
        try:
            self._open_app()
        except TradepitError:
            self.model = previous
            self._open_app()
            raise

    # -- turns -----------------------------------------------------------------------------

    def chat(self, text: str, listener: Listener | None = None) -> Reply:
        return self.app.service.chat(self.session, text, listener=listener)

    def resolve(self, approved: bool, by: str, listener: Listener | None = None) -> Reply:
        return self.app.service.resolve(self.session, approved, by=by, listener=listener)

    def pending(self) -> dict[str, Any] | None:
        return self.app.service.pending_approval(self.session)

    # -- read-only views -------------------------------------------------------------------

    def portfolio(self) -> list[dict[str, Any]]:
        """Account, positions and open orders through the same tools the model uses, as
        step dicts (name, arguments, ok, output, error_type, error)."""
        app = self.app
        app.refresh()
        steps = []
        for i, (name, args) in enumerate(PORTFOLIO_CALLS):
            call = ToolCall(id=f"portfolio-{i}", name=name, arguments=json.dumps(args))
            result = execute(app.service.deps, app.service.tools, call)
            steps.append(
                {
                    "name": name,
                    "arguments": call.arguments,
                    "ok": result.ok,
                    "output": result.output,
                    "error_type": result.error_type,
                    "error": result.error,
                }
            )
        return steps

    def symbols(self) -> list[str]:
        return self.app.watched()

    def price_chart(self, request: ChartRequest) -> charts.Chart:
        app = self.app
        bars, first = charts.chart_bars(
            app.feed, request.symbol, request.start, request.end, app.clock.now()
        )
        return charts.price_chart(bars, request.symbol, request.indicators, first)

    def backtest_chart(self, output: dict[str, Any]) -> charts.Chart:
        """The equity curve of a backtest the agent ran (a `run_backtest` step's output)."""
        app = self.app
        result = rerun_backtest(app.feed, output)
        closes = app.feed.get_bars(output["symbol"], "1Day")["close"]
        return charts.equity_chart(result, closes)
