"""The development mailbox at /dev/mail: what the dev backend "sent", for people and tests.

Registered only when SHOW_DEV_MAIL is set (development and testing). A mail's HTML is
served from its own route into a sandboxed iframe, under a policy that allows its inline
styles and nothing that runs.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, make_response, render_template, request
from markupsafe import Markup, escape

from orgwell.access import ANONYMOUS, allow
from orgwell.extensions import db
from orgwell.notifications import services
from orgwell.notifications.models import DevMail

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

# Mail HTML is styled inline and must not run anything; only our own pages may frame it.
HTML_BODY_CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src 'self' data:",
        "form-action 'none'",
        "frame-ancestors 'self'",
        "sandbox allow-popups allow-popups-to-escape-sandbox",
    ]
)


@bp.get("/")
@allow(ANONYMOUS)
def inbox():
    to = request.args.get("to", "").strip()
    page = request.args.get("page", 1, type=int)
    mails = services.dev_mailbox(to or None, page=page)
    return render_template("notifications/inbox.html", mails=mails, to=to)


@bp.get("/<int:mail_id>")
@allow(ANONYMOUS)
def message(mail_id: int):
    mail = db.get_or_404(DevMail, mail_id)
    return render_template(
        "notifications/message.html", mail=mail, text_html=linkify(mail.text_body)
    )


@bp.get("/<int:mail_id>/html")
@allow(ANONYMOUS)
def html_body(mail_id: int):
    mail = db.get_or_404(DevMail, mail_id)
    if not mail.html_body:
        abort(404)
    response = make_response(open_links_outside(mail.html_body))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = HTML_BODY_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def linkify(text: str) -> Markup:
    """Escape plain text and turn its http(s) addresses into links."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(url))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


_FIRST_TAG = (re.compile(r"<head\b[^>]*>", re.I), re.compile(r"<html\b[^>]*>", re.I))


def open_links_outside(html: str) -> str:
    """Make the mail's links open a new tab: inside the frame our pages refuse to load."""
    base = '<base target="_blank">'
    for pattern in _FIRST_TAG:
        found = pattern.search(html)
        if found:
            return html[: found.end()] + base + html[found.end() :]
    return base + html
