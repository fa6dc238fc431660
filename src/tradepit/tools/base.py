"""What a tool is: a typed input model, a typed output model and a function.

The function's docstring is the text the model reads; the input model's fields (with their
descriptions) are the schema. Dependencies (broker, feed, clock, store, gate, budget) come
in through `AgentDeps` and never appear in a model-facing schema.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class ToolInput(BaseModel):
    """Base of tool inputs: strict (unknown fields are an error the model is told about)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolOutput(BaseModel):
    """Base of tool outputs: compact, JSON-serialisable summaries, never raw dumps."""

    model_config = ConfigDict(extra="forbid")


In = TypeVar("In", bound=ToolInput)
Out = TypeVar("Out", bound=ToolOutput)


@dataclass(frozen=True)
class Tool(Generic[In, Out]):
    name: str
    input_model: type[In]
    output_model: type[Out]
    fn: Callable[[AgentDeps, In], Out]
    places_orders: bool = False
    """Order tools go through the risk gate and, in chat, may need a person's approval."""

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "").strip()

    def __call__(self, deps: AgentDeps, args: In) -> Out:
        return self.fn(deps, args)
