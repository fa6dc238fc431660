"""Recorded HTTP (hand-written cassettes) in each provider's exact wire format: the OpenAI
and Anthropic SDKs directly, then our litellm backend through the whole graph: a
multi-turn tool trajectory, 429/529 replies and malformed tool arguments."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
import yaml
from pydantic import SecretStr
from tests.integration.agent.cassettes import AUTH_HEADERS, CASSETTES, recorder
from tests.unit.agent.fakes import World

from tradepit.agent.backends.litellm import LiteLLMBackend
from tradepit.agent.service import Tick

VCR = recorder()
QUOTE_TOOL = {
    "name": "get_quote",
    "description": "Latest price of a symbol.",
    "parameters": {
        "type": "object",
        "properties": {"symbol": {"type": "string"}},
        "required": ["symbol"],
    },
}
SYSTEM = "You are tradepit's trading assistant."


def test_cassettes_hold_no_credentials():
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text()
        data = yaml.safe_load(text)
        for interaction in data["interactions"]:
            for part in ("request", "response"):
                headers = {h.lower() for h in interaction[part].get("headers", {})}
                assert headers.isdisjoint(AUTH_HEADERS), path.name
        assert "sk-" not in text, path.name


# -- the SDKs directly ----------------------------------------------------------------------


def test_openai_sdk_tool_trajectory():
    client = openai.OpenAI(api_key="sk-test-not-real", max_retries=0)
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": "what is SPX trading at?"}]  # fmt: skip
    tools = [{"type": "function", "function": QUOTE_TOOL}]
    with VCR.use_cassette("openai_tool_trajectory.yaml") as cassette:
        first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=tools)
        [call] = first.choices[0].message.tool_calls
        assert (call.function.name, json.loads(call.function.arguments)) == (
            "get_quote",
            {"symbol": "SPX"},
        )
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"price": 2506.85}'},
        ]
        second = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert cassette.all_played
    assert second.choices[0].message.content.startswith("SPX last closed at 2506.85")
    assert second.usage.prompt_tokens == 1268


def test_openai_sdk_429_and_malformed_arguments():
    client = openai.OpenAI(api_key="sk-test-not-real", max_retries=0)
    messages = [{"role": "user", "content": "quote SPX"}]
    with VCR.use_cassette("openai_errors.yaml"):
        with pytest.raises(openai.RateLimitError) as limited:
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert limited.value.status_code == 429
        assert limited.value.body["code"] == "rate_limit_exceeded"
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    arguments = reply.choices[0].message.tool_calls[0].function.arguments
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)


def test_anthropic_sdk_tool_trajectory():
    client = anthropic.Anthropic(api_key="sk-ant-test-not-real", max_retries=0)
    tools = [{"name": "get_quote", "description": QUOTE_TOOL["description"],
              "input_schema": QUOTE_TOOL["parameters"]}]  # fmt: skip
    messages = [{"role": "user", "content": "what is SPX trading at?"}]
    with VCR.use_cassette("anthropic_tool_trajectory.yaml") as cassette:
        first = client.messages.create(
            model="claude-sonnet-4-6", max_tokens=1024, system=SYSTEM, tools=tools,
            messages=messages,
        )  # fmt: skip
        assert first.stop_reason == "tool_use"
        use = next(b for b in first.content if b.type == "tool_use")
        assert (use.name, use.input) == ("get_quote", {"symbol": "SPX"})
        messages += [
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                          "content": '{"price": 2506.85}'}]},
        ]  # fmt: skip
        second = client.messages.create(
            model="claude-sonnet-4-6", max_tokens=1024, system=SYSTEM, messages=messages
        )
        assert cassette.all_played
    assert second.stop_reason == "end_turn"
    assert second.content[0].text.startswith("SPX last closed at 2506.85")
    assert (first.usage.input_tokens, first.usage.output_tokens) == (1482, 68)


def test_anthropic_sdk_429_529_and_bad_input():
    client = anthropic.Anthropic(api_key="sk-ant-test-not-real", max_retries=0)
    ask = {"model": "claude-sonnet-4-6", "max_tokens": 1024,
           "messages": [{"role": "user", "content": "quote SPX"}]}  # fmt: skip
    with VCR.use_cassette("anthropic_errors.yaml"):
        with pytest.raises(anthropic.RateLimitError) as limited:
            client.messages.create(**ask)
        assert limited.value.body["error"]["type"] == "rate_limit_error"
        with pytest.raises(anthropic.OverloadedError):
            client.messages.create(**ask)
        reply = client.messages.create(**ask)
    assert reply.content[0].input == {"ticker": "SPX"}  # not what the schema asks for


# -- through litellm and the whole graph ----------------------------------------------------


def backend(model: str) -> LiteLLMBackend:
    return LiteLLMBackend(model, api_key=SecretStr("sk-test-not-real"), max_attempts=3,
                          backoff_s=0.0)  # fmt: skip


@pytest.mark.parametrize(
    ("model", "cassette", "prices"),
    [
        ("gpt-4o-mini", "openai_tool_trajectory.yaml", (0.15e-6, 0.6e-6)),
        ("anthropic/claude-sonnet-4-6", "anthropic_tool_trajectory.yaml", (3e-6, 15e-6)),
    ],
)
def test_litellm_tool_trajectory_through_the_graph(world: World, model, cassette, prices):
    service = world.service(backend(model))
    with VCR.use_cassette(cassette) as played:
        reply = service.chat("s1", "what is SPX trading at?")
        assert played.all_played
    assert reply.status == "answered"
    assert reply.text.startswith("SPX last closed at 2506.85")
    [step] = reply.steps
    assert step["name"] == "get_quote" and step["ok"] and step["output"]["symbol"] == "SPX"
    calls = world.store.list_model_calls("chat-s1")
    assert len(calls) == 2
    for call in calls:  # cost from litellm's bundled (offline) price list
        expected = call.input_tokens * prices[0] + call.output_tokens * prices[1]
        assert float(call.cost_usd) == pytest.approx(expected, rel=1e-9)
        assert call.input_tokens > 1000 and call.latency_s > 0


def test_litellm_openai_429_retry_then_malformed_arguments_corrected(world: World):
    service = world.service(backend("gpt-4o-mini"))
    with VCR.use_cassette("openai_errors.yaml") as played:
        reply = service.chat("s1", "quote SPX")
        assert played.all_played
    assert reply.status == "answered" and reply.text == "SPX last closed at 2506.85."
    assert [s["error_type"] for s in reply.steps] == ["MalformedArgumentsError", None]
    assert reply.usage["corrections"] == 1


def test_litellm_anthropic_429_529_retries_then_validation_error_corrected(world: World):
    service = world.service(backend("anthropic/claude-sonnet-4-6"))
    with VCR.use_cassette("anthropic_errors.yaml") as played:
        reply = service.chat("s1", "quote SPX")
        assert played.all_played
    assert reply.text == "SPX last closed at 2506.85."
    first = reply.steps[0]
    assert first["error_type"] == "ValidationError" and "symbol" in first["error"]
    assert reply.steps[1]["ok"]


def test_litellm_persistent_429_aborts_the_cycle(world: World):
    service = world.service(backend("anthropic/claude-sonnet-4-6"), symbols=["SPX"])
    limited = VCR.use_cassette("anthropic_errors.yaml", allow_playback_repeats=True)
    with limited as cassette:
        # only the 429 matches a first request; repeats replay it on every attempt
        cassette.data = cassette.data[:1]
        reply = service.cycle("run-429", Tick(cycle=0))
    assert reply.status == "aborted" and reply.error_type == "ModelUnavailableError"
    assert "RateLimitError after 3 attempts" in reply.text
    [record] = world.store.list_decisions("run-429")
    assert record.decision.action == "abort"
