"""The results pages in real Chromium against the whole running system (`orgwell run-all`:
web, worker and beat on a freshly migrated instance, seeded with `orgwell demo`):

every figure of the overview drawn with data, a team's page, a leader on a phone,
presentation mode moved with the arrow keys, the exported report opened from disk with zero
network requests, and a PNG export asked for on the page, drawn by the real worker while the
progress bar moves, downloaded as a ZIP of real PNG files. Everyone logs in through the login
page. Nothing here pins a demo number (the demo's story may change): only that there is data.
Screenshots go to test-output/browser/metrics/.
"""

from __future__ import annotations

import contextlib
import re
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "metrics"
PANELS = ("exhaustion", "share-high", "participation", "heatmap", "impact")
ORG = "Riverside Physical Therapy"
RESULTS = "/o/riverside/results/"
OWNER = "owner@riverside.example"
LEADER = "leader@riverside.example"
CONSULTANT = "consultant@flexhealth.example"
FIRM = "FlexHealth Consulting"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module", autouse=True)
def _output():
    OUTPUT.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert errors == [], errors


def _login(page, stack, email: str) -> None:
    page.goto(f"{stack['url']}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(stack["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _expect_drawn(page, name: str) -> None:
    figure = page.locator(f"#figure-{name}")
    expect(figure).to_have_attribute("data-rendered", "yes", timeout=15000)
    expect(figure).to_have_attribute("data-has-data", "yes")
    # Drawn with data: plotly's SVG holds at least one trace.
    assert figure.locator(".main-svg").count() >= 1
    assert figure.locator("g.trace, g.heatmaplayer image, g.hm, .barlayer .point").count() >= 1


def test_the_overview_draws_every_figure_with_data(demo_stack, page):
    _login(page, demo_stack, OWNER)
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", name=ORG, level=1)).to_be_visible()
    for name in PANELS:
        page.locator(f"#figure-{name}").scroll_into_view_if_needed()
        _expect_drawn(page, name)
    page.screenshot(path=str(OUTPUT / "1-overview.png"), full_page=True)

    # A team's page (not a clinic's: its label names the clinic), from the list at the bottom.
    drill = page.locator("section", has=page.locator("#drill-title"))
    link = drill.get_by_role("link", name=re.compile("›")).first
    label = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
    _expect_drawn(page, "exhaustion")
    page.screenshot(path=str(OUTPUT / "2-team.png"), full_page=True)


def test_a_leader_on_a_phone_sees_their_clinic(demo_stack, page):
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, demo_stack, LEADER)
    page.goto(f"{demo_stack['url']}{RESULTS}?from=not-a-date")
    expect(page.get_by_text("is not a date")).to_be_visible()
    _expect_drawn(page, "exhaustion")
    page.screenshot(path=str(OUTPUT / "3-leader-phone.png"), full_page=True)


def test_presentation_mode_moves_with_the_arrow_keys(demo_stack, page):
    _login(page, demo_stack, CONSULTANT)
    page.goto(f"{demo_stack['url']}{RESULTS}present")
    deck = page.locator("#deck")
    expect(deck).to_have_attribute("data-current", "1")
    expect(page.get_by_text(FIRM).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"at least \d+ respondents"))).to_be_visible()
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
    demo_stack, browser, page, tmp_path
):
    _login(page, demo_stack, CONSULTANT)
    page.goto(f"{demo_stack['url']}{RESULTS}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download report (HTML)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("orgwell-report-riverside-")

    offline = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    report = offline.new_page()
    requests, errors = [], []
    report.on("request", lambda r: requests.append(r.url))
    report.on("pageerror", lambda e: errors.append(str(e)))
    report.goto(path.as_uri())
    expect(report.get_by_role("heading", name=ORG, level=1)).to_be_visible()
    expect(report.get_by_text(FIRM).first).to_be_visible()
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


def test_a_png_export_is_drawn_by_the_worker_and_downloads_as_real_pngs(demo_stack, page, tmp_path):
    _login(page, demo_stack, OWNER)
    page.goto(f"{demo_stack['url']}{RESULTS}?scale=work")
    page.get_by_label("File type").select_option(label="Images (PNG)")
    page.get_by_role("button", name="Make the files").click()
    page.wait_for_url(re.compile(r".*/results/exports/\d+$"))
    # Drawing five figures through kaleido takes seconds: the bar shows while the worker works.
    bar = page.get_by_role("progressbar", name="Figures drawn")
    expect(bar).to_be_visible()
    page.screenshot(path=str(OUTPUT / "10-export-progress.png"))
    seen = set()
    ready = page.get_by_role("heading", name="Your files are ready")
    deadline = time.monotonic() + 120
    while not ready.is_visible():
        # The page reloads itself when the job has finished, so the bar can vanish between
        # two reads: read it without waiting for it (a locator read would wait 30 s), and a
        # read that the reload interrupts reads nothing.
        with contextlib.suppress(PlaywrightError):
            seen.update(
                int(v or 0)
                for v in bar.evaluate_all("bars => bars.map(b => b.getAttribute('aria-valuenow'))")
            )
        expect(page.get_by_text("could not be made")).to_have_count(0)
        page.wait_for_timeout(200)
        assert time.monotonic() < deadline, f"the export never finished (progress seen: {seen})"
    assert seen and min(seen) < 100, f"the bar was never read while the worker drew ({seen})"
    page.screenshot(path=str(OUTPUT / "11-export-done.png"))

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the ZIP").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        images = sorted(n for n in archive.namelist() if n.endswith(".png"))
        assert [re.sub(r"^\d+-|\.png$", "", n) for n in images] == list(PANELS)
        for name in images:
            data = archive.read(name)
            assert data.startswith(PNG_MAGIC), name
            width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
            assert width >= 1000 and height >= 500, (name, width, height)
        assert "README.txt" in archive.namelist()
