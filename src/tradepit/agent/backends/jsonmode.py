"""Tool calling for servers without native tools: the tools go into the system prompt and the
model replies with one JSON object, either ``{"tool_calls": [{"name": ..., "arguments":
{...}}]}`` or ``{"answer": "..."}``.

The conversation is rewritten for such servers: assistant tool calls become that JSON, tool
results become user messages. A reply that is not JSON at all is taken as a plain answer;
one that starts like JSON but does not parse raises ModelOutputError (never a guess). Local
models often put prose before the object ("I will buy now: {"tool_calls": ...}"): an
object with tool_calls inside the text is taken as the calls, and text that names
tool_calls without a readable object raises ModelOutputError (never a silent answer).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tradepit.agent.backends.base import ToolCall
from tradepit.agent.errors import ModelOutputError

INSTRUCTIONS = """\
You can call tools. Reply with ONE JSON object and nothing else:
- to call tools: {"tool_calls": [{"name": "<tool>", "arguments": {...}}]}
- to answer: {"answer": "<your answer>"}
Tools (name: description; JSON schema of the arguments):"""
TOOL_CALLS = '"tool_calls"'
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def describe_tools(tools: list[dict[str, Any]]) -> str:
    lines = [INSTRUCTIONS]
    for schema in tools:
        fn = schema.get("function", schema)
        description = " ".join(str(fn.get("description", "")).split())
        lines.append(f"- {fn['name']}: {description}; {dumps(fn.get('parameters', {}))}")
    return "\n".join(lines)


def to_json_messages(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The OpenAI-format conversation rewritten for a server without native tools."""
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    guide = describe_tools(tools) if tools else ""
    has_system = bool(messages) and messages[0].get("role") == "system"
    if guide and not has_system:
        out.append({"role": "system", "content": guide})
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "system" and i == 0:
            content = "\n\n".join(x for x in (message.get("content") or "", guide) if x)
            out.append({"role": "system", "content": content})
        elif role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                fn = call["function"]
                names[call["id"]] = fn["name"]
                calls.append({"name": fn["name"], "arguments": _loads_or_text(fn["arguments"])})
            out.append({"role": "assistant", "content": dumps({"tool_calls": calls})})
        elif role == "tool":
            name = names.get(message.get("tool_call_id", ""), "tool")
            content = f"Result of {name}: {message.get('content', '')}"
            out.append({"role": "user", "content": content})
        else:
            out.append({"role": role, "content": message.get("content") or ""})
    return out


def _loads_or_text(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


def parse_reply(content: str) -> tuple[str, tuple[ToolCall, ...]]:
    """(answer text, tool calls) from a JSON-mode reply."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith(("{", "[")):
        return _embedded(content.strip())
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ModelOutputError(f"JSON-mode reply does not parse: {e}: {text[:200]!r}") from e
    if not isinstance(data, dict):
        raise ModelOutputError(f"JSON-mode reply must be an object, got {type(data).__name__}")
    calls = data.get("tool_calls")
    if calls:
        return str(data.get("answer") or ""), _calls(calls, text)
    if "answer" in data:
        return str(data["answer"]), ()
    raise ModelOutputError(f"JSON-mode reply has neither tool_calls nor answer: {text[:200]!r}")


def _embedded(text: str) -> tuple[str, tuple[ToolCall, ...]]:
    """Prose with a tool-call object inside: (the prose before it, its calls); prose
    without one: (text, ())."""
    if TOOL_CALLS not in text:
        return text, ()
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            data, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("tool_calls"):
            prose = text[:start].rstrip().removesuffix("```json").removesuffix("```").strip()
            return prose, _calls(data["tool_calls"], text)
    raise ModelOutputError(
        f"JSON-mode reply names tool_calls but holds no readable object: {text[:200]!r}"
    )


def _calls(calls: Any, text: str) -> tuple[ToolCall, ...]:
    if not isinstance(calls, list):
        raise ModelOutputError("JSON-mode tool_calls must be a list")
    prefix = hashlib.sha256(text.encode()).hexdigest()[:10]
    out = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise ModelOutputError(f"JSON-mode tool call {i} has no name")
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = dumps(arguments)
        out.append(ToolCall(id=f"json_{prefix}_{i}", name=call["name"], arguments=arguments))
    return tuple(out)
