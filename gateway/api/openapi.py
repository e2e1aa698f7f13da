"""``python -m gateway.api.openapi > docs/openapi.json``: the API's OpenAPI document, as committed in the repo.

A test checks that the committed file equals this output, so the document cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from gateway.api.app import build_openapi, create_app
from gateway.api.context import ApiContext
from gateway.config import GatewayConfig
from gateway.outbox.store import Outbox
from gateway.storage.db import make_engine


def document() -> dict[str, Any]:
    """The OpenAPI document (no database is opened: an in-memory engine only satisfies the context)."""
    engine = make_engine("sqlite://")
    try:
        app = create_app(ApiContext(GatewayConfig(), engine, Outbox(engine)))
        return build_openapi(app)
    finally:
        engine.dispose()


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
