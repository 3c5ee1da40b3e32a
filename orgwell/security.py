"""Security headers on every response (HSTS only where TLS is expected), checks every request
passes first, and the reverse proxies to believe."""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Link tokens are only ever hashed before a query, and their pages explain a bad link better
# than a bare 400 would.
NUL_SAFE_ARGS = frozenset({"token"})


def reject_nul_characters():
    """A NUL character is never meaningful in a URL or a form, and PostgreSQL refuses it in
    text (the driver raises), so such a request gets a plain 400 before any view or query."""
    path_values = [v for k, v in (request.view_args or {}).items() if k not in NUL_SAFE_ARGS]
    values = [str(v) for v in path_values] + [*request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, "The request contains a NUL character.")


def refuse_json_to_forms():
    """Pages take forms, not JSON. Flask-WTF would read a JSON body as form data and hand a
    list or a number to a text field's validators, which expect strings (a 500); the API,
    which reads no bodies, is left to its own answers."""
    if request.method != "GET" and request.is_json and not request.path.startswith("/api/"):
        abort(415, "Pages take form data, not JSON.")


def init_security(app: Flask) -> None:
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # Only as many hops as the deployer named: a client could forge any header beyond them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.before_request(reject_nul_characters)
    app.before_request(refuse_json_to_forms)

    @app.after_request
    def security_headers(response):
        if not app.config["SECURITY_HEADERS"]:
            return response
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["HSTS"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response
