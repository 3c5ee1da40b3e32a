"""plotly.js served by the app renders every figure in Chromium under the app's CSP.

A test page (its own anonymous route) holds one figure of each kind as JSON data blocks, drawn by
the app's static/js/metrics-figures.js with the plotly.js of /assets, and answered with
`allow_plotly_styles`. Chromium must draw every figure with ZERO console errors; the same page
under the app-wide CSP must show CSP errors (so the test can fail). Screenshots of each figure
(desktop and phone width) go to test-output/browser/metrics/ for a person to look at.

The asset route itself (versioned URL, long cache, ETag, 304) is checked with the test client.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from flask import Blueprint, make_response, render_template_string
from werkzeug.serving import make_server

from orgwell.access import ANONYMOUS, allow
from orgwell.metrics import figures
from orgwell.metrics.plotlyjs import (
    PLOTLY_CSP,
    allow_plotly_styles,
    inline_plotlyjs,
    plotlyjs_bytes,
    plotlyjs_url,
    plotlyjs_version,
)
from orgwell.metrics.references import reference_for
from orgwell.metrics.stats import impact
from tests.metrics.figure_fixtures import sample

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "metrics"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Figures</title></head>
<body>
<script type="application/json" id="figure-config">{{ config|safe }}</script>
{% for name, data in figures %}
<section id="section-{{ name }}"><div id="figure-{{ name }}" data-figure="figure-data-{{ name }}">
</div><script type="application/json" id="figure-data-{{ name }}">{{ data|safe }}</script>
</section>
{% endfor %}
{{ plotly_tags() }}
<script src="{{ url_for('static', filename='js/metrics-figures.js') }}"></script>
</body></html>"""


def _figures():
    data = sample()
    result = impact(data.cells_by_team, data.enrolled, scale_name="work-related burnout")
    built = {
        "exhaustion": figures.exhaustion_over_time(
            data.cells, cutoff=50, scale_name="Work-related burnout",
            enrollment_starts=data.enrollment_starts, actions=data.actions,
        ),
        "share": figures.share_high_over_time(
            data.cells, cutoff=50, scale_name="Work-related burnout",
            reference=reference_for("cbi", "work"),
        ),
        "participation": figures.participation(data.participation, data.completion),
        "heatmap": figures.heatmap(data.cells, scale_name="Work-related burnout", cutoff=50),
        "impact": figures.program_impact(
            result, program_name="Resilience for PTs", scale_name="Work-related burnout"
        ),
    }
    return [(name, figures.figure_json(fig)) for name, fig in built.items()]


def _page():
    import json

    return render_template_string(
        PAGE, figures=_figures(), config=json.dumps(figures.figure_config())
    )


@pytest.fixture
def server(app):
    test_pages = Blueprint("m2_figure_test", __name__)

    @test_pages.get("/_test/figures")
    @allow(ANONYMOUS)
    def with_plotly_csp():
        return allow_plotly_styles(make_response(_page()))

    @test_pages.get("/_test/figures-strict")
    @allow(ANONYMOUS)
    def with_app_csp():
        return _page()

    app.register_blueprint(test_pages)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def chromium():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


def _open(chromium, url, width):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    external = []
    page.on("request", lambda r: external.append(r.url) if "127.0.0.1" not in r.url
            and not r.url.startswith("data:") else None)
    page.goto(url)
    return page, problems, external


@pytest.mark.browser
@pytest.mark.parametrize("width", [1100, 390])
def test_every_figure_renders_with_zero_console_errors(server, chromium, width):
    page, problems, external = _open(chromium, server + "/_test/figures", width)
    page.wait_for_function(
        "document.querySelectorAll('[data-rendered=\"yes\"]').length === 5", timeout=20000
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, _ in _figures():
        figure = page.locator(f"#figure-{name}")
        assert figure.locator(".main-svg").count() >= 1, name
        drawn = figure.locator(".scatterlayer .trace, .heatmaplayer .hm, .barlayer .trace")
        assert drawn.count() >= 1, name
        # plotly's own stylesheet applied (through the CSSOM): the SVG layers overlap exactly.
        position = figure.locator(".main-svg").first.evaluate(
            "e => getComputedStyle(e).position"
        )
        assert position == "absolute", name
        figure.scroll_into_view_if_needed()
        figure.screenshot(path=str(OUTPUT / f"{name}-{width}.png"))
    # Hover shows the reason of a hidden heatmap cell.
    heatmap = page.locator("#figure-heatmap")
    heatmap.scroll_into_view_if_needed()
    box = heatmap.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.9)
    page.wait_for_selector("#figure-heatmap .hovertext", timeout=5000)
    assert "hidden" in page.locator("#figure-heatmap .hovertext").first.text_content()
    # A shown cell's hover is filled in from its numbers (a hover template over customdata).
    page.mouse.move(0, 0)
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.wait_for_selector("#figure-heatmap .hovertext", timeout=5000)
    hover = page.locator("#figure-heatmap .hovertext").first.text_content()
    assert re.search(r"mean \d+\.\d95% interval \d+\.\d to \d+\.\d\d+ responses$", hover), hover
    heatmap.screenshot(path=str(OUTPUT / f"heatmap-hover-{width}.png"))
    # Cells with no number under them (hidden, or no answers) carry no text either.
    cell_texts = heatmap.locator(".heatmaplayer text").all_text_contents()
    assert not [t for t in cell_texts if "NaN" in t or "undefined" in t], cell_texts
    page.mouse.move(0, 0)
    assert problems == []
    assert external == []
    page.close()


@pytest.mark.browser
def test_the_app_wide_csp_alone_would_break_plotly(server, chromium):
    """The negative control: without allow_plotly_styles Chromium reports blocked styles."""
    page, problems, _ = _open(chromium, server + "/_test/figures-strict", 1100)
    page.wait_for_function(
        "document.querySelectorAll('[data-rendered=\"yes\"]').length === 5", timeout=20000
    )
    assert any("Content Security Policy" in text for text in problems)
    page.close()


def test_plotly_js_is_served_versioned_and_cacheable(app):
    client = app.test_client()
    url = plotlyjs_url_in(app)
    assert plotlyjs_version() in url and url.startswith("/assets/plotly-")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.data == plotlyjs_bytes() and b"plotly.js v" in response.data[:200]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/assets/plotly-0.0.1.min.js").status_code == 404


def test_plotly_csp_keeps_scripts_strict(app):
    directives = dict(d.split(" ", 1) for d in PLOTLY_CSP.split("; "))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in PLOTLY_CSP and "'unsafe-eval'" not in PLOTLY_CSP
    # Only the empty string and plotly's fixed image-rendering probe are allowed inline.
    assert directives["style-src"].count("'sha256-") == 2
    assert "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='" in directives["style-src"]
    with app.test_request_context():
        response = allow_plotly_styles(make_response("x"))
    assert response.headers["Content-Security-Policy"] == PLOTLY_CSP


def test_inline_plotlyjs_is_safe_in_a_script_element():
    text = inline_plotlyjs()
    assert "</script" not in text.lower()
    assert len(text) > 1_000_000


def plotlyjs_url_in(app) -> str:
    with app.test_request_context():
        return plotlyjs_url()
