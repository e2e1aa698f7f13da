"""Errors of the outbox; ``OutboxError`` is the root."""

from __future__ import annotations


class OutboxError(Exception):
    """Root of every error raised by ``gateway.outbox``."""


class IllegalTransition(OutboxError):  # noqa: N818 - the name reads as the domain event it is
    """A state change the message life cycle does not allow."""

    def __init__(self, state: object, event: object) -> None:
        super().__init__(f"{event} is not allowed from state {state}")
        self.state = state
        self.event = event


class StaleClaim(OutboxError):  # noqa: N818
    """The row is no longer held by this worker (recovered, released or cancelled meanwhile)."""

    def __init__(self, message_id: int, worker_id: str) -> None:
        super().__init__(f"message {message_id} is not in 'sending' for worker {worker_id!r} any more")
        self.message_id = message_id
        self.worker_id = worker_id


class InvalidMessage(OutboxError):  # noqa: N818
    """A message given to ``enqueue`` cannot be stored (bad number, empty text, inconsistent times)."""
