"""Chainlit messages and steps for one turn: model calls and tool calls as steps, the
answer streamed, charts as plotly elements."""

from __future__ import annotations

from typing import Any

import chainlit as cl

from tradepit.chat_ui import render
from tradepit.chat_ui.charts import Chart


async def tool_step(step: dict[str, Any]) -> None:
    """One tool call as a Chainlit step: arguments in, result (or error) out."""
    name = str(step.get("name"))
    async with cl.Step(name=name, type="tool", show_input="json", language="json") as ui:
        ui.input = render.step_input(step)
        ui.output = render.step_output(step)
        ui.is_error = not step.get("ok")


async def model_step(model: str, update: dict[str, Any]) -> None:
    """One model call, named after the model that made it (so the model in use is visible
    on every turn): the tool calls it asked for and the turn's usage."""
    async with cl.Step(name=model, type="llm", show_input=False, language="json") as ui:
        ui.output = render.model_step(update)
        ui.is_error = (update.get("outcome") or {}).get("status") == "aborted"


async def stream_answer(text: str) -> cl.Message:
    """The answer, token by token (pieces of a few words), as one message."""
    msg = cl.Message(content="")
    for piece in render.chunks(render.plain_colons(text)):
        await msg.stream_token(piece)
    await msg.send()
    return msg


async def send_chart(chart: Chart, name: str) -> None:
    element = cl.Plotly(name=name, figure=chart.figure, display="inline", size="large")
    await cl.Message(content=chart.summary, elements=[element]).send()
