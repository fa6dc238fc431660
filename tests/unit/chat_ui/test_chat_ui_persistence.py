"""Conversation history on SQLite through Chainlit's SQLAlchemy data layer."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from pathlib import Path

from chainlit.types import Pagination, ThreadFilter
from chainlit.user import User

from tradepit.chat_ui.persistence import DB_FILE, InlineStorage, data_layer


def test_schema_is_created(tmp_path: Path) -> None:
    data_layer(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILE) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "threads", "steps", "elements", "feedbacks"} <= names
    data_layer(tmp_path)  # idempotent


def test_inline_storage_keeps_the_content_in_the_url() -> None:
    stored = asyncio.run(InlineStorage().upload_file("k", '{"a": 1}', mime="application/json"))
    head, _, body = stored["url"].partition(",")
    assert head == "data:application/json;base64"
    assert json.loads(base64.b64decode(body)) == {"a": 1}
    assert stored["object_key"] == ""  # so reads use the stored URL


def test_a_thread_round_trips(tmp_path: Path) -> None:
    async def scenario():
        layer = data_layer(tmp_path)
        user = await layer.create_user(User(identifier="alice"))
        await layer.update_thread("th-1", name="price of MSFT", user_id=user.id)
        step = {
            "id": "s-1", "threadId": "th-1", "name": "get_quote", "type": "tool",
            "streaming": False, "input": '{"symbol": "MSFT"}', "output": '{"price": 83.87}',
            "createdAt": "2026-01-01T00:00:00Z", "showInput": "json", "metadata": {},
        }  # fmt: skip
        await layer.create_step.__wrapped__(layer, step)  # outside a Chainlit session
        threads = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id))
        thread = await layer.get_thread("th-1")
        await layer.engine.dispose()
        return threads, thread

    threads, thread = asyncio.run(scenario())
    assert [t["id"] for t in threads.data] == ["th-1"]
    assert thread["name"] == "price of MSFT" and thread["userIdentifier"] == "alice"
    assert [(s["name"], s["output"]) for s in thread["steps"]] == [
        ("get_quote", '{"price": 83.87}')
    ]
