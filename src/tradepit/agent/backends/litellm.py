"""litellm backend: Claude, GPT, Grok, DeepSeek, Gemini and Qwen by model string, and any
OpenAI-compatible server (local models) by base URL.

litellm is imported lazily (its import takes seconds); the composition root sets
``LITELLM_LOCAL_MODEL_COST_MAP`` first so the cost map is read from the package, offline.
Timeouts, 429 and 5xx are retried with exponential backoff (tenacity, honouring
Retry-After) and then raise ModelUnavailableError; other provider errors raise ModelError.
With ``tool_mode="json"`` (servers without native tool calling) the tools are described in
the system prompt and the model answers with one JSON object (see `jsonmode`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from tradepit.agent.backends import jsonmode
from tradepit.agent.backends.base import AssistantTurn, ToolCall, Usage
from tradepit.agent.errors import ModelError, ModelOutputError, ModelUnavailableError
from tradepit.domain.errors import ConfigError
from tradepit.integrations.redact import Redactor, settings_redactor

if TYPE_CHECKING:
    from tradepit.config import Settings

log = logging.getLogger(__name__)

ToolMode = Literal["native", "json"]
LOCAL_KEY = "not-needed"
"""Sent to a server at a base URL when no key is configured (local servers need none)."""
_TRANSIENT = (
    "Timeout",
    "RateLimitError",
    "APIConnectionError",
    "ServiceUnavailableError",
    "InternalServerError",
    "BadGatewayError",
)


def _litellm() -> Any:
    import litellm

    litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout
    return litellm


def routable(model: str) -> None:
    """ConfigError unless litellm knows which provider serves `model` (checked offline, at
    start, instead of a failed call in every cycle)."""
    litellm = _litellm()
    try:
        litellm.get_llm_provider(model)
    except litellm.exceptions.BadRequestError:
        raise ConfigError(
            f"unknown model {model!r}: give rules:<strategy>, replay:<run>, a provider's "
            "model (gpt-4o, anthropic/claude-sonnet-4-6, xai/grok-2, deepseek/deepseek-chat, "
            "gemini/gemini-2.0-flash, dashscope/qwen-max), or for an OpenAI-compatible "
            "server openai/<model>@<base_url>"
        ) from None


def check_base_url(url: str) -> None:
    """ConfigError unless `url` is an http(s) URL with a host, without credentials, query or
    fragment (a key there would be shown and stored with the model's name: the key belongs
    in TRADEPIT_LLM_API_KEY). The messages never repeat those parts."""
    if any(mark in url for mark in "@?#"):
        raise ConfigError(
            "the base URL carries credentials, a query or a fragment, which would be shown "
            "and stored with the model's name: give the URL without them (e.g. "
            "http://127.0.0.1:8000/v1) and the key in TRADEPIT_LLM_API_KEY"
        )
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a port that is no number
    except ValueError:  # e.g. an unclosed IPv6 bracket or a port that is no number
        usable = False
    if not usable:
        raise ConfigError(
            f"base URL {url!r} is not an http(s) URL with a host (e.g. http://127.0.0.1:8000/v1)"
        )


def provider_of(model: str) -> str:
    """The provider prefix of a litellm model string ("gpt-4o" -> "openai")."""
    if "/" in model:
        return model.split("/", 1)[0]
    lowered = model.lower()
    if lowered.startswith("claude"):
        return "anthropic"
    if lowered.startswith(("gpt", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    return ""


class LiteLLMBackend:
    """A `ModelBackend` over ``litellm.completion``."""

    def __init__(
        self,
        model: str,
        *,
        api_key: SecretStr | None = None,
        base_url: str | None = None,
        tool_mode: ToolMode = "native",
        timeout_s: float = 60.0,
        max_attempts: int = 4,
        temperature: float | None = 0.0,
        backoff_s: float = 1.0,
        backoff_max_s: float = 30.0,
        name: str | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.model = model
        self.name = name or model
        self._api_key = api_key
        self.base_url = base_url
        self.tool_mode = tool_mode
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.temperature = temperature
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self._redactor = redactor or Redactor()
        """Masks the key (and, from settings, every configured secret) in provider errors
        and in the model's turns: servers echo a key back, in errors and in answers."""
        self._redactor.add(api_key)

    @classmethod
    def from_settings(cls, spec: str, settings: Settings) -> LiteLLMBackend:
        """`spec` is a litellm model string, optionally ``<model>@<base_url>``; both are
        checked here, at start, rather than failing in every cycle."""
        model, at, url = spec.partition("@")
        if at and not url:
            raise ConfigError(f"model {spec!r} has no base URL after '@'")
        base_url = url or settings.llm_base_url
        routable(model)
        if base_url:
            check_base_url(base_url)
            key = settings.llm_api_key
        else:
            key = _provider_key(model, settings)
        return cls(
            model,
            api_key=key,
            base_url=base_url,
            tool_mode=settings.llm_tool_mode,
            timeout_s=settings.llm_timeout_s,
            max_attempts=settings.llm_max_attempts,
            temperature=settings.llm_temperature,
            name=spec,
            redactor=settings_redactor(settings),
        )

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        litellm = _litellm()
        kwargs = self._request(messages, tools)
        started = time.perf_counter()
        response = self._call(litellm, kwargs)
        latency = time.perf_counter() - started
        return self._turn(litellm, response, latency)

    def _request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "timeout": self.timeout_s,
            "num_retries": 0,  # retries are ours (tenacity), so each attempt is visible
            "drop_params": True,  # e.g. temperature for models that only accept the default
        }
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key.get_secret_value()
        if self.base_url:
            kwargs["api_base"] = self.base_url
            kwargs.setdefault("api_key", LOCAL_KEY)  # OpenAI clients insist on some key
        if self.tool_mode == "json":
            kwargs["messages"] = jsonmode.to_json_messages(messages, tools)
        else:
            kwargs["messages"] = messages
            if tools:
                kwargs["tools"] = tools
        return kwargs

    def _call(self, litellm: Any, kwargs: dict[str, Any]) -> Any:
        import openai  # already imported by litellm

        transient = tuple(getattr(litellm, n) for n in _TRANSIENT)
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, transient)),
            reraise=True,
            before_sleep=_log_retry,
        )
        try:
            return retrying(litellm.completion, **kwargs)
        except transient as e:
            raise ModelUnavailableError(
                f"{self.name}: {type(e).__name__} after {self.max_attempts} attempts: "
                f"{self._short(e)}"
            ) from e
        except openai.OpenAIError as e:  # litellm's provider errors all derive from it
            raise ModelError(f"{self.name}: {type(e).__name__}: {self._short(e)}") from e

    def _short(self, error: BaseException) -> str:
        """The error's first line, at most 300 characters, the key masked."""
        text = str(error).strip().splitlines()
        return self._redactor.redact(text[0])[:300] if text else ""

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff, at least the server's Retry-After, at most backoff_max_s."""
        delay = self.backoff_s * 2 ** (state.attempt_number - 1)
        error = state.outcome.exception() if state.outcome else None
        after = _retry_after(error)
        return min(self.backoff_max_s, max(delay, after or 0.0))

    def _turn(self, litellm: Any, response: Any, latency: float) -> AssistantTurn:
        try:
            message = response.choices[0].message
        except (AttributeError, IndexError) as e:
            raise ModelOutputError(f"{self.name}: reply without a message") from e
        usage = getattr(response, "usage", None)
        tokens = Usage(
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )
        text = message.content or ""
        if self.tool_mode == "json":
            text, calls = jsonmode.parse_reply(text)
        else:
            calls = tuple(_tool_call(c, i) for i, c in enumerate(message.tool_calls or ()))
        redact = self._redactor.redact  # the turn is stored, checkpointed and shown from here
        calls = tuple(c.model_copy(update={"arguments": redact(c.arguments)}) for c in calls)
        return AssistantTurn(
            text=redact(text),
            tool_calls=calls,
            usage=tokens,
            cost_usd=self._cost(litellm, tokens),
            latency_s=latency,
            model=str(getattr(response, "model", "") or self.model),
            raw=self._redactor.redact_json(  # providers stray from the types
                response.model_dump(mode="json", warnings=False)
            ),
        )

    def _cost(self, litellm: Any, usage: Usage) -> float:
        """Dollars from litellm's bundled cost map; 0 for models it does not price
        (local servers)."""
        try:
            prompt, completion = litellm.cost_per_token(
                model=self.model,
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
            )
        except (litellm.exceptions.ModelNotMappedError, litellm.NotFoundError, ValueError):
            log.debug("no price for %s in litellm's cost map", self.model)
            return 0.0
        return float(prompt + completion)


def _provider_key(model: str, settings: Settings) -> SecretStr | None:
    """The key of `model`'s provider from Settings; ConfigError at start when neither it nor
    the provider's own variable is set (a missing key failed every cycle, after retries)."""
    provider = provider_of(model)
    key, found = settings.provider_key(provider)
    if not found:
        raise ConfigError(
            f"{model} needs an API key: set TRADEPIT_{provider.upper()}_API_KEY in the "
            "environment or .env"
        )
    return key


def _tool_call(call: Any, index: int) -> ToolCall:
    function = call.function
    arguments = function.arguments
    if not isinstance(arguments, str):
        arguments = jsonmode.dumps(arguments if arguments is not None else {})
    return ToolCall(
        id=str(getattr(call, "id", None) or f"call_{index}"),
        name=str(function.name or ""),
        arguments=arguments,
    )


def _retry_after(error: BaseException | None) -> float | None:
    """The server's Retry-After in seconds: litellm keeps the reply's headers in
    `litellm_response_headers` (its `response` is one it made up, without them)."""
    sources = (
        getattr(error, "litellm_response_headers", None),
        getattr(getattr(error, "response", None), "headers", None),
    )
    for headers in sources:
        value = {str(k).lower(): v for k, v in dict(headers or {}).items()}.get("retry-after")
        if value is None:
            continue
        try:
            return float(value)
        except ValueError:
            return None  # an HTTP date: the backoff applies
    return None


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "model call failed (attempt %d), retrying: %s",
        state.attempt_number,
        type(error).__name__,
    )
