"""The committed OpenAPI document is the generated one, and Schemathesis finds no 5xx and no answer that breaks
it, against a real uvicorn server on the loopback with an admin token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.api.openapi import render
from gateway.auth.roles import Role
from tests.gateway.api.harness import build, serving

pytestmark = pytest.mark.slow  # property-based runs over the whole OpenAPI document

DOC = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def test_committed_document_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is stale: run `python -m gateway.api.openapi > docs/openapi.json`"
    )


def test_the_daemon_serves_the_same_document(api: object) -> None:
    client: httpx.Client = api.client  # type: ignore[attr-defined]
    assert client.get("/openapi.json").json() == json.loads(DOC.read_text(encoding="utf-8"))


schema = schemathesis.openapi.from_dict(json.loads(DOC.read_text(encoding="utf-8")))


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def xlsx_body(_ctx: object, value: object) -> bytes:
    """The import's .xlsx body is a binary string: sent as generated (the import refuses what it cannot read)."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    context, engine, tokens, _sirens, _modems = build(tmp_path_factory.mktemp("schemathesis"))
    with serving(context) as client:
        yield str(client.base_url), tokens[Role.ADMIN]
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_no_server_error_and_no_schema_violation(case: schemathesis.Case, server: tuple[str, str]) -> None:
    base_url, token = server
    case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
