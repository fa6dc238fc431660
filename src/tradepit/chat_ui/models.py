"""Model backends offered in the chat settings: the built-in offline models always, a
provider's models only when its key is configured, and the configured default first."""

from __future__ import annotations

from dataclasses import dataclass

from tradepit.config import Settings
from tradepit.strategies import STRATEGIES

PROVIDER_MODELS: dict[str, tuple[str, ...]] = {
    "anthropic_api_key": ("anthropic/claude-sonnet-4-6",),
    "openai_api_key": ("gpt-4o",),
    "xai_api_key": ("xai/grok-4",),
    "deepseek_api_key": ("deepseek/deepseek-chat",),
    "gemini_api_key": ("gemini/gemini-2.5-pro",),
    "dashscope_api_key": ("dashscope/qwen-max",),
}
"""Settings key field -> litellm model strings offered when that key is set."""


@dataclass(frozen=True)
class ModelChoices:
    default: str
    specs: tuple[str, ...]


def offline_models() -> tuple[str, ...]:
    return tuple(f"rules:{name}" for name in STRATEGIES)


def _configured(settings: Settings, field: str) -> bool:
    secret = getattr(settings, field, None)
    return secret is not None and bool(secret.get_secret_value().strip())


def model_choices(settings: Settings) -> ModelChoices:
    """`settings.model` first (the offline rules model unless configured otherwise), then
    the offline models, then the real models whose keys are configured."""
    specs = [settings.model, *offline_models()]
    for field, models in PROVIDER_MODELS.items():
        if _configured(settings, field):
            specs.extend(models)
    return ModelChoices(settings.model, tuple(dict.fromkeys(specs)))


def describe_model(spec: str) -> str:
    """A short label: "rules:supertrend (offline, built in)", "gpt-4o (litellm)"."""
    kind = spec.partition(":")[0]
    if kind == "rules":
        return f"{spec} (offline, built in)"
    if kind == "replay":
        return f"{spec} (replay of a recorded run)"
    return f"{spec} (litellm)"
