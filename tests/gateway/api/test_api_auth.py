"""Tokens: hashes only, constant-time check, roles, revocation; the server's refusal to expose the API."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.api.settings import HttpSettings, is_loopback
from gateway.auth.models import ApiToken
from gateway.auth.roles import Role
from gateway.auth.tokens import hash_secret, revoke_token, verify_token
from gateway.storage.db import session_factory
from tests.gateway.api.harness import NOW, Api, build, serving

ALERT = {"text_fr": "Alerte", "target": {"zones": ["marigot"]}}


def test_no_token_is_401_with_a_challenge(api: Api) -> None:
    response = api.client.get("/alerts")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"
    assert api.client.get("/alerts", headers={"Authorization": "Bearer vgc_00000000_" + "x" * 43}).status_code == 401
    assert api.client.get("/alerts", headers={"Authorization": "Basic abc"}).status_code == 401


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        (Role.READ, "/alerts", False),
        (Role.MEMBERS, "/alerts", False),
        (Role.ALERTS, "/alerts", True),
        (Role.ADMIN, "/alerts", True),
        (Role.ALERTS, "/messages", True),
        (Role.READ, "/messages", False),
    ],
)
def test_roles(api: Api, role: Role, path: str, allowed: bool) -> None:
    body = ALERT if path == "/alerts" else {"recipients": ["+33639980009"], "text": "Test technique"}
    response = api.client.post(path, json=body, headers=api.auth(role))
    assert response.status_code == (202 if allowed else 403), response.text
    if not allowed:
        assert "rôle" in response.json()["error"]["message"]
        assert api.count("SELECT count(*) FROM outbox_message") == 0


def test_member_writes_need_the_members_role(api: Api) -> None:
    siren = api.sirens[0]
    assert api.client.post(f"/members/{siren}/renew", headers=api.auth(Role.ALERTS)).status_code == 403
    assert api.client.post(f"/members/{siren}/renew", headers=api.auth(Role.MEMBERS)).status_code == 200
    assert api.client.get(f"/members/{siren}", headers=api.auth(Role.READ)).status_code == 200


def test_revoked_token_is_refused(api: Api) -> None:
    token = api.tokens[Role.ALERTS]
    key_id = token.split("_")[1]
    with session_factory(api.engine).begin() as session:
        revoke_token(session, key_id, now=NOW, actor="test")
    response = api.client.post("/alerts", json=ALERT, headers=api.auth(Role.ALERTS))
    assert response.status_code == 401
    assert api.count("SELECT count(*) FROM outbox_message") == 0
    assert api.count("SELECT count(*) FROM audit_log WHERE action = 'token.revoke'") == 1


def test_only_the_hash_is_stored(api: Api) -> None:
    token = api.tokens[Role.ADMIN]
    with session_factory(api.engine).begin() as session:
        rows = session.query(ApiToken).all()
        assert all(token.split("_", 2)[2] not in (r.secret_hash, r.key_id) for r in rows)
        assert hash_secret(token.split("_", 2)[2]) in {r.secret_hash for r in rows}
        assert verify_token(session, token + "x") is None
        identity = verify_token(session, token)
    assert identity is not None and identity.owner == "agent-admin" and identity.role is Role.ADMIN


def test_without_required_tokens_loopback_callers_act_as_local_admin(tmp_path: Path) -> None:
    context, engine, *_ = build(tmp_path, http=HttpSettings(require_tokens=False))
    with serving(context) as client:
        assert client.get("/outbox").status_code == 200
        assert client.post("/alerts", json=ALERT).status_code == 202
    with engine.connect() as conn:
        actor = conn.exec_driver_sql("SELECT actor FROM audit_log WHERE action='alert.alert'").scalar_one()
    assert actor == "http-local"
    engine.dispose()


def test_refuses_to_listen_beyond_loopback_without_tokens() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.10")
    HttpSettings(host="0.0.0.0", require_tokens=True)
    HttpSettings(host="127.0.0.1", require_tokens=False)
    with pytest.raises(ValueError, match="require_tokens"):
        HttpSettings(host="0.0.0.0", require_tokens=False)
    with pytest.raises(ValueError, match="require_tokens"):
        HttpSettings(host="192.0.2.10", require_tokens=False)


def read_until_closed(sock: socket.socket) -> bytes:
    """The whole answer: headers and body may come in separate TCP segments."""
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_client_that_stalls_mid_body_gets_408_and_nothing_is_written(tmp_path: Path) -> None:
    context, engine, tokens, *_ = build(tmp_path)
    context.body_timeout_seconds = 0.3
    with serving(context) as client:
        port = client.base_url.port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                b"POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + tokens[Role.ADMIN].encode() + b"\r\n"
                b'Content-Length: 100\r\n\r\n{"text_fr": '
            )
            answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"request_timeout" in answer
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox_message").scalar_one() == 0
    engine.dispose()
