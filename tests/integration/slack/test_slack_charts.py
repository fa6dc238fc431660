"""Chart images in Slack, through Bolt's dispatch and slack_sdk's `files_upload_v2` against
the loopback Slack (files.getUploadURLExternal -> POST of the bytes to the upload URL ->
files.completeUploadExternal): a backtest's chart in its thread, the account's equity curve,
the battle's curves, a daily summary's chart; a failed upload never loses the text."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from tests.integration.slack.conftest import SECRETS, T0, Rig
from tests.integration.slack.fakes import Call, FakeSlack, command_body, event_body, mention_event

from tradepit.integrations.events import DailySummary
from tradepit.integrations.images import PNG_MAGIC, png_size
from tradepit.integrations.notify import NotifyRejectedError, RetryPolicy
from tradepit.integrations.notify_slack import SlackApiNotifier
from tradepit.integrations.redact import Redactor
from tradepit.integrations.slack_charts import summary_chart
from tradepit.integrations.slack_commands import CHART_IN_DMS
from tradepit.integrations.slack_uploads import ChartNotifier, Uploader
from tradepit.integrations.summary import build_daily_summary

CHANNEL, DM, ALICE = "C0TRADE1", "D0ALICE01", "U0ALICE1"
THREAD = "1700000100.000001"


def mention(rig: Rig, text: str, ts: str = THREAD, thread: str | None = None) -> None:
    event = mention_event(f"<@UBOT0001> {text}", ALICE, CHANNEL, ts, thread)
    assert rig.dispatch(event_body(event, f"Ev{ts}"), json_body=True).status == 200


def command(rig: Rig, text: str, channel: str) -> dict[str, Any]:
    body = command_body(text, ALICE, channel, rig.slack.response_url())
    assert rig.dispatch(body, json_body=False).status == 200
    return rig.slack.of("respond")[-1].data


def request_of(slack: FakeSlack, complete: Call) -> dict[str, Any]:
    """The files.getUploadURLExternal request of a completed upload."""
    [file] = json.loads(complete.data["files"])
    [call] = [
        c for c in slack.of("files.getUploadURLExternal") if c.answer["file_id"] == file["id"]
    ]
    return call.data


def assert_png(data: bytes, size: tuple[int, int]) -> None:
    assert data.startswith(PNG_MAGIC) and png_size(data) == size
    assert 10_000 < len(data) < 1_000_000


def record_equity(rig: Rig, values: list[float], end: datetime = T0) -> str:
    account = rig.core.account_id
    for i, value in enumerate(values):
        at = end - timedelta(days=len(values) - i)
        rig.core.store.record_equity(account, at, Decimal(str(value)), Decimal(str(value)))
    return account


def test_a_backtest_in_a_thread_gets_its_chart_after_the_text(rig: Rig):
    mention(rig, "backtest supertrend on SPX since 2015")
    [reply] = rig.slack.of("chat.postMessage")
    assert reply.data["thread_ts"] == THREAD and "supertrend" in reply.data["text"]
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["channel_id"] == CHANNEL and complete.data["thread_ts"] == THREAD
    assert_png(png, (900, 750))
    asked = request_of(rig.slack, complete)
    assert asked["filename"] == "backtest-supertrend-SPX.png" and asked["length"] == str(len(png))
    assert asked["alt_txt"].startswith("Backtest: supertrend on SPX, 2015-01-02..2017-06-01.")
    assert " trades, entries and exits marked" in asked["alt_txt"]
    order = [c.method for c in rig.slack.calls]
    assert order.index("chat.postMessage") < order.index("files.getUploadURLExternal")
    assert order[-3:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


@pytest.mark.parametrize(
    ("where", "error", "logged"),
    [
        ("files.getUploadURLExternal", "missing_scope", "Slack answered missing_scope"),
        ("upload", "500", "HTTPError: HTTP Error 500"),
        ("files.completeUploadExternal", "not_in_channel", "Slack answered not_in_channel"),
    ],
)
def test_a_failed_upload_still_posts_the_text_and_is_logged(
    rig: Rig, caplog: pytest.LogCaptureFixture, where: str, error: str, logged: str
):
    rig.slack.fail(where, error)
    with caplog.at_level(logging.WARNING, logger="tradepit.integrations.slack_uploads"):
        mention(rig, "backtest supertrend on SPX since 2015")
    [reply] = rig.slack.of("chat.postMessage")
    assert reply.data["thread_ts"] == THREAD and "supertrend" in reply.data["text"]
    assert rig.slack.uploads() == []
    [record] = [r for r in caplog.records if "not uploaded" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        f"chart backtest-supertrend-SPX.png not uploaded to {CHANNEL} (thread {THREAD}): "
    )
    assert logged in record.getMessage()


def test_portfolio_questions_get_the_equity_curve_once_there_is_one(rig: Rig):
    mention(rig, "how is my portfolio doing", ts="1700000200.000001")
    assert len(rig.slack.of("chat.postMessage")) == 1 and rig.slack.uploads() == []
    record_equity(rig, [100_000, 100_800, 99_900, 101_200])
    mention(rig, "how is my portfolio doing", ts="1700000300.000001")
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["thread_ts"] == "1700000300.000001"
    assert_png(png, (900, 450))
    alt = request_of(rig.slack, complete)["alt_txt"]
    account = rig.core.account_id
    # the stored points, then the broker's equity now (the paper account is untouched)
    assert alt == (
        f"Equity of account {account}. {account}: 100,000.00 -> 100,000.00 (+0.00%), "
        "2017-05-29..2017-06-02."
    )


def test_status_in_a_dm_uploads_the_chart_and_in_a_channel_says_where_it_is(rig: Rig):
    record_equity(rig, [100_000, 100_500, 101_000])
    in_channel = command(rig, "status", CHANNEL)
    assert in_channel["blocks"][-1]["elements"][0]["text"] == CHART_IN_DMS.format(verb="status")
    assert rig.slack.uploads() == []
    in_dm = command(rig, "positions", DM)
    assert "A chart goes with" not in json.dumps(in_dm)
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["channel_id"] == DM and "thread_ts" not in complete.data
    assert_png(png, (900, 450))


def test_the_battle_command_in_a_dm_uploads_the_equity_curves(rig: Rig):
    from tradepit.battle import BattleConfig, run_battle

    config = BattleConfig(
        models=("rules:supertrend", "rules:macd_rsi"), symbols=("SPX",),
        start=datetime(2017, 3, 1, tzinfo=UTC), end=datetime(2017, 4, 1, tzinfo=UTC),
    )  # fmt: skip
    board = run_battle(config, rig.core.store, run_id="battle-png", settings=rig.settings)
    answer = command(rig, "battle", DM)
    assert answer["text"].startswith("Battle battle-png finished: ")
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["channel_id"] == DM
    assert_png(png, (900, 450))
    alt = request_of(rig.slack, complete)["alt_txt"]
    assert alt.startswith("Battle battle-png: equity. ")
    for score in board.samples[0].scores:
        assert f"{score.name}: {config.capital:,.2f} -> {score.end_equity:,.2f}" in alt
    assert "; buy & hold: " in alt
    assert command(rig, "battle", CHANNEL)["blocks"][-1]["elements"][0]["text"] == (
        CHART_IN_DMS.format(verb="battle")
    )
    assert len(rig.slack.uploads()) == 1


def summary_notifier(rig: Rig, channel: str) -> ChartNotifier:
    client = WebClient(
        token=SECRETS["slack_bot_token"], base_url=rig.slack.api_url, retry_handlers=[]
    )
    redactor = Redactor(SECRETS.values())
    notifier = SlackApiNotifier(client, channel, retry=RetryPolicy(attempts=1))
    chart = summary_chart(rig.core.store, redactor.redact)
    return ChartNotifier(notifier, Uploader(client, redactor), channel, chart)


def test_a_daily_summary_through_the_web_api_is_followed_by_its_chart(rig: Rig):
    account = record_equity(rig, [100_000, 100_400, 100_900, 100_700], end=T0 - timedelta(days=1))
    summary = build_daily_summary(rig.core.store, account, date(2017, 6, 1))
    assert isinstance(summary, DailySummary)
    summary_notifier(rig, "C0NOTIFY1").send(summary)
    [message] = rig.slack.of("chat.postMessage")
    assert message.data["channel"] == "C0NOTIFY1"
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["channel_id"] == "C0NOTIFY1" and "thread_ts" not in complete.data
    assert_png(png, (900, 450))
    assert request_of(rig.slack, complete)["filename"] == "summary-2017-06-01.png"
    assert rig.slack.calls.index(message) < rig.slack.calls.index(complete)


def test_a_refused_summary_gets_no_chart(rig: Rig):
    record_equity(rig, [100_000, 100_400], end=T0 - timedelta(days=1))
    summary = build_daily_summary(rig.core.store, rig.core.account_id, date(2017, 6, 1))
    rig.slack.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(NotifyRejectedError, match="channel_not_found"):
        summary_notifier(rig, "C0GONE001").send(summary)
    assert rig.slack.of("files.getUploadURLExternal") == []


def test_the_configured_hub_sends_summaries_with_their_chart(rig: Rig, tmp_path):
    from tradepit.config import Settings
    from tradepit.integrations.targets import build_hub

    account = record_equity(rig, [100_000, 100_300, 100_800], end=T0 - timedelta(days=1))
    settings = Settings(
        home=tmp_path, slack_bot_token=SECRETS["slack_bot_token"],
        slack_notify_channel="C0NOTIFY1", slack_api_url=rig.slack.api_url,
        notify_max_attempts=1,
    )  # fmt: skip
    hub = build_hub(settings, store=rig.core.store)
    report = hub.publish(build_daily_summary(rig.core.store, account, date(2017, 6, 1)))
    assert report.ok and report.delivered == ("slack:C0NOTIFY1",)
    [(complete, png)] = rig.slack.uploads()
    assert complete.data["channel_id"] == "C0NOTIFY1"
    assert_png(png, (900, 450))
    without_store = build_hub(settings)
    without_store.publish(build_daily_summary(rig.core.store, account, date(2017, 6, 1)))
    assert len(rig.slack.uploads()) == 1  # no store: text only
