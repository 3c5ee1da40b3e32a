"""Error responses: friendly pages for people, `{"error", "status"}` JSON under /api/.

An unreachable database answers 503 "temporarily unavailable" (with Retry-After) instead of
a traceback: a refused or dropped connection (OperationalError, InterfaceError, or any DBAPI
error SQLAlchemy marked as a disconnect) and a pool with no free connection (its
TimeoutError). Any other database error is a bug and a 500. The error pages must render even
when the database is gone, so the database handler swaps the caller for an anonymous user
first (the navigation would otherwise query it again), and every page has a plain-HTML
fallback if rendering itself fails.
"""
from __future__ import annotations

from contextlib import suppress

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
# Seconds a client (or a proxy) should wait before asking again after a 503.
RETRY_AFTER_SECONDS = 30
CSRF_MESSAGE = (
    "This form has expired",
    "For your security, forms stop working after a while or when you log in elsewhere. "
    "Reload the page and try again.",
)


def register_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeout, handle_database_error)


def handle_http_error(error: HTTPException):
    """Every HTTP error, including the 500 Flask makes of an unhandled exception."""
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions pass through untouched
    lost = _lost_connection_behind(getattr(error, "original_exception", None))
    if lost is not None:
        return handle_database_error(lost)
    return error_response(error.code, headers=_kept_headers(error))


def _lost_connection_behind(error: BaseException | None) -> DBAPIError | PoolTimeout | None:
    """The lost-connection error an unexpected exception was raised while handling, if any.

    When the database goes away in the middle of a request, what reaches Flask is not always
    the driver's error: SQLAlchemy may raise its own (a closed connection, a transaction that
    must be rolled back first) while handling it. Following the exception's chain finds the
    cause, so the visitor gets the 503 of an outage rather than a 500.
    """
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DBAPIError | PoolTimeout) and database_unreachable(error):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def handle_csrf_error(error: CSRFError):
    return error_response(400, *CSRF_MESSAGE, retry_label="Reload the page")


def handle_database_error(error: DBAPIError | PoolTimeout):
    """503 when the database cannot be reached (or no connection is free), else a 500."""
    unreachable = database_unreachable(error)
    if unreachable:
        # One line, no statement (its parameters may hold answers, tokens or addresses) and
        # the route's pattern, not the path: a survey link's path is its credential.
        route = request.url_rule.rule if request.url_rule else request.path
        current_app.logger.error(
            "database unavailable (%s %s): %s", request.method, route, _short_reason(error)
        )
    else:
        current_app.logger.error("database error: %s", error, exc_info=True)
    with suppress(Exception):  # the connection is gone; the pool discards it
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # the page must not query the user again
    if not unreachable:
        return error_response(500)
    return error_response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                          template="errors/503.html")


def database_unreachable(error: Exception) -> bool:
    """Whether `error` says "no connection to the database" rather than "bad query".

    psycopg reports a refused, dropped or timed-out connection as OperationalError (also a
    server shutting down or starting up) and a closed one as InterfaceError; SQLAlchemy sets
    `connection_invalidated` on any error it recognised as a disconnect, and raises its own
    TimeoutError when the pool has no connection to give within pool_timeout.
    """
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, OperationalError | InterfaceError) or bool(
        getattr(error, "connection_invalidated", False)
    )


def _short_reason(error: Exception) -> str:
    """The driver's own message, first line only (SQLAlchemy's adds the SQL and parameters)."""
    reason = getattr(error, "orig", None) or error
    lines = str(reason).strip().splitlines() or [""]
    return f"{type(reason).__name__}: {lines[0]}"


def error_response(status: int, title: str | None = None, message: str | None = None,
                   headers: dict | None = None, retry_label: str | None = None,
                   template: str = "errors/error.html"):
    """The error page (or JSON under /api/) for `status`.

    `retry_label` adds a button that loads the same address again (server errors have one).
    """
    default_title, default_message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return {"error": title, "status": status}, status, headers or {}
    try:
        body = render_template(
            template,
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
