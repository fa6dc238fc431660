"""The summary schedule: due once per session after the close, remembered across restarts,
skipped when stale, kept due when every target failed; end to end to a Slack webhook."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import SecretStr
from tests.unit.integrations.conftest import SLACK_HOOK_PATH, Reply

from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.models import TradingState
from tradepit.integrations.events import AccountSummary, DailySummary
from tradepit.integrations.hub import NotificationHub, Route
from tradepit.integrations.notify import RetryPolicy
from tradepit.integrations.notify_slack import SlackWebhookNotifier
from tradepit.integrations.schedule import SummarySchedule
from tradepit.integrations.summary import build_daily_summary
from tradepit.storage import Store

TUE, WED = date(2024, 3, 5), date(2024, 3, 6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def schedule(
    tmp_path, now: datetime, account: str | None = None
) -> tuple[SummarySchedule, ReplayClock]:
    clock = ReplayClock(now)
    settings = Settings(_env_file=None, home=tmp_path)
    return SummarySchedule.from_settings(settings, clock, account), clock


def test_due_once_per_session_and_across_restarts(tmp_path):
    plan, clock = schedule(tmp_path, utc(2024, 3, 5, 20, 0))
    assert plan.due() is None  # Tuesday not closed; Monday's is stale (Tuesday has opened)
    clock.advance_to(utc(2024, 3, 5, 21, 0))
    assert plan.due() == TUE
    plan.mark_sent(TUE)
    assert plan.due() is None
    restarted, _ = schedule(tmp_path, utc(2024, 3, 6, 1, 0))
    assert restarted.due() is None
    assert (tmp_path / "notify" / "daily_summaries-paper-default.json").exists()


def test_each_account_has_its_own_summaries(tmp_path):
    """One file for every run: a second live run in the same home never got its own
    account's summary."""
    first, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 0), "paper-run-a")
    first.mark_sent(TUE)
    second, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 0), "paper-run-b")
    assert first.due() is None and second.due() == TUE


def test_a_summary_missed_until_the_next_open_is_skipped(tmp_path):
    plan, clock = schedule(tmp_path, utc(2024, 3, 9, 12, 0))  # Saturday
    assert plan.due() == date(2024, 3, 8)  # Friday's, not sent yet
    clock.advance_to(utc(2024, 3, 11, 13, 29))  # Monday before the open (EDT: 13:30 UTC)
    assert plan.due() == date(2024, 3, 8)
    clock.advance_to(utc(2024, 3, 11, 13, 30))
    assert plan.due() is None


def _summary(day: date) -> DailySummary:
    row = AccountSummary(account_id="acct-1", equity=Decimal(1), day_pnl=Decimal(0))
    return DailySummary(at=utc(2024, 3, 5, 21, 0), session=day, accounts=(row,))


class Flaky:
    name = "flaky"

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.sent: list[date] = []

    def send(self, event) -> None:
        from tradepit.integrations.notify import NotifyUnavailableError

        if self.fail:
            raise NotifyUnavailableError(self.name, "down")
        self.sent.append(event.session)

    def close(self) -> None:
        pass


def test_run_keeps_the_session_due_while_every_target_fails(tmp_path):
    plan, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 5))
    target = Flaky(fail=True)
    hub = NotificationHub([Route(target)])
    report = plan.run(_summary, hub.publish)
    assert report is not None and not report.ok
    assert plan.due() == TUE
    target.fail = False
    assert plan.run(_summary, hub.publish).ok
    assert plan.run(_summary, hub.publish) is None  # sent once only
    assert target.sent == [TUE]


def test_run_marks_sent_when_no_target_is_configured(tmp_path):
    plan, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 5))
    assert plan.run(_summary, NotificationHub([]).publish).ok
    assert plan.due() is None


def test_unreadable_state_file_counts_as_nothing_sent(tmp_path):
    plan, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 5))
    plan.path.parent.mkdir(parents=True)
    plan.path.write_text("{not json")
    assert plan.due() == TUE
    plan.mark_sent(TUE)
    assert plan.due() is None


def test_end_to_end_summary_to_a_slack_webhook(tmp_path, slack_hook, sleeps):
    with Store.from_url(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        store.migrate()
        store.record_equity("acct-1", utc(2024, 3, 4, 21), Decimal(1000), Decimal(1000))
        store.record_equity("acct-1", utc(2024, 3, 5, 21), Decimal(1010), Decimal(1010))
        slack_hook.queue(Reply.of_text(429, "rate_limited", **{"Retry-After": "2"}))
        notifier = SlackWebhookNotifier(
            SecretStr(slack_hook.url + SLACK_HOOK_PATH), retry=RetryPolicy(sleep=sleeps)
        )
        hub = NotificationHub([Route(notifier)])
        plan, _ = schedule(tmp_path, utc(2024, 3, 5, 21, 1))
        report = plan.run(
            lambda day: build_daily_summary(store, "acct-1", day, TradingState.ACTIVE),
            hub.publish,
        )
    assert report is not None and report.delivered == ("slack-webhook",)
    assert sleeps == [2.0] and len(slack_hook.requests) == 2
    blocks = slack_hook.requests[-1].json["blocks"]
    assert blocks[0]["text"]["text"] == ":information_source: Daily summary 2024-03-05 (XNYS close)"
    assert blocks[2]["fields"][2]["text"] == "*Day P&amp;L*\n+10.00 (+1.00%)"
    assert plan.due() is None
