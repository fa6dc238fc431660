"""`/tradepit ask|status|positions|orders|battle|halt|resume` for the Slack bot.

Answers go to the command's response URL (ephemeral, except halt and resume, which the
channel sees); `ask` opens a thread in the channel and runs the conversation there. Anyone
served may halt trading; only approvers may resume it.

`status`, `positions` (the account's equity curve) and `battle` (the competitors' equity
curves) have a chart. A file cannot be ephemeral, so the chart is uploaded only where the
answer is private anyway, in a DM with the bot; in a channel the answer says so instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from tradepit.domain.models import GLOBAL_SCOPE, TradingState
from tradepit.integrations import slack_blocks as kit
from tradepit.integrations.notify_slack import escape, slack_payload
from tradepit.integrations.slack_charts import has_curves

if TYPE_CHECKING:
    from tradepit.integrations.images import Png
    from tradepit.integrations.slack_battle import BattleBoard
    from tradepit.integrations.slack_bot import Origin, Respond, SlackBot

NO_BATTLE = "No battle yet: run `tradepit battle` first."
CHART_IN_DMS = (
    ":chart_with_upwards_trend: A chart goes with this answer in a DM with me "
    "(a file cannot be ephemeral): DM me `/tradepit {verb}`."
)


class SlashCommands:
    """The subcommands of ``/tradepit`` over a `SlackBot` (admission is the bot's)."""

    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def run(self, origin: Origin, text: str, respond: Respond) -> None:
        verb, _, rest = (text or "").strip().partition(" ")
        handlers: dict[str, Callable[[Origin, str, Respond], None]] = {
            "ask": self.ask,
            "status": self.status,
            "positions": self.positions,
            "orders": self.orders,
            "battle": self.battle,
            "halt": self.halt,
            "resume": self.resume,
        }
        handler = handlers.get(verb.lower())
        if handler is None:
            self.answer(respond, "tradepit help", [kit.section(kit.HELP)])
            return
        handler(origin, rest.strip(), respond)

    def answer(
        self, respond: Respond, text: str, blocks: list | None = None, in_channel: bool = False
    ) -> None:
        """Respond with every secret masked."""
        payload = self.bot.poster.safe(text, blocks)
        respond(
            text=payload["text"],
            blocks=payload["blocks"] or None,
            response_type="in_channel" if in_channel else "ephemeral",
        )

    def ask(self, origin: Origin, text: str, respond: Respond) -> None:
        if not text:
            self.answer(respond, "Usage: /tradepit ask <question>")
            return
        assert origin.channel
        question = f"{kit.mention(origin.user)} asked: {escape(text)}"
        try:
            ts = self.bot.poster.post(origin.channel, question, [kit.section(question)])
        except SlackApiError as e:
            why = e.response.get("error")
            self.answer(respond, f"I cannot post here ({why}): invite me or DM me.")
            return
        self.bot.converse(origin, ts, text)

    def status(self, origin: Origin, text: str, respond: Respond) -> None:
        bot = self.bot
        with bot.lock:
            self._mark()
            broker = bot.core.broker
            account = broker.get_account()
            positions, orders = broker.get_positions(), broker.list_orders("open")
            state = bot.service.trading_state(GLOBAL_SCOPE) or TradingState.ACTIVE
            png, note = self._account_chart(origin, "status")
        pending = len(bot.approvals)
        blocks = kit.status_blocks(account, state, len(positions), len(orders), pending)
        self.answer(respond, f"tradepit status: trading {state.value}", [*blocks, *note])
        self._upload(origin, png)

    def positions(self, origin: Origin, text: str, respond: Respond) -> None:
        with self.bot.lock:
            self._mark()
            positions = self.bot.core.broker.get_positions()
            png, note = self._account_chart(origin, "positions")
        rows = kit.positions_rows(sorted(positions, key=lambda p: p.symbol))
        blocks = kit.table_blocks("Open positions", rows, "None.")
        self.answer(respond, "Open positions", [*blocks, *note])
        self._upload(origin, png)

    def orders(self, origin: Origin, text: str, respond: Respond) -> None:
        with self.bot.lock:
            orders = self.bot.core.broker.list_orders("open")
        rows = kit.orders_rows(orders)
        self.answer(respond, "Open orders", kit.table_blocks("Open orders", rows, "None."))

    def battle(self, origin: Origin, text: str, respond: Respond) -> None:
        with self.bot.lock:
            board = self.bot.leaderboard()
            chart = self._battle_chart(origin, board) if board is not None else (None, [])
        if board is None:
            self.answer(respond, NO_BATTLE)
            return
        png, note = chart
        payload = slack_payload(board.event)
        self.answer(respond, payload["text"], [*payload["blocks"], *note])
        self._upload(origin, png)

    def halt(self, origin: Origin, text: str, respond: Respond) -> None:
        reason = f"{text or 'halted from Slack'} (slack:{origin.user})"
        with self.bot.lock:
            self.bot.service.set_trading_state(TradingState.HALTED, reason)
        note = f":octagonal_sign: Trading HALTED by {kit.mention(origin.user)}: {escape(text)}"
        self.answer(respond, note, [kit.section(note)], in_channel=True)

    def resume(self, origin: Origin, text: str, respond: Respond) -> None:
        if not self.bot.policy.may_approve(origin.user):
            self.answer(respond, "Only approvers may resume trading.")
            return
        with self.bot.lock:
            reason = f"resumed (slack:{origin.user})"
            self.bot.service.set_trading_state(TradingState.ACTIVE, reason)
        note = f":arrow_forward: Trading resumed by {kit.mention(origin.user)}"
        self.answer(respond, note, [kit.section(note)], in_channel=True)

    def _chart(
        self, origin: Origin, verb: str, draw: Callable[[], Png | None],
        drawable: Callable[[], bool],
    ) -> tuple[Png | None, list[dict[str, Any]]]:  # fmt: skip
        """(the chart to upload after the answer, blocks to add to the answer). In a DM, the
        chart; in a channel (a file cannot be ephemeral), a note on how to get it when there
        is one. The caller holds the bot's lock."""
        charts = self.bot.charts
        if origin.dm:
            return charts.draw(verb, draw), []
        if charts.draw(verb, drawable):
            return None, [kit.context(CHART_IN_DMS.format(verb=verb))]
        return None, []

    def _account_chart(self, origin: Origin, verb: str) -> tuple[Png | None, list]:
        charts = self.bot.charts
        return self._chart(origin, verb, charts.account, lambda: charts.account_curve() is not None)

    def _battle_chart(self, origin: Origin, board: BattleBoard) -> tuple[Png | None, list]:
        charts = self.bot.charts
        return self._chart(
            origin, "battle", lambda: charts.battle(board), lambda: has_curves(board)
        )

    def _upload(self, origin: Origin, png: Png | None) -> None:
        if png is not None and origin.channel:
            self.bot.poster.upload(origin.channel, [png])

    def _mark(self) -> None:
        """Mark the paper broker to the feed's latest prices (as each agent turn does)."""
        self.bot.core.refresh()
