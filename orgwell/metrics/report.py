"""The client report: a cover and one slide per figure, shown in presentation mode or saved
as ONE self-contained HTML file.

The file carries everything inline (plotly.js, the figures as JSON data blocks, the CSS and
the two small scripts the app itself uses), so it opens from disk, offline, without a single
network request, and stays interactive (hover, zoom). Its content is the presentation's:
the same `Deck` is rendered by `metrics/present.html` in the app and by
`metrics/report_file.html` for the file.

The cover names the consultant's firm (User.consulting_firm), the client, the period and the
confidentiality threshold k. For a consultant with at least five other clients the deck ends
with the anonymous benchmark from `portfolio.benchmark` (never names, never one organisation's
result) and a note on what it shows.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app, render_template

from orgwell.metrics import dashboard, figures
from orgwell.metrics.plotlyjs import inline_plotlyjs, plotlyjs_version
from orgwell.metrics.portfolio import MIN_ORGS, Benchmark, benchmark_figure
from orgwell.metrics.references import reference_for

SCRIPTS = ("metrics-figures.js", "metrics-present.js")
CBI_CITATION = (
    "Copenhagen Burnout Inventory: Kristensen TS, Borritz M, Villadsen E, Christensen KB. "
    "The Copenhagen Burnout Inventory: a new tool for the assessment of burnout. "
    "Work & Stress 2005;19(3):192-207."
)
# The deck's styles live in the app's stylesheet between these markers; the file copies them.
CSS_START, CSS_END = "/* === Results and presentation (metrics) === */", "/* === end metrics === */"


@dataclass(frozen=True)
class Cover:
    firm: str | None
    client: str
    period: str
    k: int
    scale_name: str
    instrument: str
    prepared_on: date


@dataclass(frozen=True)
class Slide:
    name: str
    title: str
    headline: str
    figure_json: str | None


@dataclass(frozen=True)
class Deck:
    cover: Cover
    slides: list[Slide]
    notes: list[str]
    sources: list[str]

    @property
    def figure_config_json(self) -> str:
        return figure_config_json()


def figure_config_json() -> str:
    """plotly.js config for the `figure-config` data block (escaped for a script element)."""
    return _safe_json(figures.figure_config())


def period_text(period: tuple[date, date] | None) -> str:
    if period is None:
        return "No survey results yet"
    first, last = period
    if first == last:
        return f"Survey of {_day(first)}"
    return f"{_day(first)} to {_day(last)}"


def _day(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def build_deck(results: dashboard.Results, *, firm: str | None, today: date,
               bench: Benchmark | None = None) -> Deck:
    """The cover and slides of a results view (`bench` only for a consultant's own view)."""
    instrument = next(
        (name for key, name, _ in results.choices.instruments
         if key == results.parsed.filters.instrument),
        results.parsed.filters.instrument,
    )
    cover = Cover(
        firm=firm, client=results.org.name, period=period_text(results.period), k=results.k,
        scale_name=results.scale_name, instrument=instrument, prepared_on=today,
    )
    slides = []
    for p in results.panels:
        if p.slides:
            slides += [Slide(name, title, headline, figures.figure_json(figure))
                       for name, title, headline, figure in p.slides]
        else:
            slides.append(Slide(p.name, p.title, p.headline, p.json))
    if bench is not None:
        slides.append(Slide(
            "benchmark", "Among other organisations", bench.sentence,
            figures.figure_json(benchmark_figure(bench)),
        ))
    notes = [
        f"Groups with fewer than {results.k} respondents are hidden, and so is any group whose "
        "result could be worked out from the others. Hidden results are drawn in grey.",
        "Program impact compares teams that took part with teams that did not. It is "
        "observational: it can show a change, not prove what caused it.",
    ]
    if bench is not None:
        notes.append(
            f"Other organisations appear only together, when at least {MIN_ORGS} contribute: "
            "their middle half and median in whole points, never a name, never the lowest or "
            "highest, never one organisation's result."
        )
    sources = []
    if "Copenhagen" in instrument:
        sources.append(CBI_CITATION)
    reference = reference_for(results.parsed.filters.instrument, results.parsed.filters.scale)
    if reference is not None:
        sources.append(f"Reference line: {reference.source}")
    return Deck(cover, slides, notes, sources)


def report_html(deck: Deck) -> str:
    """The deck as one HTML file that opens offline (everything inline, no URL to fetch)."""
    static = Path(current_app.static_folder) / "js"
    scripts = [_inline_script((static / name).read_text()) for name in SCRIPTS]
    return render_template(
        "metrics/report_file.html", deck=deck, plotlyjs=inline_plotlyjs(), scripts=scripts,
        deck_css=deck_css(), plotly_version=plotlyjs_version(),
    )


def deck_css() -> str:
    """The metrics section of orgwell.css (the deck's look), for the self-contained file."""
    text = (Path(current_app.static_folder) / "orgwell.css").read_text()
    start, end = text.find(CSS_START), text.find(CSS_END)
    return text[start:end] if 0 <= start < end else ""


def report_filename(org_slug: str, today: date) -> str:
    return f"orgwell-report-{org_slug}-{today.isoformat()}.html"


def _inline_script(text: str) -> str:
    return re.sub(r"</script", r"<\\/script", text, flags=re.IGNORECASE)


def _safe_json(value) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
