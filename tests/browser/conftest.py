"""Browser tests of the chat UI: the real Chainlit server (`python -m tradepit.cli_chat`) in
a subprocess on a free loopback port with a temporary TRADEPIT_HOME, driven by Debian's
chromium through the playwright package (never `playwright install`). Skipped, with the
reason, when /usr/bin/chromium or playwright is missing. Screenshots go to
test-artifacts/browser/ (gitignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
STARTUP_S = 90.0

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this directory's tests, with the reason, when Debian's chromium is missing."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)"
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@dataclass(frozen=True)
class Server:
    url: str
    home: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chat server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"chat server not up after {STARTUP_S:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("chat")
    home, log = root / "home", root / "server.log"
    port = _free_port()
    env = {
        **os.environ,
        "TRADEPIT_HOME": str(home),
        "TRADEPIT_MEMORY_BACKEND": "ephemeral",
        "HF_HUB_OFFLINE": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    for name in ("TRADEPIT_CHAT_USERNAME", "TRADEPIT_CHAT_PASSWORD", "TRADEPIT_MODEL"):
        env.pop(name, None)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradepit.cli_chat", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc, log)
        yield Server(url, home, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "server.log").write_text(log.read_text())


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Module-scoped: playwright's sync API keeps an event loop running in this thread until
    it stops, and later tests (asyncio.run) need it stopped."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter) -> None:
    """The measured latency (a figure to read, not an assertion)."""
    latency = ARTIFACTS / "latency.txt"
    if latency.exists() and terminalreporter.stats.get("passed"):
        terminalreporter.write_sep("-", "chat UI latency")
        terminalreporter.write_line(latency.read_text().strip())
