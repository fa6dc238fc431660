"""Views the UI answers itself, without the model: the portfolio tables, price charts and
the last battle (each shown with the steps that produced it)."""

from __future__ import annotations

import asyncio

import chainlit as cl

from tradepit.chat_ui import render
from tradepit.chat_ui.chart_requests import ChartRequest
from tradepit.chat_ui.charts import Chart
from tradepit.chat_ui.session import ChatSession
from tradepit.chat_ui.steps import send_chart, tool_step
from tradepit.domain.errors import TradepitError


async def show_portfolio(session: ChatSession) -> None:
    steps = await asyncio.to_thread(session.portfolio)
    for step in steps:
        await tool_step(step)
    failed = [s for s in steps if not s["ok"]]
    if failed:
        await cl.ErrorMessage(content=render.step_output(failed[0])).send()
        return
    account, positions, orders = (s["output"] for s in steps)
    await cl.Message(content=render.portfolio_markdown(account, positions, orders)).send()


async def show_price_chart(session: ChatSession, request: ChartRequest) -> None:
    arguments = {
        "symbol": request.symbol,
        "indicators": list(request.indicators),
        "start": request.start.isoformat() if request.start else None,
        "end": request.end.isoformat() if request.end else None,
    }
    chart: Chart | None = None
    async with cl.Step(name="price_chart", type="tool", show_input="json") as ui:
        ui.input = render.pretty_json(arguments)
        try:
            chart = await asyncio.to_thread(session.price_chart, request)
            ui.output = chart.summary
        except (TradepitError, ValueError) as e:
            ui.output, ui.is_error = f"{type(e).__name__}: {e}", True
    if chart is None:
        await cl.Message(content=f"I could not draw that chart: {ui.output}").send()
        return
    await send_chart(chart, f"{request.symbol} chart")


async def show_battle(session: ChatSession) -> None:
    from tradepit.chat_ui import battle_view  # the battle package loads only when asked

    view = await asyncio.to_thread(battle_view.last_battle, session.app.store)
    if view is None:
        await cl.Message(content=battle_view.NO_BATTLE).send()
        return
    elements = [
        cl.Plotly(name=name, figure=figure, display="inline", size="large")
        for name, figure in view.figures
    ]
    await cl.Message(content=view.markdown, elements=elements).send()
