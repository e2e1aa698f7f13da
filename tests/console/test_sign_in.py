"""Signing in and out in a real browser: the form, wrong passwords, the lock, logout and disabling ending sessions
on the server."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import OpenPage
from tests.console.stack import PASSWORD, Stack, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_sign_in_see_the_dashboard_and_sign_out(page: Page) -> None:
    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/connexion\?suite=/console/$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Nom d'utilisateur").fill("Officier")  # any case
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    nav = page.get_by_role("navigation", name="Sections de la console")
    expect(nav.get_by_role("link", name="Tableau de bord")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("officier (envoi d'alertes)")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "vigi_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert "password" not in page.url and PASSWORD not in page.url

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté.")
    page.goto("/console/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_logout_ends_the_session_on_the_server_not_only_in_this_browser(open_page: OpenPage) -> None:
    first = open_page()
    sign_in(first, "officier")
    stolen = [c for c in first.context.cookies() if c["name"] == "vigi_session"]
    first.get_by_role("button", name="Se déconnecter").click()
    expect(first.get_by_role("heading", name="Connexion")).to_be_visible()
    second = open_page()
    second.context.add_cookies(stolen)  # type: ignore[arg-type]
    second.goto("/console/")
    expect(second.get_by_role("heading", name="Connexion")).to_be_visible()


def test_wrong_password_then_the_lock_for_the_name_from_any_address(stack: Stack, open_page: OpenPage) -> None:
    stack.cli("users", "create", "verrou", "--role", "alerts", "--password-stdin", stdin=PASSWORD)
    page = open_page(address="192.0.2.10")
    page.goto("/console/connexion")
    for attempt in range(5):
        page.get_by_label("Nom d'utilisateur").fill("verrou")
        page.get_by_label("Mot de passe").fill(f"essai {attempt}")
        page.get_by_role("button", name="Se connecter").click()
        alert = page.get_by_role("alert")
        if attempt < 4:
            expect(alert).to_have_text("Nom d'utilisateur ou mot de passe incorrect.")
            expect(page.get_by_label("Nom d'utilisateur")).to_have_value("verrou")
    expect(page.get_by_role("alert")).to_contain_text("Trop d'essais refusés")
    expect(page.get_by_role("alert")).to_contain_text("(America/Marigot)")
    # The right password, from another computer: the name is locked.
    other = open_page(address="192.0.2.11")
    other.goto("/console/connexion")
    other.get_by_label("Nom d'utilisateur").fill("verrou")
    other.get_by_label("Mot de passe").fill(PASSWORD)
    other.get_by_role("button", name="Se connecter").click()
    expect(other.get_by_role("alert")).to_contain_text("connexion bloquée pour ce nom d'utilisateur")
    audit = json.loads(stack.cli("audit", "--action", "console.lockout", "--json"))
    rows = audit if isinstance(audit, list) else audit["items"]
    assert [r["subject"] for r in rows] == ["user:verrou"]


def test_disabling_a_user_ends_their_open_session_at_once(stack: Stack, page: Page) -> None:
    stack.cli("users", "create", "remplacant", "--role", "read", "--password-stdin", stdin=PASSWORD)
    sign_in(page, "remplacant")
    stack.cli("users", "disable", "remplacant")
    page.reload()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Nom d'utilisateur").fill("remplacant")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Nom d'utilisateur ou mot de passe incorrect.")
