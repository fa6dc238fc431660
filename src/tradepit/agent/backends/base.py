"""The model-backend protocol: one call, one assistant turn.

Messages are OpenAI-format dicts (role: system/user/assistant/tool; assistant messages may
carry ``tool_calls``; tool messages carry ``tool_call_id``). Tools are OpenAI-format function
schemas (see ``tradepit.tools.registry``). Adapters translate to their provider.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field


class ToolCall(BaseModel):
    """A tool call as the model sent it. ``arguments`` is the raw JSON text: parsing and
    validation happen in the tool node so malformed arguments can go back to the model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    arguments: str


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class AssistantTurn(BaseModel):
    """What a backend returns for one call, with its cost and latency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    model: str = ""
    raw: dict[str, Any] | None = None
    """The provider's response body (for the record and for replay)."""

    def to_message(self) -> dict[str, Any]:
        """This turn as an OpenAI-format assistant message."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        return message


class ModelBackend(Protocol):
    """A model that completes a conversation, possibly asking for tool calls.

    Raises ``tradepit.agent.errors.ModelError`` subclasses: ``ModelUnavailableError``
    (timeouts, 5xx, 429 after retries) and ``ModelOutputError`` (a reply that cannot be
    understood). Never returns a made-up "hold" on failure.
    """

    name: str

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn: ...
