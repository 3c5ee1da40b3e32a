"""The privacy pages in real Chromium: owner and member journeys, with screenshots.

The app is served from a thread on the test database (the privacy table is not in the
migrations yet, so `orgwell run-all` on a migrated instance cannot serve these pages).
Screenshots go to test-output/browser/privacy/.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.privacy.conftest import NAME

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "privacy"


@pytest.fixture
def served(app, filled):
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page
        browser.close()
        assert errors == [], errors


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_owner_erases_a_leaver_and_is_stopped_by_a_wrong_slug(served, filled, page):
    _login(page, served, filled["owner_x"].email)
    page.goto(f"{served}/o/riverside/")
    page.get_by_role("button", name=filled["owner_x"].name).click()
    page.get_by_role("link", name="Data and privacy").click()
    expect(page.get_by_role("heading", name="Data and privacy", level=1)).to_be_visible()
    page.screenshot(path=str(OUTPUT / "1-data-and-privacy.png"), full_page=True)

    page.get_by_label("Type the web address").fill("harbor")
    page.get_by_role("button", name="Delete the organisation and all its data").click()
    expect(page.get_by_text("Nothing was deleted")).to_be_visible()
    page.screenshot(path=str(OUTPUT / "2-wrong-slug.png"), full_page=True)

    page.get_by_role("link", name=f"Erase {NAME}").click()
    expect(page.get_by_role("heading", name=f"Erase {NAME}")).to_be_visible()
    page.screenshot(path=str(OUTPUT / "3-erase-confirm.png"), full_page=True)
    page.get_by_label("I understand that this cannot be undone.").check()
    page.get_by_role("button", name="Erase this person's data").click()
    expect(page.get_by_text("The person's data is erased")).to_be_visible()
    expect(page.get_by_text(NAME)).to_have_count(0)
    page.screenshot(path=str(OUTPUT / "4-erased.png"), full_page=True)


def test_a_member_downloads_their_data_on_a_phone(served, filled, page):
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, served, filled["staff_a"].email)
    page.goto(f"{served}/o/riverside/privacy/my-data")
    expect(page.get_by_role("heading", name="Download your data")).to_be_visible()
    page.screenshot(path=str(OUTPUT / "5-my-data-phone.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my data").click()
    download = info.value
    assert download.suggested_filename == "orgwell-my-data-riverside.json"
    assert "Private reflection of" in Path(download.path()).read_text()
