"""One memory per Slack user: every thread of a user recalls what that user asked the bot to
remember, in channels and DMs alike; no other user ever does, not even in the same thread."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.slack.conftest import Rig, build_rig
from tests.integration.slack.fakes import FakeSlack, event_body, mention_event

from tradepit.agent.backends.base import AssistantTurn, ToolCall

CHANNEL, ALICE, BOB = "C0TRADE1", "U0ALICE1", "U0BOB0001"
NOTE = "Never hold more than three tech stocks at once"


class NotesModel:
    """Calls `remember` for "remember <note>", `recall` for anything else, and answers with
    what the tool returned."""

    name = "notes"

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def complete(self, messages: list[dict[str, Any]], tools: list) -> AssistantTurn:
        last = messages[-1]
        if last["role"] == "tool":
            return AssistantTurn(text=f"memory says: {last['content']}")
        text = str(last["content"])
        name, args = ("recall", {"query": text, "k": 10})
        if text.startswith("remember "):
            name, args = "remember", {"text": text.removeprefix("remember ")}
        call = ToolCall(id=f"call-{next(self.ids)}", name=name, arguments=json.dumps(args))
        return AssistantTurn(tool_calls=(call,))


@pytest.fixture
def rig(tmp_path: Path, slack: FakeSlack) -> Iterator[Rig]:
    for rig in build_rig(tmp_path, slack, memory_backend="ephemeral"):
        rig.core.service.backend = NotesModel()
        yield rig


def say(rig: Rig, user: str, text: str, ts: str, thread: str | None = None,
        channel: str = CHANNEL) -> str:  # fmt: skip
    """Mention the bot (or DM it); the text of its reply in the thread."""
    if channel.startswith("D"):
        event: dict[str, Any] = {"type": "message", "channel_type": "im", "channel": channel,
                                 "user": user, "text": text, "ts": ts}  # fmt: skip
    else:
        event = mention_event(f"<@UBOT0001> {text}", user, channel, ts, thread)
    assert rig.dispatch(event_body(event, f"Ev{ts}"), json_body=True).status == 200
    reply = rig.slack.of("chat.postMessage")[-1].data
    assert reply["thread_ts"] == (thread or ts)
    return reply["text"]


def test_threads_of_one_user_share_a_memory_and_other_users_never_see_it(rig: Rig):
    stored = say(rig, ALICE, f"remember {NOTE}", ts="1700000001.000001")
    assert '"stored":true' in stored.replace(" ", "")
    question = "what are my rules for tech stocks?"
    # Alice's other thread, and her DM with the bot: her note
    assert NOTE in say(rig, ALICE, question, ts="1700000002.000001")
    assert NOTE in say(rig, ALICE, question, ts="1700000003.000001", channel="D0ALICE01")
    # Bob, in a thread of his own and in the thread where Alice stored it: not her note
    assert NOTE not in say(rig, BOB, question, ts="1700000004.000001")
    assert NOTE not in say(rig, BOB, question, ts="1700000005.000001", thread="1700000001.000001")
    assert '"memories":[]' in say(rig, BOB, question, ts="1700000006.000001").replace(" ", "")
    assert rig.core.memory is not None
    notes = dict(rig.core.memory.namespaces())
    assert notes.get(f"user:slack-T0TEAM01-{ALICE}") == 1
    assert f"user:slack-T0TEAM01-{BOB}" not in notes
