"""The Chainlit app of `tradepit chat` (loaded by Chainlit from this file's path).

Only wiring: each callback hands over to `tradepit.chat_ui.handlers`. The one module-level
value, `RUNTIME`, is read-only process configuration (settings, auth mode, model list).
"""

from __future__ import annotations

from typing import Any

import chainlit as cl
from chainlit.config import config as chainlit_config

from tradepit.chat_ui import handlers, persistence
from tradepit.chat_ui.auth import LOCAL_USER, check_password
from tradepit.chat_ui.runtime import load_runtime

RUNTIME = load_runtime(chainlit_config.run.host)

if RUNTIME.auth == "password":

    @cl.password_auth_callback
    async def login(username: str, password: str) -> cl.User | None:
        if check_password(RUNTIME.settings, username, password):
            return cl.User(identifier=username.strip(), metadata={"auth": "password"})
        return None

else:

    @cl.header_auth_callback
    async def local_user(headers: Any) -> cl.User | None:
        """Loopback only (see tradepit.chat_ui.auth): the machine's single local user."""
        return cl.User(identifier=LOCAL_USER, metadata={"auth": "local"})


@cl.data_layer
def data_layer() -> Any:
    return persistence.data_layer(RUNTIME.directory)


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list:
    return handlers.starters()


@cl.on_chat_start
async def on_chat_start() -> None:
    await handlers.start(RUNTIME)


@cl.on_chat_resume
async def on_chat_resume(thread: dict) -> None:
    await handlers.resume(RUNTIME, thread)


@cl.on_chat_end
async def on_chat_end() -> None:
    await handlers.end()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await handlers.message(RUNTIME, message)


@cl.on_settings_update
async def on_settings_update(values: dict) -> None:
    await handlers.settings_update(RUNTIME, values)


@cl.action_callback(handlers.APPROVE)
async def approve(action: cl.Action) -> None:
    await handlers.decide(RUNTIME, action, approved=True)


@cl.action_callback(handlers.REJECT)
async def reject(action: cl.Action) -> None:
    await handlers.decide(RUNTIME, action, approved=False)
