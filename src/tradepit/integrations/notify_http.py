"""One JSON POST to a webhook (httpx), with the answer translated into notify errors:
2xx delivered; 429 rate limited (Retry-After header, or Discord's `retry_after` in the
body); 5xx, timeouts and network errors unavailable; any other 4xx rejected."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import SecretStr

from tradepit.integrations.events import NotifyEvent
from tradepit.integrations.notify import (
    NotifyRateLimitedError,
    NotifyRejectedError,
    NotifyUnavailableError,
    RetryPolicy,
)
from tradepit.integrations.redact import Redactor, protect_logs

MAX_CODE_CHARS = 200


def encode(payload: Any, redactor: Redactor) -> bytes:
    """The request body: compact JSON with every known secret masked."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return redactor.redact(text).encode("utf-8")


def post_json(
    client: httpx.Client, url: str, payload: Any, target: str, redactor: Redactor
) -> httpx.Response:
    """POST `payload` to `url`; return the 2xx response or raise a NotifyError."""
    body = encode(payload, redactor)
    try:
        response = client.post(url, content=body, headers={"Content-Type": "application/json"})
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise NotifyRejectedError(target, "invalid webhook URL") from None
    except httpx.TimeoutException as e:
        raise NotifyUnavailableError(target, f"timed out ({type(e).__name__})") from None
    except httpx.TransportError as e:
        reason = redactor.redact(str(e))[:MAX_CODE_CHARS]
        raise NotifyUnavailableError(target, f"{type(e).__name__}: {reason}") from None
    check(response, target, redactor)
    return response


def check(response: httpx.Response, target: str, redactor: Redactor) -> None:
    """Raise the notify error matching a non-2xx answer."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise NotifyRateLimitedError(target, retry_after(response))
    code = redactor.redact(_code(response))
    if status >= 500:
        raise NotifyUnavailableError(target, f"HTTP {status}: {code}")
    raise NotifyRejectedError(target, code, status)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: Discord's JSON `retry_after` (precise), else the Retry-After header."""
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
        return float(body["retry_after"])
    header = response.headers.get("Retry-After")
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _code(response: httpx.Response) -> str:
    """What the target said: Slack's plain-text code or Discord's JSON message and code."""
    body = _json(response)
    if isinstance(body, dict) and "message" in body:
        code = f" (code {body['code']})" if "code" in body else ""
        text = f"{body['message']}{code}"
    else:
        text = response.text.strip() or response.reason_phrase
    return text[:MAX_CODE_CHARS]


class WebhookNotifier:
    """Posts each event as JSON to a webhook URL. The URL is a secret: masked in payloads
    and in the HTTP libraries' log records, and never part of `name`. Subclasses give the
    target's `payload(event)`."""

    default_name = "webhook"

    def __init__(
        self,
        url: SecretStr,
        *,
        name: str | None = None,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        redactor: Redactor | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._url = url
        self._name = name or self.default_name
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout_s)
        self._retry = retry or RetryPolicy()
        self._redactor = redactor or Redactor()
        self._redactor.add(url)
        protect_logs(url)

    @property
    def name(self) -> str:
        return self._name

    def payload(self, event: NotifyEvent) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, event: NotifyEvent) -> None:
        payload = self.payload(event)
        url = self._url.get_secret_value()
        self._retry.call(
            self._name, lambda: post_json(self._client, url, payload, self._name, self._redactor)
        )

    def close(self) -> None:
        if self._own_client:
            self._client.close()
