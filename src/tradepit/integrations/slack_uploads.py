"""Chart images into Slack: `Uploader` (the bot's file uploads) and `ChartNotifier` (a
Web API notifier whose messages are followed by a chart).

Uploads go through slack_sdk's `files_upload_v2`: ``files.getUploadURLExternal`` (file name,
length, alt text), the bytes POSTed to the upload URL it returns, then
``files.completeUploadExternal`` (title, channel, thread). The bot token needs the scope
``files:write``. A failed upload is logged (secrets masked) and reported as False: the text
it goes with has already been posted. Incoming webhooks cannot carry files: notifications
through them stay text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackRequestError

from tradepit.domain.errors import TradepitError
from tradepit.integrations.redact import Redactor
from tradepit.integrations.render import clip

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from tradepit.integrations.events import NotifyEvent
    from tradepit.integrations.images import Png
    from tradepit.integrations.notify import Notifier

log = logging.getLogger(__name__)
ALT_TEXT_LIMIT = 1000
"""Slack's limit on an image's alt text."""


class Uploader:
    """Uploads PNG charts to a channel or a thread; title, alt text and name redacted."""

    def __init__(self, client: WebClient, redactor: Redactor | None = None) -> None:
        self.client = client
        self.redactor = redactor or Redactor()

    def upload(self, channel: str, png: Png, thread: str | None = None) -> bool:
        """Upload `png` into `channel` (in `thread`, when given); False when Slack refused
        it or could not be reached (logged)."""
        redact = self.redactor.redact
        where = f"{channel} (thread {thread})" if thread else channel
        try:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                content=png.data,
                filename=redact(png.filename),
                title=clip(redact(png.title), 250),
                alt_txt=clip(redact(png.alt), ALT_TEXT_LIMIT),
            )
        except SlackApiError as e:
            error = redact(str(e.response.get("error") or e.response.status_code))
            log.warning("chart %s not uploaded to %s: Slack answered %s", png.filename, where,
                        error)  # fmt: skip
            return False
        except (SlackRequestError, URLError, OSError) as e:  # upload POST refused, network
            reason = redact(f"{type(e).__name__}: {e}")[:300]
            log.warning("chart %s not uploaded to %s: %s", png.filename, where, reason)
            return False
        log.info("chart %s uploaded to %s (%d bytes)", png.filename, where, len(png.data))
        return True


Chart = Callable[["NotifyEvent"], "Png | None"]
"""The chart an event gets (None: none)."""


class ChartNotifier:
    """A notifier posting to one Slack channel through the Web API (a `SlackApiNotifier`),
    whose messages are followed by the chart `chart(event)` draws, if any. The message is
    delivered (or its `NotifyError` raised) as before; a chart that cannot be drawn or
    uploaded is logged and does not fail the delivery."""

    def __init__(self, notifier: Notifier, uploader: Uploader, channel: str, chart: Chart):
        self.notifier = notifier
        self.uploader = uploader
        self.channel = channel
        self.chart = chart

    @property
    def name(self) -> str:
        return self.notifier.name

    def send(self, event: NotifyEvent) -> None:
        self.notifier.send(event)
        try:
            png = self.chart(event)
        except (TradepitError, ValueError) as e:
            reason = self.uploader.redactor.redact(f"{type(e).__name__}: {e}")[:300]
            log.warning("no chart for the %s notification to %s: %s", event.kind, self.name,
                        reason)  # fmt: skip
            return
        if png is not None:
            self.uploader.upload(self.channel, png)

    def close(self) -> None:
        self.notifier.close()
