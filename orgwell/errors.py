"""Error responses: friendly pages for people, `{"error", "status"}` JSON under /api/.

An unreachable database answers 503 "temporarily unavailable" instead of a traceback. The
error pages must render even when the database is gone, so the database handler swaps the
caller for an anonymous user first (the navigation would otherwise query it again), and
every page has a plain-HTML fallback if rendering itself fails.
"""
from __future__ import annotations

from contextlib import suppress

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from orgwell.extensions import db, login_manager

# status: (page title, what happened and what to do next)
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Something in that request was not right",
          "Please go back, check what you entered and try again."),
    401: ("Please log in", "You need to log in to see this page."),
    403: ("You do not have access to this page",
          "Your role does not include this page. If you think it should, ask the owner "
          "of your practice."),
    404: ("We could not find that page",
          "The address may be mistyped, or the page may have moved or never existed."),
    405: ("That action is not possible here",
          "This page cannot be used that way. Go back and use the buttons on the page."),
    410: ("This is no longer available", "The link has expired or has already been used."),
    413: ("That upload is too large", "Files up to 5 MB are accepted. Try a smaller file."),
    429: ("Too many attempts", "Too many attempts, wait a minute and try again."),
    500: ("Something went wrong on our side",
          "The problem has been logged. Please try again in a moment."),
    503: ("OrgWell is temporarily unavailable",
          "We cannot reach the database right now. Please try again in a few minutes."),
}
CSRF_MESSAGE = (
    "This form has expired",
    "For your security, forms stop working after a while or when you log in elsewhere. "
    "Reload the page and try again.",
)


def register_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DBAPIError, handle_database_error)


def handle_http_error(error: HTTPException):
    """Every HTTP error, including the 500 Flask makes of an unhandled exception."""
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions pass through untouched
    return error_response(error.code, headers=_kept_headers(error))


def handle_csrf_error(error: CSRFError):
    return error_response(400, *CSRF_MESSAGE, retry_label="Reload the page")


def handle_database_error(error: DBAPIError):
    # Only a lost connection is "unavailable"; any other database error is a bug (500).
    unreachable = isinstance(error, OperationalError) or error.connection_invalidated
    current_app.logger.error("database error: %s", error, exc_info=not unreachable)
    with suppress(Exception):  # the connection is gone; the pool discards it
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # the page must not query the user again
    status = 503 if unreachable else 500
    return error_response(status, headers={"Retry-After": "30"} if unreachable else None)


def error_response(status: int, title: str | None = None, message: str | None = None,
                   headers: dict | None = None, retry_label: str | None = None):
    """The error page (or JSON under /api/) for `status`.

    `retry_label` adds a button that loads the same address again (server errors have one).
    """
    default_title, default_message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return {"error": title, "status": status}, status, headers or {}
    try:
        body = render_template(
            "errors/error.html",
            status=status,
            title=title,
            message=message,
            retry_label=retry_label or ("Try again" if status >= 500 else None),
        )
    except Exception:  # noqa: BLE001 - an error page must never fail with a traceback
        current_app.logger.exception("could not render the %s page", status)
        body = _PLAIN_PAGE.format(title=title, message=message)
    return body, status, headers or {}


def _kept_headers(error: HTTPException) -> dict:
    """Headers a client relies on: Allow on 405, Retry-After and WWW-Authenticate."""
    keep = {"Allow", "Retry-After", "WWW-Authenticate"}
    return {k: v for k, v in error.get_headers() if k in keep}


_PLAIN_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title} · OrgWell</title>"
    "<h1>{title}</h1><p>{message}</p><p><a href=/>OrgWell home</a></p></html>"
)
