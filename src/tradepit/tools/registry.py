"""The tool registry: the default tools, their schemas (OpenAI and Anthropic formats),
`execute` for one tool call and `approval_request` for chat orders above the threshold.

Schemas are compacted (no titles, no ``$defs``, ``Optional[X]`` shown as ``X``) so that all
tools together (16 with the memory tools `recall` and `remember`) stay within the token
budget measured by `schema_tokens`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tradepit.domain.errors import TradepitError
from tradepit.domain.models import Order, OrderRequest, RiskVerdict
from tradepit.tools import (
    cancel_order,
    check_risk,
    close_position,
    get_account,
    get_bars,
    get_indicators,
    get_last_decision,
    get_orders,
    get_positions,
    get_quote,
    get_signal,
    get_strategy_config,
    place_order,
    recall,
    run_backtest,
)
from tradepit.tools._common import resolve_symbol
from tradepit.tools._orders import OrderArgs, check, estimated_notional, resize_phrase
from tradepit.tools.base import Tool, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.backends.base import ToolCall
    from tradepit.agent.deps import AgentDeps

log = logging.getLogger(__name__)

_MODULES = (
    get_quote, get_bars, get_indicators, get_signal, get_account, get_positions, get_orders,
    check_risk, place_order, cancel_order, close_position, run_backtest, get_strategy_config,
    get_last_decision, recall,
)  # fmt: skip
MEMORY_TOOLS = frozenset({"recall", "remember"})
"""Offered only with a memory (`default_tools(memory=True)`)."""
TOKEN_MODEL = "gpt-4o"
"""Tokenizer used to measure schemas and prompts (litellm's offline tokenizer)."""


def default_tools(memory: bool = True) -> list[Tool]:
    """Every built-in tool, in a stable order; without `memory`, no recall/remember."""
    tools = [*(module.TOOL for module in _MODULES), recall.REMEMBER_TOOL]
    return tools if memory else [t for t in tools if t.name not in MEMORY_TOOLS]


def tools_by_name(tools: Iterable[Tool]) -> dict[str, Tool]:
    return {tool.name: tool for tool in tools}


# -- schemas ------------------------------------------------------------------------------


def input_schema(tool: Tool) -> dict[str, Any]:
    """The compact JSON schema of a tool's input model (a fresh copy each call)."""
    return copy.deepcopy(_schema_of(tool.input_model))


@cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema()
    schema = _compact(raw, raw.get("$defs", {}))
    schema.pop("$defs", None)
    schema.setdefault("properties", {})
    return schema


_DROPPED = frozenset(
    {"title", "$defs", "additionalProperties", "exclusiveMinimum", "exclusiveMaximum"}
)
"""Schema keys left out to save tokens; validation still enforces them (extra="forbid",
gt/lt bounds) and reports violations to the model."""


def _compact(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_compact(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _compact(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    out = {k: _compact(v, defs) for k, v in node.items() if k not in _DROPPED}
    options = out.get("anyOf")
    if options is not None:
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            out.pop("anyOf")
            out = {**kept[0], **out}
    if out.get("default", 0) is None:
        out.pop("default")
    return out


def describe(tool: Tool) -> str:
    """The model-facing description: the docstring on one line."""
    return " ".join(tool.description.split())


def openai_schemas(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """OpenAI function-calling format: ``{"type": "function", "function": {...}}``."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": describe(t),
                "parameters": input_schema(t),
            },
        }
        for t in tools
    ]


def anthropic_schemas(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """Anthropic tools format: ``{"name", "description", "input_schema"}``."""
    return [
        {"name": t.name, "description": describe(t), "input_schema": input_schema(t)} for t in tools
    ]


def count_tokens(text: str = "", tools: list[dict[str, Any]] | None = None) -> int:
    """Tokens of `text` (+ OpenAI-format `tools`) with litellm's offline tokenizer.
    litellm is imported here, lazily: its import takes seconds."""
    import litellm

    messages = [{"role": "user", "content": text}]
    total = litellm.token_counter(model=TOKEN_MODEL, messages=messages, tools=tools)
    if not tools:
        return total
    return total - litellm.token_counter(model=TOKEN_MODEL, messages=messages) + text_tokens(text)


def text_tokens(text: str) -> int:
    """Tokens of `text` alone (no message framing), with the same tokenizer."""
    import litellm

    return litellm.token_counter(model=TOKEN_MODEL, text=text) if text else 0


def schema_tokens(tools: Sequence[Tool], fmt: Literal["openai", "anthropic"]) -> int:
    """Tokens the schemas cost: OpenAI format as litellm counts tools in a request,
    Anthropic format as the tokens of its JSON text."""
    if fmt == "openai":
        return count_tokens("", openai_schemas(tools))
    return text_tokens(json.dumps(anthropic_schemas(tools), separators=(",", ":")))


# -- execution ----------------------------------------------------------------------------


class ToolResult(BaseModel):
    """One executed tool call: `content` is the JSON text the model sees."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    call_id: str
    name: str
    ok: bool
    content: str
    error_type: str | None = None
    error: str | None = None
    output: dict[str, Any] | None = None
    verdict: RiskVerdict | None = None
    order: Order | None = None

    def to_message(self) -> dict[str, Any]:
        """This result as an OpenAI-format tool message."""
        return {"role": "tool", "tool_call_id": self.call_id, "content": self.content}


def _failure(call: ToolCall, error_type: str, error: str) -> ToolResult:
    content = json.dumps({"error": error_type, "message": error})
    return ToolResult(
        call_id=call.id, name=call.name, ok=False, content=content, error_type=error_type,
        error=error,
    )  # fmt: skip


def validation_message(error: ValidationError) -> str:
    """Pydantic errors as ``field.path: message`` items, for the model to correct."""
    items = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "arguments"
        items.append(f"{where}: {e['msg']}")
    return "; ".join(items)


def parse_arguments(tool: Tool, arguments: str) -> BaseModel:
    """The validated input model; ValidationError (or ValueError for bad JSON)."""
    text = arguments.strip() or "{}"
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"arguments must be a JSON object, got {type(data).__name__}")
    return tool.input_model.model_validate(data)


def execute(deps: AgentDeps, tools: Mapping[str, Tool], call: ToolCall) -> ToolResult:
    """Run one tool call. Malformed JSON, invalid arguments, unknown tools and every
    `TradepitError` become a failed `ToolResult` the model can read; other exceptions are
    bugs and propagate."""
    tool = tools.get(call.name)
    if tool is None:
        return _failure(call, "UnknownToolError", f"no tool {call.name!r}; use: {', '.join(tools)}")
    try:
        args = parse_arguments(tool, call.arguments)
    except ValidationError as e:
        return _failure(call, "ValidationError", validation_message(e))
    except ValueError as e:
        return _failure(call, "MalformedArgumentsError", f"arguments are not valid JSON: {e}")
    try:
        output = tool(deps, args)
    except ValidationError as e:  # e.g. an order the domain refuses to build
        return _failure(call, "ValidationError", validation_message(e))
    except TradepitError as e:
        log.info("tool %s failed: %s", call.name, e, extra={"run": deps.run_id})
        return _failure(call, type(e).__name__, str(e))
    return _success(call, output)


def _success(call: ToolCall, output: ToolOutput) -> ToolResult:
    return ToolResult(
        call_id=call.id,
        name=call.name,
        ok=True,
        content=output.model_dump_json(exclude_none=True),
        output=output.model_dump(mode="json", exclude_none=True),
        verdict=getattr(output, "record_verdict", None),
        order=getattr(output, "record_order", None),
    )


# -- approvals ----------------------------------------------------------------------------


class ApprovalRequest(BaseModel):
    """An order waiting for a person's approval (chat, above the notional threshold)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str
    tool: str
    request: OrderRequest
    notional: Decimal
    verdict: RiskVerdict

    @property
    def summary(self) -> str:
        r = self.verdict.adjusted_request or self.request
        size = f"{r.qty}" if r.qty is not None else f"${r.notional}"
        extras = "".join(
            f" {name} {value}"
            for name, value in (("stop", r.stop_loss), ("target", r.take_profit))
            if value is not None
        )
        head = f"{r.side} {size} {r.symbol} {r.type} (~${self.notional:,.2f}){extras}"
        asked, changes = self.request.notional, []
        if asked is not None:
            changes.append(f"${asked:,.2f}".removesuffix(".00") + f" → {size} {r.symbol}")
        changes += [p for x in self.verdict.reasons if (p := resize_phrase(x.code, x.message))]
        return "; ".join([head, *changes])


def approval_request(
    deps: AgentDeps, tools: Mapping[str, Tool], call: ToolCall
) -> ApprovalRequest | None:
    """The approval to ask for before running `call`, or None when none is needed: not
    chat, not an order tool, arguments invalid (execute will report them), the gate
    denies (nothing would be sent) or the estimated notional is within the threshold."""
    tool = tools.get(call.name)
    if deps.mode != "chat" or tool is None or not tool.places_orders:
        return None
    try:
        request, closing = _order_request(deps, tool, call)
        verdict = check(deps, request, closing=closing)
    except (ValidationError, ValueError, TradepitError):
        return None
    if not verdict.approved:
        return None
    notional = estimated_notional(deps, verdict)
    if notional <= deps.approval_notional:
        return None
    return ApprovalRequest(
        call_id=call.id, tool=call.name, request=request, notional=notional, verdict=verdict
    )


def _order_request(deps: AgentDeps, tool: Tool, call: ToolCall) -> tuple[OrderRequest, bool]:
    """The request `call` would send, and whether it closes a whole position."""
    args = parse_arguments(tool, call.arguments)
    if isinstance(args, OrderArgs):
        return place_order.request_of(deps, args), False
    symbol = resolve_symbol(deps, getattr(args, "symbol", ""))
    return close_position.closing_request(deps, symbol), True
