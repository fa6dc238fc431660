"""Settings, paper/live opt-in, error translation, client hardening, cassette hygiene."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient

from tradepit.broker.alpaca import AlpacaBroker, check_mode
from tradepit.broker.alpaca_http import harden, translate
from tradepit.broker.resilience import AmbiguousRequestError
from tradepit.config import LIVE_TRADING_URL, PAPER_TRADING_URL, AlpacaSettings
from tradepit.domain.errors import (
    BrokerUnavailableError,
    ConfigError,
    DataError,
    DuplicateClientOrderIdError,
    InsufficientBuyingPowerError,
    OrderNotFoundError,
    OrderRejectedError,
    RateLimitedError,
    UnknownSymbolError,
)

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "alpaca"


def keys(**extra) -> AlpacaSettings:
    return AlpacaSettings(api_key="k", secret_key="s", **extra)


def test_settings_read_the_names_alpaca_users_have(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALPACA_API_KEY", "PKTEST")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "s3cr3t-value")
    monkeypatch.setenv("ALPACA_DATA_URL", "http://127.0.0.1:9/data")
    settings = AlpacaSettings()
    assert settings.api_key.get_secret_value() == "PKTEST"
    assert settings.base_url == PAPER_TRADING_URL and settings.live is False
    assert settings.data_url == "http://127.0.0.1:9/data"
    assert "s3cr3t-value" not in repr(settings) and "PKTEST" not in repr(settings)


def test_settings_read_a_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY", "TRADEPIT_ALPACA_LIVE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("ALPACA_API_KEY=fromfile\nTRADEPIT_ALPACA_LIVE=true\n")
    settings = AlpacaSettings()
    assert settings.api_key.get_secret_value() == "fromfile" and settings.live is True


def test_paper_by_default_and_live_needs_both_switches():
    assert check_mode(keys(), confirm_live=False) is False
    live = keys(live=True, base_url=LIVE_TRADING_URL)
    assert check_mode(live, confirm_live=True) is True
    with pytest.raises(ConfigError, match="not confirmed"):
        check_mode(live, confirm_live=False)
    with pytest.raises(ConfigError, match="TRADEPIT_ALPACA_LIVE is not set"):
        check_mode(keys(), confirm_live=True)
    with pytest.raises(ConfigError, match="live API but live trading is off"):
        check_mode(keys(base_url=LIVE_TRADING_URL), confirm_live=False)
    with pytest.raises(ConfigError, match="needs ALPACA_BASE_URL"):
        check_mode(keys(live=True), confirm_live=True)  # live with the paper URL
    with pytest.raises(ConfigError, match="ALPACA_API_KEY"):
        check_mode(AlpacaSettings(api_key="", secret_key=""), confirm_live=False)


def test_broker_uses_the_configured_url_and_is_paper():
    broker = AlpacaBroker(keys(base_url="http://127.0.0.1:9"))
    assert broker.live is False
    assert broker._client._base_url == "http://127.0.0.1:9"
    with pytest.raises(ConfigError):
        AlpacaBroker(keys(live=True, base_url=LIVE_TRADING_URL))


def test_harden_pins_alpaca_py_internals():
    client = harden(TradingClient("k", "s", url_override="http://127.0.0.1:9"), timeout=1.5)
    assert client._retry == 0  # no hidden 429 retries with 3 s sleeps
    assert client._session.timeout == 1.5


def api_error(status: int, body: str, headers: dict | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = body.encode()
    return APIError(body, requests.HTTPError(response=response))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            '{"code": 40310000, "message": "insufficient buying power"}',
            InsufficientBuyingPowerError,
        ),
        (
            422,
            '{"code": 40010001, "message": "client_order_id must be unique"}',
            DuplicateClientOrderIdError,
        ),
        (422, '{"code": 42210000, "message": "qty must be > 0"}', OrderRejectedError),
        (404, '{"code": 40410000, "message": "order not found"}', OrderNotFoundError),
        (401, '{"message": "unauthorized."}', ConfigError),
        (500, '{"code": 50010000, "message": "internal server error"}', AmbiguousRequestError),
        (429, "rate limit exceeded", RateLimitedError),
    ],
)
def test_vendor_errors_become_domain_errors(status, body, expected):
    error = translate(api_error(status, body), "submit order", client_order_id="c1")
    assert type(error) is expected


def test_retry_after_header_is_kept():
    error = translate(api_error(429, "slow", {"Retry-After": "4"}), "get account")
    assert isinstance(error, RateLimitedError) and error.retry_after == 4.0


def test_data_errors_and_network_errors():
    assert isinstance(
        translate(
            api_error(400, '{"message": "invalid symbol: X"}'), "bars", api="data", symbol="X"
        ),
        UnknownSymbolError,
    )
    assert isinstance(
        translate(
            api_error(403, '{"message": "subscription does not permit"}'), "bars", api="data"
        ),
        ConfigError,
    )
    assert type(translate(api_error(400, '{"message": "bad"}'), "bars", api="data")) is DataError
    assert isinstance(translate(requests.ReadTimeout("read"), "submit"), AmbiguousRequestError)
    refused = translate(requests.ConnectTimeout("connect"), "submit")
    assert type(refused) is BrokerUnavailableError  # never sent: safe to resend


def test_cassettes_hold_no_credentials():
    texts = [path.read_text() for path in CASSETTES.glob("*.yaml")]
    assert len(texts) >= 4
    for text in texts:
        assert "APCA-API" not in text and "Authorization" not in text
        assert "test-key" not in text and "test-secret" not in text
