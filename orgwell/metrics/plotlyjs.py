"""plotly.js served by the app itself (no CDN), and the narrow CSP exception its figures need.

The file comes from the installed `plotly` package, so the browser library always matches the
Python figure builders. Its URL carries the plotly.js version, which is why it can be cached for
a year (`immutable`); the ETag is a hash of the bytes, for revalidation after a reload.

CSP (checked in Chromium by tests/metrics/test_plotly_render_browser.py): the app-wide
`style-src 'self'` blocks three things plotly.js does at run time:
1. it creates an EMPTY `<style id="plotly.js-style-global">` element and fills it through the
   CSSOM (`insertRule`, which CSP does not govern);
2. colour bars set an empty `style=""` attribute, and the heatmap probes `image-rendering`
   support with one fixed `style` attribute;
3. at load it injects the maplibre (map traces) stylesheet unless an element with that
   stylesheet's id already exists.
Rather than `'unsafe-inline'`, figure pages get `style-src 'self' 'unsafe-hashes'` plus the
SHA-256 of exactly those two strings (the empty string and the probe), via
`allow_plotly_styles(response)`; no inline style with any other content can apply. (3) is
answered by `plotly_tags()`, which puts an empty `<template>` with that id in the page, since
OrgWell draws no maps. script-src stays `'self'`: figure JSON travels as
`<script type="application/json">` data blocks read by a static JS file, never as inline code.
Figure text must not use plotly's `<b>`, `<i>` or `<span style>` pseudo-HTML, which plotly.js
turns into style attributes (figures.py uses fonts instead).
"""
from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources

from flask import Blueprint, Response, abort, request, url_for
from markupsafe import Markup, escape

from orgwell.access import ANONYMOUS, allow
from orgwell.security import CSP

bp = Blueprint("metrics_assets", __name__, url_prefix="/assets")

ONE_YEAR = 365 * 24 * 3600


@cache
def plotlyjs_bytes() -> bytes:
    """The minified plotly.js bundled with the installed plotly package."""
    return resources.files("plotly").joinpath("package_data/plotly.min.js").read_bytes()


@cache
def plotlyjs_version() -> str:
    """plotly.js's own version, read from the bundle's banner ("plotly.js v3.1.0")."""
    head = plotlyjs_bytes()[:500].decode("utf-8", "replace")
    found = re.search(r"plotly\.js v(\d+\.\d+\.\d+\S*)", head)
    return found.group(1) if found else _etag()[:12]


@cache
def _etag() -> str:
    return hashlib.sha256(plotlyjs_bytes()).hexdigest()


def inline_plotlyjs() -> str:
    """plotly.js as text, for a self-contained HTML export that opens offline from a file.

    `</script` cannot occur in it unescaped (checked), so it can go straight into a script element.
    """
    text = plotlyjs_bytes().decode("utf-8")
    return text.replace("</script", "<\\/script")


def plotlyjs_url() -> str:
    """URL of the served plotly.js (versioned, so it can be cached for long)."""
    return url_for("metrics_assets.plotly_js", version=plotlyjs_version())


@bp.get("/plotly-<version>.min.js")
@allow(ANONYMOUS)
def plotly_js(version: str):
    """The bundled plotly.js; anonymous because it is a public library, like /static."""
    if version != plotlyjs_version():
        abort(404)
    response = Response(plotlyjs_bytes(), mimetype="text/javascript")
    response.set_etag(_etag())
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response.make_conditional(request)


# The `image-rendering` probe plotly.js's heatmap sets as a style attribute (src/constants/
# pixelated_image.js): each declaration "name: value; " joined.
_IMAGE_RENDERING_PROBE = "".join(
    f"image-rendering: {value}; "
    for value in (
        "optimizeSpeed", "-moz-crisp-edges", "-o-crisp-edges", "-webkit-optimize-contrast",
        "optimize-contrast", "crisp-edges", "pixelated",
    )
)


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


PLOTLY_STYLE_SRC = " ".join(
    ["style-src 'self' 'unsafe-hashes'", _csp_hash(""), _csp_hash(_IMAGE_RENDERING_PROBE)]
)
PLOTLY_CSP = CSP.replace("style-src 'self'", PLOTLY_STYLE_SRC)


def allow_plotly_styles(response: Response) -> Response:
    """Give this one response the CSP that lets plotly.js draw (see the module docstring).

    Call it from a view that shows figures (`return allow_plotly_styles(make_response(...))`);
    the app-wide security hook only sets a CSP where none is set yet.
    """
    response.headers["Content-Security-Policy"] = PLOTLY_CSP
    return response


_PREINJECTED_STYLE = re.compile(
    r'getElementById\("([0-9a-f]{32,})"\)\)\{var \w+=document\.createElement\("style"\)'
)


@cache
def _preinjected_style_ids() -> tuple[str, ...]:
    """Ids of the stylesheets plotly.js injects at load unless an element with the id exists."""
    found = _PREINJECTED_STYLE.findall(plotlyjs_bytes().decode("utf-8"))
    return tuple(dict.fromkeys(found))


def plotly_tags() -> Markup:
    """What a page with figures puts before its own figure script: placeholders + plotly.js."""
    placeholders = "".join(
        f'<template id="{style_id}"></template>' for style_id in _preinjected_style_ids()
    )
    return Markup(f'{placeholders}<script src="{escape(plotlyjs_url())}"></script>')


@bp.app_context_processor
def plotly_template_helpers() -> dict:
    """`plotly_tags()` and `plotlyjs_url()` in every template."""
    return {"plotly_tags": plotly_tags, "plotlyjs_url": plotlyjs_url}
