"""Fixtures of the API tests (helpers in ``harness``)."""

from tests.gateway.api.harness import api

__all__ = ["api"]
