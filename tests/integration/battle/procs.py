"""Processes of a battle as /proc shows them (Linux), for the signal and worker tests."""

from __future__ import annotations

import time
from pathlib import Path


def gone(pid: int, timeout: float) -> bool:
    """`pid` exited (a zombie nobody reaped counts as exited) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False
