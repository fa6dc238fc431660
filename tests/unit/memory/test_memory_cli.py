"""`tradepit memory list|search|forget` on the memory the settings configure."""

from __future__ import annotations

import json

import pytest
import typer
from tests.unit.memory.conftest import T0, situation
from typer.testing import CliRunner

from tradepit import cli_memory
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.memory.errors import MemoryUnavailableError
from tradepit.memory.service import Memory
from tradepit.memory.vector import open_client


@pytest.fixture
def app(tmp_path, monkeypatch) -> typer.Typer:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    memory = Memory.open(Settings())
    memory.remember("user:alice", "Never hold more than 3 tech stocks.", T0)
    memory.remember("user:alice", "Keep 20% of the account in cash.", T0)
    memory.record_decision("agent:main", situation(), "buy", T0, rationale="breakout")
    memory.close()
    main = typer.Typer()
    main.command()(lambda: None)  # a second command keeps `memory` a sub-command
    cli_memory.register(main)
    return main


def invoke(app: typer.Typer, *args: str):
    return CliRunner().invoke(app, ["memory", *args])


def test_list_namespaces_and_entries(app):
    spaces = json.loads(invoke(app, "list", "--json").stdout)
    assert spaces == [
        {"namespace": "agent:main", "entries": 1},
        {"namespace": "user:alice", "entries": 2},
    ]
    entries = json.loads(invoke(app, "list", "-n", "user:alice", "--json").stdout)
    assert {e["text"] for e in entries} == {
        "Never hold more than 3 tech stocks.",
        "Keep 20% of the account in cash.",
    }
    table = invoke(app, "list", "-n", "agent:main", "--kind", "decision")
    assert table.exit_code == 0 and "pending" in table.stdout


def test_search_ranks_by_relevance(app):
    result = invoke(app, "search", "how much cash", "-n", "user:alice", "-k", "1", "--json")
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.stdout)
    assert hit["text"] == "Keep 20% of the account in cash." and 0 < hit["score"] <= 1


def test_forget_by_prefix_and_all(app):
    entries = json.loads(invoke(app, "list", "-n", "user:alice", "--json").stdout)
    target = next(e for e in entries if "cash" in e["text"])
    result = invoke(app, "forget", "-n", "user:alice", target["id"][:10])
    assert result.exit_code == 0 and "forgot 1 entry" in result.stdout
    assert invoke(app, "forget", "-n", "user:alice").exit_code == 2  # neither ids nor --all
    assert "forgot 1 entry" in invoke(app, "forget", "-n", "user:alice", "--all").stdout
    spaces = json.loads(invoke(app, "list", "--json").stdout)
    assert spaces == [{"namespace": "agent:main", "entries": 1}]


def test_errors_are_one_line(app):
    result = invoke(app, "search", "x", "-n", "not a namespace")
    assert result.exit_code == 2 and "malformed memory namespace" in result.output
    assert invoke(app, "forget", "-n", "user:alice", "zzz").exit_code == 1


def test_backend_settings(tmp_path):
    with pytest.raises(ConfigError, match="switched off"):
        open_client(Settings(_env_file=None, home=tmp_path, memory_backend="off"))
    with pytest.raises(ConfigError, match="needs TRADEPIT_MEMORY_SERVER_URL"):
        open_client(Settings(_env_file=None, home=tmp_path, memory_backend="server"))
    bad = Settings(_env_file=None, memory_backend="server", memory_server_url="ftp://x")
    with pytest.raises(ConfigError, match="http"):
        open_client(bad)
    down = Settings(_env_file=None, memory_backend="server", memory_server_url="http://127.0.0.1:9")
    with pytest.raises(MemoryUnavailableError, match=r"127\.0\.0\.1:9"):
        open_client(down)
