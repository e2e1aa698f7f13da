"""Running the API inside the daemon: uvicorn in a thread, on a socket bound before the dispatcher starts.

Binding first means a busy port or an address this machine does not have stops the daemon before it sends
anything, with a clear message. (Listening beyond the loopback without tokens is refused earlier, by the
configuration itself: ``gateway.api.settings.HttpSettings``.)
Slow clients: uvicorn drops idle keep-alive connections after a few seconds and caps concurrent
connections; the body middleware drops a request whose body stalls (408).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import TYPE_CHECKING

import uvicorn

from gateway.api.app import create_app
from gateway.api.context import ApiContext
from gateway.api.settings import HttpSettings
from gateway.logs import event

if TYPE_CHECKING:
    from gateway.daemon import Daemon

log = logging.getLogger(__name__)
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 64
STOP_SECONDS = 10.0


class ApiServerError(Exception):
    """The API cannot listen as configured; the message says what to change."""


class ApiServer:
    """``bind()`` (may raise :class:`ApiServerError`), then ``start()`` serves in a thread, ``stop()`` ends it."""

    def __init__(self, context: ApiContext, http: HttpSettings) -> None:
        self.context = context  # the daemon replaces its configuration on a reload
        self.http = http
        self.app = create_app(context)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def bind(self) -> None:
        host = self.http.host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, self.http.port))
        except OSError as exc:
            sock.close()
            raise ApiServerError(
                f"l'API ne peut pas écouter sur {self.http.host}:{self.http.port} : {exc.strerror} ; "
                "changez [http] port ou arrêtez le programme qui l'occupe"
            ) from exc
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        if self._socket is None:
            raise ApiServerError("not bound")
        return int(self._socket.getsockname()[1])

    def start(self) -> None:
        if self._socket is None:
            self.bind()
        assert self._socket is not None
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            limit_concurrency=MAX_CONNECTIONS,
            server_header=False,
            # X-Forwarded-Proto/-For only from the configured reverse proxies (uvicorn's default trusts 127.0.0.1):
            # the console marks its cookies Secure when the request came over HTTPS, and throttles sign-ins by the
            # real client address.
            proxy_headers=bool(self.http.trusted_proxies),
            forwarded_allow_ips=list(self.http.trusted_proxies),
        )
        self._server = uvicorn.Server(config)
        sockets = [self._socket]
        server = self._server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=sockets)), name="http-api", daemon=True
        )
        self._thread.start()
        event(log, "http api listening", host=self.http.host, port=self.port)

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (a few seconds at most), close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)
            if self._thread.is_alive():
                event(log, "http api did not stop in time", logging.WARNING)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = self._thread = None


def bind_api(daemon: Daemon) -> ApiServer:
    """The daemon's API server, bound (not yet serving): raises :class:`ApiServerError` when it cannot be."""
    context = ApiContext(
        daemon.config,
        daemon.engine,
        daemon.outbox,
        modem_status=daemon.dispatcher.statuses,
        alive=daemon.dispatcher.alive,
    )
    server = ApiServer(context, daemon.config.http)
    server.bind()
    return server
