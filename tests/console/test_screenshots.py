"""Screenshots of each main page, in a real browser on the real gateway: ``make screenshots`` writes them to
``docs/console/`` (``VIGI_SCREENSHOTS``) for the README; ``make test`` writes them to a temporary directory, which
checks that every main page renders without a script error, a CSP violation or an outside request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import OpenPage
from tests.console.stack import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
VIEWPORT = {"width": 1280, "height": 800}


def shoot(page: Page, folder: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_screenshots_of_the_main_pages(open_page: OpenPage, tmp_path: Path) -> None:
    folder = Path(os.environ.get("VIGI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page = open_page(viewport=VIEWPORT)
    page.goto("/console/connexion")
    shoot(page, folder, "connexion")
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Modems")).to_be_visible()
    shoot(page, folder, "tableau-de-bord")
