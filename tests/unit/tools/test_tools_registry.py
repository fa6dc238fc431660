"""The registry: schemas in both formats, their token budget, execute() and approvals."""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest
from tests.unit.tools.harness import Caller, Market, make_deps

from tradepit.agent.backends.base import ToolCall
from tradepit.domain.models import TradingState
from tradepit.tools.registry import (
    anthropic_schemas,
    approval_request,
    default_tools,
    execute,
    openai_schemas,
    schema_tokens,
)

SCHEMA_BUDGET = 1500
EXPECTED = {
    "get_quote", "get_bars", "get_indicators", "get_signal", "get_account", "get_positions",
    "get_orders", "check_risk", "place_order", "cancel_order", "close_position", "run_backtest",
    "get_strategy_config", "get_last_decision", "recall", "remember",
}  # fmt: skip


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_default_tools_are_named_and_described() -> None:
    tools = default_tools()
    assert {t.name for t in tools} == EXPECTED and len(tools) == len(EXPECTED)
    for tool in tools:
        assert 20 < len(tool.description) < 300, tool.name
    assert {t.name for t in tools if t.places_orders} == {"place_order", "close_position"}


def test_memory_tools_are_offered_only_with_a_memory() -> None:
    without = [t.name for t in default_tools(memory=False)]
    assert set(without) == EXPECTED - {"recall", "remember"}
    assert without == [t.name for t in default_tools() if t.name in without]  # same order


def test_openai_schemas_are_valid_function_definitions() -> None:
    schemas = openai_schemas(default_tools())
    for schema in schemas:
        assert schema["type"] == "function"
        fn = schema["function"]
        assert set(fn) == {"name", "description", "parameters"}
        assert fn["parameters"]["type"] == "object"
        jsonschema.Draft202012Validator.check_schema(fn["parameters"])
    for node in _walk(schemas):
        assert "$ref" not in node and "title" not in node and "anyOf" not in node


def test_anthropic_schemas_are_valid_tools() -> None:
    for schema in anthropic_schemas(default_tools()):
        assert set(schema) == {"name", "description", "input_schema"}
        assert schema["input_schema"]["type"] == "object"
        jsonschema.Draft202012Validator.check_schema(schema["input_schema"])


def test_schema_and_model_agree_on_a_valid_call() -> None:
    """Arguments valid against the emitted schema validate in the tool's model too."""
    tools = {t.name: t for t in default_tools()}
    schema = openai_schemas([tools["place_order"]])[0]["function"]["parameters"]
    args = {"symbol": "MSFT", "side": "buy", "qty": 3, "type": "limit", "limit_price": 40.5}
    jsonschema.validate(args, schema)
    assert tools["place_order"].input_model.model_validate(args).limit_price == 40.5
    assert set(schema["required"]) == {"symbol", "side"}


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
def test_all_schemas_fit_the_token_budget(fmt: str) -> None:
    tokens = schema_tokens(default_tools(), fmt)
    assert 300 < tokens <= SCHEMA_BUDGET


def test_unknown_tool(deps) -> None:
    result = execute(deps, {}, ToolCall(id="x", name="get_weather", arguments="{}"))
    assert (result.ok, result.error_type, result.call_id) == (False, "UnknownToolError", "x")
    assert json.loads(result.content)["error"] == "UnknownToolError"


@pytest.mark.parametrize(
    ("arguments", "error_type", "text"),
    [
        ("{not json", "MalformedArgumentsError", "not valid JSON"),
        ("[1, 2]", "MalformedArgumentsError", "JSON object"),
        ('{"symbol": "SPX", "lookback": "many"}', "ValidationError", "lookback:"),
        ('{"ticker": "SPX"}', "ValidationError", "ticker: Extra inputs"),
        ("{}", "ValidationError", "symbol: Field required"),
    ],
)
def test_bad_arguments_go_back_to_the_model(
    call: Caller, arguments: str, error_type: str, text: str
) -> None:
    result = call.result("get_bars", arguments)
    assert (result.ok, result.error_type) == (False, error_type)
    assert text in (result.error or "")
    assert json.loads(result.content) == {"error": error_type, "message": result.error}
    assert result.to_message() == {
        "role": "tool",
        "tool_call_id": result.call_id,
        "content": result.content,
    }


def test_empty_arguments_mean_no_arguments(call: Caller) -> None:
    assert call.result("get_account", "").ok


def _order(qty: float, name: str = "place_order", symbol: str = "MSFT") -> ToolCall:
    args = (
        {"symbol": symbol}
        if name == "close_position"
        else {"symbol": symbol, "side": "buy", "qty": qty}
    )
    return ToolCall(id="o1", name=name, arguments=json.dumps(args))


def test_approval_threshold_in_chat(market: Market, registry: dict) -> None:
    deps = make_deps(market, approval_notional=Decimal(1000))
    price = Decimal(repr(float(market.visible("MSFT")["close"].iloc[-1])))
    assert approval_request(deps, registry, _order(10)) is None  # ~430 < 1000
    request = approval_request(deps, registry, _order(100))
    assert request is not None and request.tool == "place_order" and request.call_id == "o1"
    assert request.notional == (100 * price).quantize(Decimal("0.01"))
    assert request.verdict.approved and request.request.qty == 100
    assert "buy 100 MSFT" in request.summary and "stop" in request.summary
    assert market.broker.list_orders("all") == []  # asking places nothing


def test_approval_uses_the_gates_resized_quantity(market: Market, registry: dict) -> None:
    deps = make_deps(market, approval_notional=Decimal(20_000))
    request = approval_request(deps, registry, _order(10_000))  # resized to 10% of equity
    assert request is None


@pytest.mark.parametrize(
    "deps_kwargs",
    [{"mode": "cycle"}, {"mode": "battle"}, {"approval_notional": Decimal(10**6)}],
)
def test_no_approval_outside_chat_or_below_threshold(
    market: Market, registry: dict, deps_kwargs: dict
) -> None:
    assert approval_request(make_deps(market, **deps_kwargs), registry, _order(100)) is None


def test_no_approval_for_reads_invalid_or_denied_orders(market: Market, registry: dict) -> None:
    deps = make_deps(market, approval_notional=Decimal(1))
    read = ToolCall(id="r", name="get_quote", arguments='{"symbol": "MSFT"}')
    bad = ToolCall(id="b", name="place_order", arguments='{"symbol": "MSFT"}')
    assert approval_request(deps, registry, read) is None
    assert approval_request(deps, registry, bad) is None
    assert approval_request(deps, registry, _order(1, symbol="NOPE")) is None
    deps.manual_state = TradingState.HALTED
    assert approval_request(deps, registry, _order(100)) is None  # denied: nothing to approve


def test_closing_a_large_position_asks_for_approval(market: Market, registry: dict) -> None:
    deps = make_deps(market, approval_notional=Decimal(1000))
    Caller(deps, registry)("place_order", {"symbol": "MSFT", "side": "buy", "qty": 100})
    market.step()
    request = approval_request(deps, registry, _order(0, name="close_position"))
    assert request is not None and request.request.side == "sell" and request.request.qty == 100
