"""The operations endpoint: ``GET /metrics`` (Prometheus exposition of the process's own
registry) and ``GET /healthz`` (JSON; 503 when degraded), on a background thread."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import make_wsgi_app

from tradepit.domain.errors import ConfigError
from tradepit.ops.health import DEGRADED
from tradepit.ops.wsgi import Wsgi, wsgi_server

if TYPE_CHECKING:
    from tradepit.ops.health import Health
    from tradepit.ops.metrics import Metrics

log = logging.getLogger(__name__)


def ops_app(metrics: Metrics, health: Health) -> Wsgi:
    """The WSGI app: /metrics, /healthz, 404 for anything else."""
    exposition = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return exposition(environ, start_response)
        if path == "/healthz":
            report = health.report()
            code = "503 Service Unavailable" if report["status"] == DEGRADED else "200 OK"
            start_response(code, [("Content-Type", "application/json")])
            return [json.dumps(report).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /healthz\n"]

    return app


class OpsServer:
    """`ops_app` served on host:port (0 picks a free port) until `close()`."""

    def __init__(self, metrics: Metrics, health: Health, host: str, port: int) -> None:
        try:
            self._server = wsgi_server(host, port, ops_app(metrics, health))
        except OSError as e:
            raise ConfigError(f"cannot serve metrics on {host}:{port}: {e.strerror or e}") from e
        self.host = host
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="tradepit-ops", daemon=True,
        )  # fmt: skip
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)
