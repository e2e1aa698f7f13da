"""Where and how the HTTP API listens; built from the ``[http]`` section of the configuration."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 in brackets or not) only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """``host``/``port``: where the API listens; ``require_tokens``: every request needs a bearer token;
    ``max_body_bytes``: the largest request body accepted; ``trusted_proxies``: addresses of a reverse proxy
    (terminating TLS) whose ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are believed, none by default.

    Listening beyond the loopback without tokens is refused here, so that ``config check`` and the daemon's
    start refuse it with the same message."""

    host: str = "127.0.0.1"
    port: int = 8080
    require_tokens: bool = True
    max_body_bytes: int = 256 * 1024
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.require_tokens and not is_loopback(self.host):
            raise ValueError(
                f"l'API écouterait sur {self.host}, une adresse autre que la boucle locale, sans jeton ; mettez "
                '[http] require_tokens = true (recommandé) ou host = "127.0.0.1"'
            )
