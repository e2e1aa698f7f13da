"""``vigicommerce …``: the daemon and the operators' commands, one module per command group."""

from gateway.cli.app import app, main

__all__ = ["app", "main"]
