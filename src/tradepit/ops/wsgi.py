"""A small threaded WSGI server (standard library) for the process's own HTTP endpoints:
the operations endpoint (`ops.server`) and the Slack bot's HTTP mode."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """Request lines go to the debug log, not to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def wsgi_server(host: str, port: int, app: Wsgi) -> WSGIServer:
    """`app` on host:port (0 picks a free port), a thread per request; call
    `serve_forever()`."""
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
