"""Model backends: litellm (providers and local servers), rules (offline), replay.

`make_backend(spec, settings)` picks one by its spec: ``rules:<strategy>``,
``rules:<strategy>+recall`` (consults its memory before entries), ``replay:<run>`` or a
litellm model string (optionally ``<model>@<base_url>``).
Heavy imports (litellm) happen only when that backend is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.agent.backends.base import AssistantTurn, ModelBackend, ToolCall, Usage
from tradepit.domain.errors import ConfigError

if TYPE_CHECKING:
    from tradepit.config import Settings
    from tradepit.storage import Store

__all__ = ["AssistantTurn", "ModelBackend", "ToolCall", "Usage", "make_backend"]


def make_backend(
    spec: str, settings: Settings | None = None, store: Store | None = None
) -> ModelBackend:
    """The backend for `spec`. `replay:` reads the recorded calls from `store` (or the
    configured database); litellm specs read keys and options from `settings`."""
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if kind == "rules":
        from tradepit.agent.backends.rules import RulesBackend
        from tradepit.agent.backends.rules_recall import SUFFIX, RulesRecallBackend

        if rest.endswith(SUFFIX):
            return RulesRecallBackend(rest.removesuffix(SUFFIX) or "supertrend")
        return RulesBackend(rest or "supertrend")
    if kind == "replay":
        from tradepit.agent.backends.replay import ReplayBackend

        if not rest:
            raise ConfigError("replay needs a run id: replay:<run>")
        if store is None:
            raise ConfigError("replay needs the store that recorded the run")
        return ReplayBackend.from_store(store, rest)
    if not spec:
        raise ConfigError("empty model spec; use rules:<strategy>, replay:<run> or a model")
    from tradepit.agent.backends.litellm import LiteLLMBackend
    from tradepit.config import Settings

    return LiteLLMBackend.from_settings(spec, settings or Settings())
