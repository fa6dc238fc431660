"""Real litellm completions (tool calling) against a local OpenAI-compatible HTTP server:
native tools, the JSON-output fallback, retries on 429 and errors that abort."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from tests.integration.agent.local_llm import completion, serve
from tests.unit.agent.fakes import World

from tradepit.agent.backends.litellm import LiteLLMBackend
from tradepit.agent.errors import ModelError, ModelUnavailableError


def backend(url: str, **kw) -> LiteLLMBackend:
    kw.setdefault("backoff_s", 0.0)
    kw.setdefault("api_key", SecretStr("sk-local"))
    return LiteLLMBackend("openai/local-model", base_url=url, max_attempts=3, **kw)


def quote_then_answer(request: dict) -> tuple[int, dict]:
    tool_results = [m for m in request["messages"] if m["role"] == "tool"]
    if not tool_results:
        fn = {"name": "get_quote", "arguments": json.dumps({"symbol": "SPX"})}
        return 200, completion(tool_calls=[fn])
    quote = json.loads(tool_results[-1]["content"])
    return 200, completion(f"SPX last {quote['price']}")


def test_native_tool_calling_through_the_graph(world: World):
    with serve(quote_then_answer) as server:
        service = world.service(backend(server.url))
        reply = service.chat("s1", "price of SPX?")
    assert reply.status == "answered"
    expected = float(world.feed.latest_quote("SPX").last)
    assert reply.text.startswith("SPX last ")
    assert float(reply.text.split()[-1]) == pytest.approx(expected, rel=1e-5)
    first, second = server.requests
    assert first["model"] == "local-model"
    assert any(t["function"]["name"] == "get_quote" for t in first["tools"])
    assert second["messages"][-1]["role"] == "tool"
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_0"
    assert server.headers[0]["authorization"] == "Bearer sk-local"
    calls = world.store.list_model_calls("chat-s1")
    assert [(c.input_tokens, c.output_tokens) for c in calls] == [(321, 12), (321, 12)]
    assert all(float(c.cost_usd) == 0.0 for c in calls)  # not in litellm's cost map


def json_mode_server(request: dict) -> tuple[int, dict]:
    if "tools" in request:
        return 400, {"error": {"message": "tools are not supported", "type": "invalid"}}
    system = request["messages"][0]["content"]
    assert "Reply with ONE JSON object" in system and "- get_quote:" in system
    last = request["messages"][-1]["content"]
    if not last.startswith("Result of get_quote:"):
        call = {"tool_calls": [{"name": "get_quote", "arguments": {"symbol": "MSFT"}}]}
        return 200, completion("```json\n" + json.dumps(call) + "\n```")
    quote = json.loads(last.split(":", 1)[1])
    return 200, completion(json.dumps({"answer": f"MSFT {quote['price']}"}))


def test_json_output_fallback_for_servers_without_tools(world: World):
    with serve(json_mode_server) as server:
        reply = world.service(backend(server.url, tool_mode="json")).chat("s1", "MSFT?")
    assert reply.status == "answered", reply.text
    expected = float(world.feed.latest_quote("MSFT").last)
    assert float(reply.text.split()[-1]) == pytest.approx(expected, rel=1e-5)
    assert [s["name"] for s in reply.steps] == ["get_quote"]
    second = server.requests[1]["messages"]
    assert json.loads(second[-2]["content"])["tool_calls"][0]["name"] == "get_quote"


def test_429_is_retried_then_succeeds():
    answers = iter([(429, {"error": {"message": "slow down"}})] * 2 + [(200, completion("hi"))])
    with serve(lambda _: next(answers)) as server:
        turn = backend(server.url).complete([{"role": "user", "content": "hi"}], [])
    assert turn.text == "hi" and len(server.requests) == 3


def test_429_waits_for_the_servers_retry_after():
    """The backoff alone would retry at once (backoff_s=0); the server asked for 0.4 s."""
    answers = iter([(429, {"error": {"message": "slow down"}}), (200, completion("hi"))])
    with serve(lambda _: next(answers), retry_after="0.4") as server:
        backend(server.url).complete([{"role": "user", "content": "hi"}], [])
    first, second = server.arrivals
    assert second - first >= 0.4


def test_a_key_the_server_echoes_in_an_error_is_masked():
    key = "sk-local-SECRET-4711"
    message = f"Incorrect API key provided: {key}."
    with (
        serve(lambda _: (401, {"error": {"message": message}})) as server,
        pytest.raises(ModelError) as caught,
    ):
        backend(server.url, api_key=SecretStr(key)).complete([{"role": "user", "content": "x"}], [])
    assert key not in str(caught.value)
    assert "Incorrect API key provided: [redacted]" in str(caught.value)


def test_persistent_429_becomes_model_unavailable(world: World):
    with serve(lambda _: (429, {"error": {"message": "rate limited"}})) as server:
        service = world.service(backend(server.url), symbols=["SPX"])
        from tradepit.agent.service import Tick

        reply = service.cycle("run-429", Tick(cycle=0))
    assert len(server.requests) == 3  # max_attempts
    assert reply.status == "aborted" and reply.error_type == "ModelUnavailableError"
    assert world.store.list_decisions("run-429")[0].decision.action == "abort"


def test_auth_errors_are_not_retried():
    with (
        serve(lambda _: (401, {"error": {"message": "bad key"}})) as server,
        pytest.raises(ModelError) as caught,
    ):
        backend(server.url).complete([{"role": "user", "content": "hi"}], [])
    assert not isinstance(caught.value, ModelUnavailableError)
    assert len(server.requests) == 1


def test_malformed_arguments_from_the_server_are_corrected(world: World):
    def server_reply(request: dict) -> tuple[int, dict]:
        tools = [m for m in request["messages"] if m["role"] == "tool"]
        if not tools:
            return 200, completion(tool_calls=[{"name": "get_quote", "arguments": '{"symbol":'}])
        if len(tools) == 1:
            assert json.loads(tools[0]["content"])["error"] == "MalformedArgumentsError"
            fn = {"name": "get_quote", "arguments": '{"symbol": "SPX"}'}
            return 200, completion(tool_calls=[fn])
        return 200, completion("fixed it")

    with serve(server_reply) as server:
        reply = world.service(backend(server.url)).chat("s1", "quote")
    assert reply.text == "fixed it" and reply.usage["corrections"] == 1


def test_timeouts_are_retried_then_model_unavailable():
    import time

    def slow(_: dict) -> tuple[int, dict]:
        time.sleep(0.5)
        return 200, completion("too late")

    with serve(slow) as server:
        slow_backend = backend(server.url, timeout_s=0.1)
        with pytest.raises(ModelUnavailableError, match="Timeout after 3 attempts"):
            slow_backend.complete([{"role": "user", "content": "hi"}], [])
    assert len(server.requests) == 3


def test_run_exits_1_when_a_cycle_aborted(tmp_path, monkeypatch):
    """A persistent provider error aborts the cycle (recorded); scripts and cron jobs see
    it in the exit code, as with `ask` (it was 0)."""
    import typer
    from typer.testing import CliRunner

    from tradepit.cli_agent import register

    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    app = typer.Typer()
    register(app)
    with serve(lambda _: (401, {"error": {"message": "bad key"}})) as server:
        model = f"openai/local-model@{server.url}"
        result = CliRunner().invoke(app, ["run", "--model", model, "--symbols", "SPX", "--once"])
    assert result.exit_code == 1, result.output
    assert "1 aborted" in result.stdout


def _cli(tmp_path, monkeypatch, key: str):
    import typer

    from tradepit.cli_agent import register

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "off")
    monkeypatch.setenv("TRADEPIT_LLM_API_KEY", key)
    monkeypatch.setenv("TRADEPIT_LLM_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # keep the commands sub-commands
    return app


def test_run_shows_the_mask_of_a_key_the_server_echoes(tmp_path, monkeypatch):
    """rich took `[redacted]` for markup: the line read `Bearer ` (the mask vanished)."""
    from typer.testing import CliRunner

    key = "sk-test-SECRETllmkey789"
    app = _cli(tmp_path, monkeypatch, key)

    def echo(_: dict) -> tuple[int, dict]:
        auth = server.headers[-1]["authorization"]
        return 401, {"error": {"message": f"Incorrect API key provided: {auth}"}}

    with serve(echo) as server:
        model = f"openai/local-model@{server.url}"
        result = CliRunner().invoke(app, ["run", "--model", model, "--symbols", "SPX", "--once"])
    assert result.exit_code == 1, result.output
    shown = " ".join(result.output.split())  # rich wraps at 80 columns without a terminal
    assert "Incorrect API key provided: Bearer [redacted]" in shown
    assert "SECRETllmkey" not in result.output


def test_a_secret_in_the_models_answer_is_masked_before_it_is_stored_or_shown(
    tmp_path, monkeypatch
):
    """Only the Slack bot masked it: the CLI printed it and both databases kept it."""
    from typer.testing import CliRunner

    key = "sk-test-SECRETllmkey789"
    app = _cli(tmp_path, monkeypatch, key)
    monkeypatch.setenv("TRADEPIT_SLACK_BOT_TOKEN", "xoxb-SECRET-slack-token")

    def echo(request: dict) -> tuple[int, dict]:
        auth = server.headers[-1]["authorization"]
        if not any(m["role"] == "tool" for m in request["messages"]):
            fn = {"name": "get_quote", "arguments": json.dumps({"symbol": "SPX", "note": auth})}
            return 200, completion(tool_calls=[fn])
        return 200, completion(f"I will hold. echo: {auth}, xoxb-SECRET-slack-token")

    with serve(echo) as server:
        model = f"openai/local-model@{server.url}"
        result = CliRunner().invoke(app, ["ask", "--model", model, "hello"])
    assert result.exit_code == 0, result.output
    assert "echo: Bearer [redacted], [redacted]" in " ".join(result.stdout.split())
    assert "SECRET" not in result.output
    stored = [p for p in (tmp_path / "home").iterdir() if p.is_file()]
    assert {"tradepit.db", "checkpoints.db"} <= {p.name for p in stored}
    assert all(b"SECRET" not in p.read_bytes() for p in stored)
