"""Suite-wide set-up: offline guards and shared fixtures.

Network access is refused by pytest-socket (see `addopts` in pyproject.toml): only
loopback hosts may be reached, so a test that tries the internet fails loudly.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
