"""Chainlit chat front end: a thin transport over `AgentService.chat`.

Every browser conversation gets its own `ChatSession` (its own service, graph thread and
paper account, built through `bootstrap.open_app`); nothing mutable lives at module level.
Tool calls show as steps, charts as plotly elements, orders above the approval threshold as
Approve / Reject actions. `tradepit chat` (see `tradepit.cli_chat`) runs `entry/app.py`.
"""

from pathlib import Path

CHAT_ACCOUNT_PREFIX = "chat-"
"""Every conversation trades its own paper account: this prefix and its thread id."""
APP_FILE = Path(__file__).parent / "entry" / "app.py"
"""The Chainlit entry module, alone in its directory: Chainlit puts that directory on
`sys.path` while loading it, so no sibling module can shadow a top-level one."""
