"""When is a daily summary due? After a session's close, before the next session opens,
once per session. Sent sessions are remembered per account in a JSON file (under
`settings.home`), so a restart never sends a summary twice and one run's summary never
stands for another account's."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tradepit.domain.ports import Clock
from tradepit.integrations.events import DailySummary
from tradepit.integrations.market_calendar import last_closed_session, next_session, session_open

if TYPE_CHECKING:
    from tradepit.config import Settings
    from tradepit.integrations.hub import DeliveryReport

log = logging.getLogger(__name__)
KEEP = 400
"""Sessions remembered (more than a year and a half)."""


class SummarySchedule:
    """Decides whether the summary of a session is due, and remembers the ones sent."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Clock, account_id: str | None = None
    ) -> SummarySchedule:
        """The schedule of `account_id` (default: settings.account_id)."""
        account = account_id or settings.account_id
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account)
        return cls(settings.home / "notify" / f"daily_summaries-{safe}.json", clock)

    def due(self, now: datetime | None = None) -> date | None:
        """The session whose summary is due now, or None (not closed yet, already sent, or
        the next session has opened: a stale summary is skipped)."""
        now = now or self.clock.now()
        session = last_closed_session(now)
        if now >= session_open(next_session(session)) or self.was_sent(session):
            return None
        return session

    def was_sent(self, session: date) -> bool:
        return session.isoformat() in self._load()

    def mark_sent(self, session: date) -> None:
        """Remember `session` (atomic write: a crash leaves the old file or the new one)."""
        sent = sorted(self._load() | {session.isoformat()})[-KEEP:]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sent": sent}), encoding="utf-8")
        os.replace(tmp, self.path)

    def run(
        self,
        build: Callable[[date], DailySummary],
        publish: Callable[[DailySummary], DeliveryReport],
    ) -> DeliveryReport | None:
        """Build and publish the due summary, if any. The session counts as sent when a
        target got it (or none is configured); when every target failed it stays due."""
        session = self.due()
        if session is None:
            return None
        report = publish(build(session))
        if report.delivered or report.ok:
            self.mark_sent(session)
        return report

    def _load(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as e:
            log.warning("unreadable %s (%s): treating every summary as unsent", self.path, e)
            return set()
        return {str(day) for day in data.get("sent", [])} if isinstance(data, dict) else set()
