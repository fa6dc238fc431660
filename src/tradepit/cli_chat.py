"""`tradepit chat`: the Chainlit chat UI (see `tradepit.chat_ui`), served headless.

Chainlit's generated files (`.chainlit/`, `chainlit.md`, `.files/`) go to `home/chat_ui`,
never to the current directory. A host that is not a loopback address needs the chat login
configured (`TRADEPIT_CHAT_USERNAME`, `TRADEPIT_CHAT_PASSWORD`); without it the command
refuses to start. `register(app)` adds the command to the main CLI;
``python -m tradepit.cli_chat`` runs it on its own.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from tradepit.cli_common import TradepitGroup, cli_errors, print_error

err = Console(stderr=True)


def chat(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Chat with the agent in the browser (Chainlit): tool steps, charts, order approvals."""
    from tradepit.bootstrap import configure_process
    from tradepit.chat_ui import APP_FILE
    from tradepit.chat_ui.auth import auth_mode
    from tradepit.chat_ui.workdir import prepare
    from tradepit.config import Settings, export_to_library

    with cli_errors():
        settings = Settings()
        configure_process(settings)
        mode = auth_mode(settings, host)
        directory = prepare(settings, host, port)
    if "chainlit.config" in sys.modules:
        print_error("chainlit was imported before its directory was set")
        raise typer.Exit(1)
    export_to_library("CHAINLIT_APP_ROOT", str(directory))  # read when chainlit is imported
    err.print(
        f"tradepit chat on http://{host}:{port} (model {settings.model}, "
        f"{'password login' if mode == 'password' else 'local user, no login'}; "
        f"files in {directory})",
        markup=False,
    )
    from chainlit.cli import cli as chainlit_cli

    args = ["run", str(APP_FILE), "--headless", "--host", host, "--port", str(port)]
    chainlit_cli.main(args, prog_name="chainlit", standalone_mode=False)


def register(app: typer.Typer) -> None:
    """Add `chat` to the main CLI."""
    app.command("chat")(chat)


def main() -> None:  # pragma: no cover - exercised through subprocesses
    app = typer.Typer(
        cls=TradepitGroup, no_args_is_help=True, pretty_exceptions_enable=False,
        add_completion=False,
    )  # fmt: skip
    register(app)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
