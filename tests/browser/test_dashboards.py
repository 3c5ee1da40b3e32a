"""The results pages in real Chromium: every figure drawn, presentation mode moved with the
arrow keys, and the exported report opened from disk with zero network requests.

The app is served from a thread on the test database (create_all): the metrics tables have no
migration yet, so `orgwell run-all` on a migrated instance cannot serve these pages. Once the
lead adds the migration this can move onto the `stack` fixture. Screenshots go to
test-output/browser/metrics/.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.metrics.results_fixtures import results_world

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "metrics"
PANELS = ("exhaustion", "share-high", "participation", "heatmap", "impact")


@pytest.fixture
def world(db):
    return results_world()


@pytest.fixture
def served(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def context():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        yield context
        browser.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert errors == [], errors


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _expect_drawn(page, name: str) -> None:
    figure = page.locator(f"#figure-{name}")
    expect(figure).to_have_attribute("data-rendered", "yes", timeout=15000)
    # Drawn with data: plotly's SVG holds at least one trace.
    assert figure.locator(".main-svg").count() >= 1
    assert figure.locator("g.trace, g.heatmaplayer image, g.hm, .barlayer .point").count() >= 1


def test_the_overview_draws_every_figure_with_data(served, world, page):
    _login(page, served, world["owner"].email)
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", name="Riverside Physical Therapy", level=1)).to_be_visible()
    for name in PANELS:
        page.locator(f"#figure-{name}").scroll_into_view_if_needed()
        _expect_drawn(page, name)
    page.screenshot(path=str(OUTPUT / "1-overview.png"), full_page=True)

    # A team's page, reached from the list at the bottom.
    team = world["practice"].teams[3]
    page.get_by_role("link", name=team.label).click()
    expect(page.get_by_role("heading", name=team.label, level=1)).to_be_visible()
    _expect_drawn(page, "exhaustion")
    page.screenshot(path=str(OUTPUT / "2-team.png"), full_page=True)


def test_a_leader_on_a_phone_sees_their_clinic(served, world, page):
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, served, world["leader"].email)
    page.goto(f"{served}/o/riverside/results/?from=not-a-date")
    expect(page.get_by_text("is not a date")).to_be_visible()
    _expect_drawn(page, "exhaustion")
    page.screenshot(path=str(OUTPUT / "3-leader-phone.png"), full_page=True)


def test_presentation_mode_moves_with_the_arrow_keys(served, world, page):
    _login(page, served, world["consultant"].email)
    page.goto(f"{served}/o/riverside/results/present")
    deck = page.locator("#deck")
    expect(deck).to_have_attribute("data-current", "1")
    expect(page.get_by_text("FlexHealth Consulting").first).to_be_visible()
    expect(page.get_by_text("at least 5 respondents")).to_be_visible()
    page.screenshot(path=str(OUTPUT / "4-present-cover.png"))
    page.keyboard.press("ArrowRight")
    expect(deck).to_have_attribute("data-current", "2")
    _expect_drawn(page, "exhaustion")
    expect(page.locator("#slide-1")).to_be_hidden()
    page.screenshot(path=str(OUTPUT / "5-present-slide-2.png"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(deck).to_have_attribute("data-current", "4")
    _expect_drawn(page, "participation")
    page.screenshot(path=str(OUTPUT / "6-present-slide-4.png"))
    page.keyboard.press("ArrowLeft")
    expect(deck).to_have_attribute("data-current", "3")
    page.get_by_role("button", name="Next slide").click()
    page.get_by_role("button", name="Next slide").click()
    expect(deck).to_have_attribute("data-current", "5")
    _expect_drawn(page, "heatmap")
    page.screenshot(path=str(OUTPUT / "7-present-heatmap.png"))
    page.keyboard.press("End")
    expect(page.get_by_role("heading", name="About these results")).to_be_visible()


def test_the_exported_report_opens_from_disk_without_any_network_request(
    served, world, context, page, tmp_path
):
    _login(page, served, world["consultant"].email)
    page.goto(f"{served}/o/riverside/results/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download report (HTML)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("orgwell-report-riverside-")

    offline = context.browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    report = offline.new_page()
    requests, errors = [], []
    report.on("request", lambda r: requests.append(r.url))
    report.on("pageerror", lambda e: errors.append(str(e)))
    report.goto(path.as_uri())
    heading = report.get_by_role("heading", name="Riverside Physical Therapy", level=1)
    expect(heading).to_be_visible()
    expect(report.get_by_text("FlexHealth Consulting").first).to_be_visible()
    for name in PANELS:
        report.locator(f"#figure-{name}").scroll_into_view_if_needed()
        _expect_drawn(report, name)
    report.screenshot(path=str(OUTPUT / "8-report-file.png"), full_page=True)
    # Presentation mode inside the file works the same way.
    report.get_by_role("button", name="Present").click()
    report.keyboard.press("ArrowRight")
    expect(report.locator("#deck")).to_have_attribute("data-current", "2")
    report.screenshot(path=str(OUTPUT / "9-report-presenting.png"))
    offline.close()
    assert errors == []
    assert requests == [path.as_uri()], requests
