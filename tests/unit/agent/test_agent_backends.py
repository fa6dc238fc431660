"""Backends without network: the spec factory, key selection, the JSON-output fallback's
message rewriting and reply parsing, and the replay of a recorded run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.unit.agent.fakes import Scripted, World, call, make_world, turn

from tradepit.agent.backends import jsonmode, make_backend
from tradepit.agent.backends.litellm import LiteLLMBackend, provider_of
from tradepit.agent.backends.replay import ReplayBackend
from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.errors import ModelOutputError, ModelUnavailableError
from tradepit.agent.service import Tick
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError


def test_make_backend_by_spec(world: World):
    assert isinstance(make_backend("rules:macd_rsi"), RulesBackend)
    assert make_backend("rules:macd_rsi").name == "rules:macd_rsi"
    llm = make_backend("xai/grok-4", Settings(xai_api_key="k-x", openai_api_key="k-o"))
    assert isinstance(llm, LiteLLMBackend) and llm._api_key.get_secret_value() == "k-x"
    with pytest.raises(ConfigError, match="no model calls recorded"):
        make_backend("replay:nothing", store=world.store)
    with pytest.raises(ConfigError):
        make_backend("replay:")
    with pytest.raises(ConfigError):
        make_backend("  ")


def test_keys_and_base_url_come_from_settings():
    settings = Settings(
        anthropic_api_key="k-a", openai_api_key="k-o", llm_api_key="k-local",
        llm_tool_mode="json",
    )  # fmt: skip
    claude = LiteLLMBackend.from_settings("anthropic/claude-sonnet-4-6", settings)
    assert claude._api_key.get_secret_value() == "k-a" and claude.base_url is None
    gpt = LiteLLMBackend.from_settings("gpt-4o-mini", settings)
    assert gpt._api_key.get_secret_value() == "k-o"
    local = LiteLLMBackend.from_settings("openai/qwen2.5@http://127.0.0.1:8000/v1", settings)
    assert local.model == "openai/qwen2.5" and local.base_url == "http://127.0.0.1:8000/v1"
    assert local._api_key.get_secret_value() == "k-local" and local.tool_mode == "json"
    assert "k-a" not in repr(settings) and "k-a" not in repr(claude.__dict__)
    assert [provider_of(m) for m in ("claude-x", "gpt-4o", "deepseek/deepseek-chat")] == [
        "anthropic",
        "openai",
        "deepseek",
    ]


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("local-model@http://127.0.0.1:8000/v1", "openai/<model>@<base_url>"),
        ("openai/local-model@", "no base URL after '@'"),
        ("openai/local-model@notaurl", "not an http\\(s\\) URL"),
        ("openai/local-model@ftp://127.0.0.1/v1", "not an http\\(s\\) URL"),
        ("openai/local-model@http://127.0.0.1:port/v1", "not an http\\(s\\) URL"),
        ("openai/local-model@http://bob:pw-SECRET-9@127.0.0.1:8000/v1", "carries credentials"),
        ("openai/local-model@http://127.0.0.1:8000/v1?key=URLPASS-SECRET", "a query"),
        ("openai/local-model@http://127.0.0.1:8000/v1?", "a query"),
        ("openai/local-model@http://127.0.0.1:8000/v1#SECRET", "a fragment"),
        ("openai/local-model@bob:pw-SECRET-9@127.0.0.1:8000/v1", "carries credentials"),
    ],
)
def test_a_model_spec_that_cannot_work_is_refused_at_start(spec: str, match: str):
    """Each of these was accepted and then failed (or went to api.openai.com with the
    OpenAI key, for the empty URL) in every cycle; a URL's password reached the run id."""
    settings = Settings(openai_api_key="k-openai-real")
    with pytest.raises(ConfigError, match=match) as caught:
        LiteLLMBackend.from_settings(spec, settings)
    assert "SECRET" not in str(caught.value)


def test_a_provider_model_without_a_key_is_refused_at_start(monkeypatch):
    """It failed every cycle after four retries, as an InternalServerError naming
    OPENAI_API_KEY; the provider's own variable is still honoured (litellm reads it)."""
    from tradepit.config import PROVIDER_KEYS

    for _, native in PROVIDER_KEYS.values():
        for name in native:
            monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="set TRADEPIT_OPENAI_API_KEY"):
        LiteLLMBackend.from_settings("gpt-4o", Settings())
    with pytest.raises(ConfigError, match="set TRADEPIT_ANTHROPIC_API_KEY"):
        LiteLLMBackend.from_settings("anthropic/claude-sonnet-4-6", Settings())
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    native = LiteLLMBackend.from_settings("gpt-4o", Settings())
    assert native._api_key is None
    monkeypatch.setenv("GOOGLE_API_KEY", "k")
    assert LiteLLMBackend.from_settings("gemini/gemini-2.0-flash", Settings())


def test_request_without_key_for_local_server_sends_a_placeholder():
    kwargs = LiteLLMBackend("openai/m", base_url="http://127.0.0.1:1/v1")._request([], [])
    assert kwargs["api_key"] == "not-needed" and kwargs["num_retries"] == 0
    keyed = LiteLLMBackend("gpt-4o", api_key=SecretStr("k"))._request([], [{"x": 1}])
    assert keyed["api_key"] == "k" and keyed["tools"] == [{"x": 1}]


SCHEMA = {"type": "object", "properties": {"symbol": {"type": "string"}}}
TOOLS = [{"type": "function", "function": {"name": "get_quote", "description": "Price.",
          "parameters": SCHEMA}}]  # fmt: skip


def test_json_mode_rewrites_the_conversation():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "SPX?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_quote", "arguments": '{"symbol": "SPX"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"price": 1}'},
    ]  # fmt: skip
    out = jsonmode.to_json_messages(messages, TOOLS)
    assert out[0]["role"] == "system" and out[0]["content"].startswith("Be brief.")
    assert '- get_quote: Price.; {"type":"object"' in out[0]["content"]
    assert json.loads(out[2]["content"]) == {
        "tool_calls": [{"name": "get_quote", "arguments": {"symbol": "SPX"}}]
    }
    assert out[3] == {"role": "user", "content": 'Result of get_quote: {"price": 1}'}
    assert all("tool_calls" not in m for m in out)


def test_json_mode_parses_replies():
    text, calls = jsonmode.parse_reply(
        '```json\n{"tool_calls": [{"name": "get_quote", "arguments": {"symbol": "SPX"}}]}\n```'
    )
    assert text == "" and calls[0].name == "get_quote"
    assert json.loads(calls[0].arguments) == {"symbol": "SPX"}
    again = jsonmode.parse_reply('{"tool_calls": [{"name": "get_quote", "arguments": {}}]}')
    assert again[1][0].id != calls[0].id  # ids differ per reply
    assert jsonmode.parse_reply('{"answer": "done"}') == ("done", ())
    assert jsonmode.parse_reply("plain words") == ("plain words", ())
    for bad in ('{"tool_calls": [', '{"neither": 1}', "[1, 2]", '{"tool_calls": [{"x": 1}]}'):
        with pytest.raises(ModelOutputError):
            jsonmode.parse_reply(bad)


def test_json_mode_finds_a_tool_call_after_prose():
    """Local models often write a sentence before the object; that was taken as a plain
    answer, and a cycle recorded the raw JSON as a hold."""
    order = '{"name": "place_order", "arguments": {"symbol": "SPX", "side": "buy", "qty": 2}}'
    text, calls = jsonmode.parse_reply('I will buy now: {"tool_calls": [' + order + "]}")
    assert text == "I will buy now:" and [c.name for c in calls] == ["place_order"]
    assert json.loads(calls[0].arguments) == {"symbol": "SPX", "side": "buy", "qty": 2}
    fenced = 'Buying.\n```json\n{"tool_calls": [' + order + "]}\n```"
    assert jsonmode.parse_reply(fenced)[0] == "Buying."
    assert jsonmode.parse_reply("a {brace} and no calls") == ("a {brace} and no calls", ())
    with pytest.raises(ModelOutputError, match="no readable object"):
        jsonmode.parse_reply('Buying: {"tool_calls": [{"name": "place_order",')


def test_replay_reproduces_a_recorded_run(tmp_path: Path):
    order = {"symbol": "SPX", "side": "buy", "qty": 2}
    original = make_world(tmp_path, db="a.db")
    model = Scripted(
        turn("", call("place_order", order), tokens=(800, 40), cost=0.01),
        turn("DECISION: SPX buy - breakout", tokens=(900, 20), cost=0.02),
        ModelUnavailableError("upstream 529"),
    )
    service = original.service(model, symbols=["SPX"])
    first = [service.cycle("orig", Tick(cycle=n)) for n in (0, 1)]
    replay_world = make_world(tmp_path, db="b.db")
    backend = ReplayBackend.from_store(original.store, "orig")
    replayed = replay_world.service(backend, symbols=["SPX"])
    second = [replayed.cycle("copy", Tick(cycle=n)) for n in (0, 1)]
    assert [(r.status, r.text, r.error_type) for r in first] == [
        (r.status, r.text, r.error_type) for r in second
    ]
    a = [(c.cycle, c.seq, c.input_tokens, c.cost_usd, c.error_type, c.response)
         for c in original.store.list_model_calls("orig")]  # fmt: skip
    b = [(c.cycle, c.seq, c.input_tokens, c.cost_usd, c.error_type, c.response)
         for c in replay_world.store.list_model_calls("copy")]  # fmt: skip
    assert a == b
    orders = replay_world.broker.list_orders("all")
    assert [o.client_order_id for o in orders if o.parent_id is None] == ["copy-0-SPX-buy"]
    with pytest.raises(ModelOutputError, match="no recorded model call at cycle 7"):
        backend.at(7, 0)
        backend.complete([], [])
    original.store.close()
    replay_world.store.close()
