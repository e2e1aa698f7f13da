"""The console over HTTP without a browser: sign-in, cookies, CSRF, security headers, redirects (real uvicorn)."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.api.context import ApiContext
from gateway.auth.roles import Role
from gateway.console.headers import CSP
from gateway.console.pages.login import safe_next
from gateway.usecases import users
from tests.gateway.api.harness import build, serving

PASSWORD = "mot de passe de garde"


@pytest.fixture
def context(tmp_path: Path) -> Iterator[ApiContext]:
    context, engine, *_ = build(tmp_path)
    for name, role in (("officier", Role.ALERTS), ("lecteur", Role.READ)):
        users.create(context.store, name, role, PASSWORD, actor="test", now=context.now())
    yield context
    engine.dispose()


@pytest.fixture
def client(context: ApiContext) -> Iterator[httpx.Client]:
    with serving(context) as client:
        yield client


def login_token(client: httpx.Client) -> str:
    page = client.get("/console/connexion")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: httpx.Client, name: str = "officier", password: str = PASSWORD) -> httpx.Response:
    return client.post("/console/connexion", data={"username": name, "password": password, "csrf": login_token(client)})


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_a_page_without_a_session_leads_to_the_sign_in_page_and_back(client: httpx.Client) -> None:
    response = client.get("/console/")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/connexion?suite=/console/"
    assert client.get("/console/fragments/tableau", headers={"X-Vigi-Refresh": "1"}).status_code == 401
    page = client.get("/console/connexion?suite=/console/")
    assert 'name="username"' in page.text and 'name="password"' in page.text and 'method="post"' in page.text
    signed = client.post(
        "/console/connexion",
        data={"username": "officier", "password": PASSWORD, "csrf": csrf_of(page), "suite": "/console/"},
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/console/"
    assert PASSWORD.replace(" ", "+") not in signed.headers["location"]
    assert client.get("/console/").status_code == 200


def test_the_session_cookie_is_httponly_strict_and_only_for_the_console(client: httpx.Client) -> None:
    response = sign_in(client)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("vigi_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/console" in cookie.lower()
    assert "secure" not in attributes  # plain HTTP on the loopback: a Secure cookie would never come back


@pytest.mark.parametrize(("trusted", "secure"), [(("127.0.0.1",), True), ((), False)])
def test_secure_cookies_behind_a_trusted_tls_proxy_only(
    context: ApiContext, trusted: tuple[str, ...], secure: bool
) -> None:
    context.config = dataclasses.replace(
        context.config, http=dataclasses.replace(context.config.http, trusted_proxies=trusted)
    )
    with serving(context) as client:
        client.headers["X-Forwarded-Proto"] = "https"
        page = client.get("/console/connexion")
        login_cookie = next(c for c in page.headers.get_list("set-cookie") if c.startswith("vigi_login="))
        assert ("; secure" in login_cookie.lower()) is secure
        value = login_cookie.split(";")[0].split("=", 1)[1]
        # httpx keeps no Secure cookie for a plain-HTTP URL (the proxy's side is HTTPS): send it by hand.
        response = client.post(
            "/console/connexion",
            data={"username": "officier", "password": PASSWORD, "csrf": csrf_of(page)},
            headers={"Cookie": f"vigi_login={value}"},
        )
        assert response.status_code == 303
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("vigi_session="))
        assert ("; secure" in cookie.lower()) is secure


def test_wrong_password_says_so_and_opens_nothing(client: httpx.Client) -> None:
    response = sign_in(client, password="pas le bon")
    assert response.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect" in html.unescape(response.text)
    assert not any(c.startswith("vigi_session=") for c in response.headers.get_list("set-cookie"))
    assert client.get("/console/").status_code == 303


def test_the_lock_is_shown_with_its_end_in_local_time(client: httpx.Client) -> None:
    for _ in range(5):
        sign_in(client, password="pas le bon")
    response = sign_in(client)  # the right password, during the lock
    assert response.status_code == 429
    assert "Trop d'essais refusés" in html.unescape(response.text) and "(America/Marigot)" in response.text


def test_sign_in_needs_the_forms_own_token(client: httpx.Client) -> None:
    login_token(client)
    forged = client.post("/console/connexion", data={"username": "officier", "password": PASSWORD, "csrf": "x"})
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    assert client.get("/console/").status_code == 303


def test_forms_without_the_sessions_token_are_refused(client: httpx.Client) -> None:
    sign_in(client)
    refused = client.post("/console/deconnexion", data={"csrf": "autre"})
    assert refused.status_code == 403 and "Formulaire expiré" in refused.text
    assert client.get("/console/").status_code == 200  # still signed in: nothing was done


def test_logout_ends_the_session_on_the_server(client: httpx.Client) -> None:
    sign_in(client)
    page = client.get("/console/")
    cookie = client.cookies.get("vigi_session", path="/console")
    out = client.post("/console/deconnexion", data={"csrf": csrf_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/console/connexion?deconnecte=1"
    # The old cookie, replayed, opens nothing: the session ended on the server, not only in the browser.
    client.cookies.clear()
    assert cookie is not None
    client.cookies.set("vigi_session", cookie, path="/console")
    assert client.get("/console/").status_code == 303


@pytest.mark.parametrize("path", ["/console/connexion", "/console/", "/console/absente", "/console/static/console.css"])
def test_security_headers_on_every_kind_of_response(client: httpx.Client, path: str) -> None:
    sign_in(client)
    response = client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    if not path.startswith("/console/static/"):
        assert response.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style_and_link_nowhere_else(client: httpx.Client) -> None:
    sign_in(client)
    for path in ("/console/connexion", "/console/"):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert "style=" not in page and "<style" not in page
        assert not re.search(r'(?:src|href|action)="(?!/console/|#)', page), "a link or resource outside the console"


def test_errors_are_french_pages(client: httpx.Client) -> None:
    sign_in(client)
    missing = client.get("/console/absente")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert '<html lang="fr">' in missing.text


def test_the_api_is_unchanged_beside_the_console(client: httpx.Client) -> None:
    sign_in(client)
    response = client.get("/modems")  # the console's cookie is not a token: the API still wants one
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/console/alertes/3", "/console/alertes/3"),
        ("", "/console/"),
        ("https://ailleurs.example/console/", "/console/"),
        ("//ailleurs.example/console/", "/console/"),
        ("/console/\\\\ailleurs.example", "/console/"),
        ("/metrics", "/console/"),
    ],
)
def test_after_sign_in_only_console_pages(target: str, safe: str) -> None:
    assert safe_next(target) == safe
