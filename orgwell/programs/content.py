"""Module content rules shared by the builder, the library and the forms.

Readings are written in Markdown by leaders and shown to every enrolled person, so the HTML
is rendered once on save and cleaned with nh3: scripts, event handlers and `javascript:`
links never reach a page. Links to courses and videos must be plain http(s) addresses.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "a", "p", "br", "h1", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}


def render_markdown(text: str) -> str:
    """Markdown -> sanitised HTML (no scripts, no event handlers, http(s)/mailto links only)."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def is_http_url(value: str | None) -> bool:
    """True for an absolute http:// or https:// address with a host."""
    if not value:
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value.strip()
