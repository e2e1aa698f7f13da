"""Browser tests of the console: Debian's chromium driven by Playwright against the real daemon and simulator.

One gateway (``stack``) and one browser for the whole session: starting them costs seconds, and tests stay
independent through their own browser context (cookies) and, where they change accounts, their own users. Every
page fixture fails its test on a script error, a Content-Security-Policy violation or any request leaving the
gateway's address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Route, sync_playwright

from tests.console.stack import CHROMIUM, CHROMIUM_ARGS, Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def new_page(browser: Browser, stack: Stack, *, address: str | None = None, **options: object) -> Page:
    """A page in a fresh context (no cookie) on the gateway; ``address``: the client address the gateway sees
    (X-Forwarded-For from the trusted loopback proxy)."""
    headers = {"X-Forwarded-For": address} if address else {}
    context = browser.new_context(
        base_url=stack.base,
        locale="fr-FR",
        timezone_id="America/Marigot",
        extra_http_headers=headers,
        **options,  # type: ignore[arg-type]
    )
    context.set_default_timeout(20_000)
    return context.new_page()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, stack: Stack) -> Iterator[OpenPage]:
    """``open_page(address=None, **context_options)``: pages whose errors and outside requests fail the test."""
    pages: list[Page] = []
    problems: list[str] = []
    own = re.compile(rf"^{re.escape(stack.base)}/")

    def make(address: str | None = None, **options: object) -> Page:
        page = new_page(browser, stack, address=address, **options)

        def outside(route: Route) -> None:
            problems.append(f"request outside the gateway: {route.request.url}")
            route.abort()

        page.context.route(lambda url: not own.match(url), outside)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and "Failed to load resource" not in message.text:
                problems.append(f"console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()
    assert not problems, problems


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page()
