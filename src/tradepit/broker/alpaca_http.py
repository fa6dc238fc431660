"""Plumbing shared by the Alpaca adapters: hardened alpaca-py REST clients and the
translation of vendor errors into `tradepit.domain.errors`.

alpaca-py retries 429/504 by itself (sleeping 3 s) and sends requests without a timeout;
`harden` switches both off/on so that retries, waits and timeouts are ours (`Resilience`).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

import requests
from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from urllib3.exceptions import NewConnectionError

from tradepit.broker.resilience import AmbiguousRequestError
from tradepit.domain.errors import (
    BrokerUnavailableError,
    ConfigError,
    DataError,
    DuplicateClientOrderIdError,
    InsufficientBuyingPowerError,
    OrderNotFoundError,
    OrderRejectedError,
    RateLimitedError,
    TradepitError,
    UnknownSymbolError,
)

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 10.0
Api = Literal["trading", "data"]


class _TimeoutSession(requests.Session):
    """A requests Session whose requests time out after `timeout` seconds by default."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def harden(client: RESTClient, timeout: float = DEFAULT_TIMEOUT) -> RESTClient:
    """No hidden retries inside alpaca-py and a timeout on every request (alpaca-py 0.44
    keeps both in private attributes; a test pins them)."""
    if not hasattr(client, "_retry") or not hasattr(client, "_session"):
        raise ConfigError("unsupported alpaca-py version: REST client internals changed")
    client._retry = 0
    client._session = _TimeoutSession(timeout)
    return client


def _body(error: APIError) -> tuple[Any, str]:
    text = str(error)
    try:
        body = json.loads(text)
    except ValueError:
        return None, text.strip()
    if isinstance(body, dict):
        return body.get("code"), str(body.get("message") or text).strip()
    return None, text.strip()


def _retry_after(error: APIError) -> float | None:
    response = error.response
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request surely did not reach the server (the connection failed)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    stack: list[BaseException] = [error]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError):
            return True
        linked = (getattr(item, "reason", None), item.__cause__, item.__context__, *item.args)
        stack.extend(x for x in linked if isinstance(x, BaseException))
    return False


def translate(
    error: Exception,
    what: str,
    *,
    api: Api = "trading",
    client_order_id: str | None = None,
    symbol: str | None = None,
) -> TradepitError:
    """The domain error for an alpaca-py / requests exception (`what` names the call)."""
    if isinstance(error, APIError):
        return _from_api_error(error, what, api, client_order_id, symbol)
    if isinstance(error, requests.RequestException):
        if _never_sent(error):
            return BrokerUnavailableError(f"{what}: cannot connect to Alpaca ({error})")
        kind = "timed out" if isinstance(error, requests.Timeout) else "connection failed"
        return AmbiguousRequestError(f"{what}: {kind} after sending ({error})")
    raise TypeError(f"not an Alpaca transport error: {error!r}") from error


def _from_api_error(
    error: APIError, what: str, api: Api, client_order_id: str | None, symbol: str | None
) -> TradepitError:
    status = error.status_code or 0
    code, message = _body(error)
    detail = f"{what}: Alpaca {status}: {message}"
    if status == 429:
        return RateLimitedError(detail, _retry_after(error))
    if status >= 500:
        return AmbiguousRequestError(detail)
    if status == 401:
        return ConfigError(
            f"{detail}. Check ALPACA_API_KEY / ALPACA_SECRET_KEY and ALPACA_BASE_URL "
            "(paper keys only work with the paper URL)"
        )
    if api == "data":
        return _data_error(status, message, detail, symbol)
    lowered = message.lower()
    if status == 404:
        return OrderNotFoundError(detail)
    if "client_order_id" in lowered and ("unique" in lowered or "duplicate" in lowered):
        return DuplicateClientOrderIdError(client_order_id or "?")
    if "buying power" in lowered:
        return InsufficientBuyingPowerError(message)
    reason = f"alpaca_{code}" if code else f"http_{status}"
    return OrderRejectedError(reason, message)


def _data_error(status: int, message: str, detail: str, symbol: str | None) -> TradepitError:
    if status == 403:
        return ConfigError(f"{detail} (the data feed needs a subscription; try feed 'iex')")
    if symbol is not None and (status == 404 or "symbol" in message.lower()):
        return UnknownSymbolError(symbol)
    return DataError(detail)
