"""The Slack bot's behaviour, independent of how requests arrive (Bolt wires it in `slack.py`).

- Mentions and DMs: `on_message` -> `AgentService.chat` on the session of the thread and
  its author (`slack_threads`); the reply goes to the thread, followed by its chart images
  (a backtest, the account's equity; `slack_charts`). An order needing approval is posted
  with Approve / Reject buttons.
- Buttons: `on_decision` -> approvers only; the click resumes the paused graph
  (`AgentService.resolve`) and the thread shows what the broker answered. A click after the
  expiry, or `expire_due` (run periodically), rejects the order.
- `/tradepit` subcommands: `on_command` (see `slack_commands`).
- Fills: `poll_fills` posts the fills of orders placed from a thread into that thread.

Every outgoing payload is redacted (every secret of the settings masked) before it leaves;
an image is uploaded after its text, so a failed upload (logged) never loses the answer.
Agent turns run one at a time (one lock): the graph, the paper broker and the store are
shared, and Slack is acknowledged before a turn starts, so nobody waits on Slack's 3 s.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from tradepit.agent.service import Reply
from tradepit.clock import SystemClock
from tradepit.domain.errors import TradepitError
from tradepit.domain.models import Fill
from tradepit.integrations import slack_blocks as kit
from tradepit.integrations.events import OrderFilled
from tradepit.integrations.notify_slack import escape, slack_payload
from tradepit.integrations.redact import Redactor
from tradepit.integrations.slack_access import RateLimiter, RecentSet, SlackPolicy
from tradepit.integrations.slack_battle import BattleBoard
from tradepit.integrations.slack_charts import SlackCharts
from tradepit.integrations.slack_commands import SlashCommands
from tradepit.integrations.slack_threads import (
    Approvals,
    ButtonValue,
    PendingApproval,
    button_value,
    read_button_value,
    session_id,
    thread_of_order,
)
from tradepit.integrations.slack_uploads import Uploader

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from tradepit.bootstrap import App
    from tradepit.domain.ports import Clock
    from tradepit.integrations.images import Png

log = logging.getLogger(__name__)

CHART_TOOLS = frozenset({"get_quote", "get_bars", "get_indicators", "get_signal", "run_backtest"})
CHART_BARS = 60
_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
REFUSED = {
    "channel": "tradepit does not serve this channel (see TRADEPIT_SLACK_ALLOWED_CHANNELS).",
    "dm": "tradepit does not answer direct messages here.",
    "user": "You are not on tradepit's allow-list (TRADEPIT_SLACK_ALLOWED_USERS).",
}
EXPIRED = ":hourglass: Expired: rejected without being sent."
NOT_APPROVER = "Only approvers (TRADEPIT_SLACK_APPROVERS) may approve or reject orders."

Respond = Callable[..., Any]
"""Bolt's `respond` (posts to the request's response_url)."""
Leaderboard = Callable[[], BattleBoard | None]


@dataclass(frozen=True)
class Origin:
    """Who sent a request, from where."""

    team: str | None
    channel: str | None
    user: str | None
    dm: bool = False


def clean_text(text: str) -> str:
    """A Slack message as the user typed it: mentions removed, entities unescaped."""
    text = _MENTION.sub("", text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


class Poster:
    """The Web API calls the bot makes, each payload redacted first."""

    def __init__(self, client: WebClient, redactor: Redactor) -> None:
        self.client = client
        self.redactor = redactor
        self.uploader = Uploader(client, redactor)

    def safe(self, text: str, blocks: list | None) -> dict[str, Any]:
        return self.redactor.redact_json({"text": text, "blocks": blocks or []})

    def post(
        self, channel: str, text: str, blocks: list | None = None, thread: str | None = None
    ) -> str:
        """Post a message; its ts."""
        payload = self.safe(text, blocks)
        response = self.client.chat_postMessage(
            channel=channel, thread_ts=thread, text=payload["text"], blocks=payload["blocks"]
        )
        return str(response.get("ts"))

    def update(self, channel: str, ts: str, text: str, blocks: list) -> None:
        payload = self.safe(text, blocks)
        self.client.chat_update(
            channel=channel, ts=ts, text=payload["text"], blocks=payload["blocks"]
        )

    def ephemeral(self, channel: str, user: str, text: str, thread: str | None = None) -> None:
        self.client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread, text=self.redactor.redact(text)
        )

    def upload(self, channel: str, pngs: Sequence[Png], thread: str | None = None) -> int:
        """Upload chart images (after their text); how many Slack took (failures logged)."""
        return sum(self.uploader.upload(channel, png, thread) for png in pngs)


class SlackBot:
    """See the module docstring. `clock` is the wall clock (expiry, rate limits)."""

    def __init__(
        self,
        core: App,
        client: WebClient,
        policy: SlackPolicy,
        *,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
        leaderboard: Leaderboard | None = None,
    ) -> None:
        self.core = core
        self.service = core.service
        self.policy = policy
        self.clock = clock or SystemClock()
        self.poster = Poster(client, redactor or Redactor())
        self.charts = SlackCharts(core, self.poster.redactor.redact)
        self.approvals = Approvals()
        self.limiter = RateLimiter(policy.rate_limit_per_min, self.clock)
        self._events = RecentSet(self.clock, ttl_s=3600)
        self._fills = RecentSet(self.clock, ttl_s=7 * 86400)
        self.leaderboard: Leaderboard = leaderboard or (lambda: None)
        self._order_threads: dict[str, tuple[str, str]] = {}
        self._fills_since = core.clock.now()
        self.lock = threading.RLock()
        """Held around every use of the service, the broker and the store."""
        self.commands = SlashCommands(self)

    # -- admission -------------------------------------------------------------------------

    def admit(
        self, origin: Origin, respond: Respond | None = None, thread: str | None = None
    ) -> bool:
        """True when `origin` is served and within its rate limit; else tells the user
        why (except other workspaces, ignored) and returns False."""
        refusal = self.policy.refusal(origin.team, origin.channel, origin.user, dm=origin.dm)
        if refusal == "team":
            log.warning("ignored a request from workspace %s", origin.team)
            return False
        if refusal is not None:
            log.info("refused (%s): %s in %s", refusal, origin.user, origin.channel)
            self._tell(origin, REFUSED[refusal], respond, thread)
            return False
        wait = self.limiter.hit(origin.user or "")
        if wait is not None:
            log.info("rate limited: %s", origin.user)
            self._tell(origin, f"Too many requests: try again in {math.ceil(wait)} s.", respond)
            return False
        return True

    def _tell(
        self, origin: Origin, text: str, respond: Respond | None, thread: str | None = None
    ) -> None:
        """An ephemeral note to the user (through `respond` when there is one)."""
        if respond is not None:
            respond(text=self.poster.redactor.redact(text), response_type="ephemeral")
            return
        if origin.channel and origin.user:
            try:
                self.poster.ephemeral(origin.channel, origin.user, text, thread)
            except SlackApiError as e:
                log.warning("could not tell %s: %s", origin.user, e.response.get("error"))

    # -- messages --------------------------------------------------------------------------

    def on_message(
        self, origin: Origin, text: str, ts: str, thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> None:  # fmt: skip
        """A mention or a DM: one chat turn on the thread's conversation."""
        if event_id and not self._events.add(event_id):
            log.info("ignored a retried event %s", event_id)
            return
        thread = thread_ts or ts
        if not self.admit(origin, thread=thread):
            return
        self.converse(origin, thread, clean_text(text))

    def converse(self, origin: Origin, thread: str, text: str) -> None:
        """Run `text` as a chat turn of its author's session in the thread (see
        `slack_threads`: every Slack user has a memory of their own) and post the outcome."""
        assert origin.team and origin.channel and origin.user
        channel = origin.channel
        if not text:
            self.poster.post(channel, "tradepit help", [kit.section(kit.HELP)], thread)
            return
        session = session_id(origin.team, origin.user, channel, thread)
        with self.lock:
            superseded = self.approvals.pop(session)
            reply = self._run(channel, thread, lambda: self.service.chat(session, text))
        if superseded is not None:
            self._close(superseded, ":fast_forward: Rejected: a new message replaced it.")
        if reply is not None:
            self.deliver(origin.user, session, channel, thread, reply)

    def _run(self, channel: str, thread: str, turn: Callable[[], Reply]) -> Reply | None:
        """Run one agent turn; an error is posted to the thread (secrets masked)."""
        try:
            return turn()
        except TradepitError as e:
            text = f":warning: {type(e).__name__}: {e}"
        except Exception as e:
            log.exception("agent turn failed in %s/%s", channel, thread)
            text = f":warning: internal error ({type(e).__name__}); see the logs."
        self.poster.post(channel, text, [kit.section(escape(text))], thread)
        return None

    def deliver(
        self, owner: str | None, session: str, channel: str, thread: str, reply: Reply
    ) -> None:
        """Post a reply of `owner`'s session in its thread, then its chart images; an
        approval request gets its buttons (which carry `owner`)."""
        self._track_orders(reply, channel, thread)
        if reply.status != "awaiting_approval" or not reply.approval:
            text, blocks = kit.reply_blocks(reply, self._charts(reply))
            self.poster.post(channel, text, blocks, thread)
            with self.lock:
                pngs = self.charts.for_reply(reply)
            self.poster.upload(channel, pngs, thread)
            return
        approval = reply.approval
        expires = self.clock.now() + timedelta(seconds=self.policy.approval_ttl_s)
        value = button_value(str(approval.get("call_id")), expires, owner)
        blocks = kit.approval_blocks(approval, owner, expires, value)
        text = f"Order waiting for approval: {approval.get('summary', '')}"
        ts = self.poster.post(channel, escape(text), blocks, thread)
        self.approvals.add(
            PendingApproval(
                session,
                channel,
                thread,
                ts,
                str(approval.get("call_id")),
                approval,
                owner,
                expires,
            )
        )

    def _charts(self, reply: Reply) -> dict[str, list[float]]:
        """The last closes of each symbol a market tool looked at (point in time)."""
        symbols = [
            str(s["symbol"])
            for s in reply.steps
            if s.get("name") in CHART_TOOLS and s.get("ok") and s.get("symbol")
        ]
        charts: dict[str, list[float]] = {}
        for symbol in dict.fromkeys(symbols):
            try:
                bars = self.core.feed.get_bars(symbol)
            except TradepitError:
                continue
            closes = [float(x) for x in bars["close"].tail(CHART_BARS)]
            if len(closes) > 1:
                charts[symbol] = closes
        return charts

    def _track_orders(self, reply: Reply, channel: str, thread: str) -> None:
        for step in reply.steps:
            order = step.get("order") or {}
            for o in (order, *(order.get("legs") or ())):
                if o.get("client_order_id"):
                    self._order_threads[str(o["client_order_id"])] = (channel, thread)

    # -- approvals -------------------------------------------------------------------------

    def on_decision(
        self, origin: Origin, approve: bool, value: str, message_ts: str, thread_ts: str | None
    ) -> None:
        """An Approve / Reject click on an approval message."""
        thread = thread_ts or message_ts
        if not self.admit(origin, thread=thread):
            return
        if not self.policy.may_approve(origin.user):
            log.warning("%s is not an approver", origin.user)
            self._tell(origin, NOT_APPROVER, None, thread)
            return
        assert origin.team and origin.channel
        token = read_button_value(value)
        session = self._session_of(origin, thread, token)
        with self.lock:
            pending = self.service.pending_approval(session) if session else None
            if token is None or pending is None or pending.get("call_id") != token.call_id:
                self._stale(origin, message_ts, thread)
                return
            assert session is not None
            self.approvals.pop(session)
            if self.clock.now().timestamp() >= token.expires:
                reply = self._run(origin.channel, thread, lambda: self._expire(session))
                outcome = EXPIRED
            else:
                who = f"slack:{origin.user}"
                reply = self._run(
                    origin.channel, thread, lambda: self.service.resolve(session, approve, by=who)
                )
                mark, verb = (":white_check_mark:", "Approved") if approve else (":x:", "Rejected")
                outcome = f"{mark} {verb} by {kit.mention(origin.user)}"
        clicked = PendingApproval(
            session, origin.channel, thread, message_ts, token.call_id, pending, None,
            self.clock.now(),
        )  # fmt: skip
        self._close(clicked, outcome)
        if reply is not None:
            self.deliver(token.user, session, origin.channel, thread, reply)

    @staticmethod
    def _session_of(origin: Origin, thread: str, token: ButtonValue | None) -> str | None:
        """The session an approval button's order waits in: its requester's in the thread."""
        if token is None or not origin.team or not origin.channel:
            return None
        try:
            return session_id(origin.team, token.user, origin.channel, thread)
        except ValueError:
            log.warning("an approval button names no valid session (user %r)", token.user)
            return None

    def _expire(self, session: str) -> Reply:
        return self.service.reject(session, by="system", note="approval expired")

    def _stale(self, origin: Origin, message_ts: str, thread: str) -> None:
        """A click on a button whose order is no longer waiting: remove the buttons."""
        note = "This order is no longer waiting for approval."
        assert origin.channel
        try:
            self.poster.update(
                origin.channel, message_ts, note, [kit.section(f":grey_question: {note}")]
            )
        except SlackApiError as e:
            log.warning("could not update the approval message: %s", e.response.get("error"))
        self._tell(origin, note, None, thread)

    def _close(self, pending: PendingApproval, outcome: str) -> None:
        """Replace an approval message's buttons with its outcome."""
        try:
            self.poster.update(
                pending.channel,
                pending.message_ts,
                f"Order approval closed: {escape(str(pending.approval.get('summary', '')))}",
                kit.resolved_blocks(pending.approval, outcome),
            )
        except SlackApiError as e:
            log.warning("could not update the approval message: %s", e.response.get("error"))

    def expire_due(self) -> int:
        """Reject every approval past its expiry (and say so in its thread); how many."""
        expired = 0
        for pending in self.approvals.due(self.clock.now()):
            with self.lock:
                waiting = self.service.pending_approval(pending.session)
                reply = None
                if waiting is not None and waiting.get("call_id") == pending.call_id:
                    reply = self._run(
                        pending.channel,
                        pending.thread_ts,
                        lambda p=pending: self._expire(p.session),
                    )
                    expired += 1
            self._close(pending, EXPIRED)
            if reply is not None:
                self.deliver(
                    pending.requested_by, pending.session, pending.channel, pending.thread_ts,
                    reply,
                )  # fmt: skip
        return expired

    # -- fills -----------------------------------------------------------------------------

    def poll_fills(self) -> int:
        """Post the broker's new fills of orders placed from Slack threads; how many."""
        with self.lock:
            fills = self.core.broker.get_fills(since=self._fills_since)
        if fills:
            self._fills_since = max(f.timestamp for f in fills)
        return self.post_fills(fills)

    def post_fills(self, fills: Sequence[Fill]) -> int:
        posted = 0
        for fill in fills:
            where = self._order_threads.get(fill.client_order_id) or thread_of_order(
                fill.client_order_id
            )
            if where is None or not self._fills.add(fill.id):
                continue
            event = OrderFilled(
                at=fill.timestamp, account_id=self.core.broker.get_account().id, fill=fill
            )
            payload = slack_payload(event)
            self.poster.post(where[0], payload["text"], payload["blocks"], where[1])
            posted += 1
        return posted

    # -- slash commands --------------------------------------------------------------------

    def on_command(self, origin: Origin, text: str, respond: Respond) -> None:
        """``/tradepit <verb> [args]`` (see `slack_commands`)."""
        if self.admit(origin, respond):
            self.commands.run(origin, text, respond)
