"""Security headers and CSRF protection."""
from __future__ import annotations

from orgwell import create_app
from orgwell.config import ProductionConfig


def test_every_page_sends_security_headers(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development serves plain HTTP


def test_production_adds_hsts_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGWELL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    monkeypatch.setattr(
        ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.sqlite"
    )
    app = create_app(ProductionConfig)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_forms_refuse_posts_without_csrf_token(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite"})
    with app.app_context():
        from orgwell.extensions import db

        db.create_all()
        response = app.test_client().post(
            "/login", data={"email": "a@example.org", "password": "whatever12345"}
        )
        db.engine.dispose()
    assert response.status_code == 400


def test_nul_characters_get_a_400_not_a_500(client):
    for url in ("/o/river%00side/", "/login?next=/%00", "/login?%00=1"):
        assert client.get(url).status_code == 400, url
    posted = client.post("/login", data={"email": "a\x00@b.example", "password": "x"})
    assert posted.status_code == 400


def test_nul_characters_never_reach_postgresql(worker_app):
    """On PostgreSQL the driver raises on NUL in text, so without the guard the access hook's
    organisation lookup would fail with a 500."""
    client = worker_app.test_client()
    assert client.get("/o/river%00side/").status_code == 400
    assert client.get("/api/v1/orgs/x%00/programs").status_code == 400


def test_a_json_body_posted_to_a_page_gets_a_415_and_the_api_is_left_alone(client):
    page = client.post("/login", json={"email": [1, {"$gt": ""}], "password": 7})
    assert page.status_code == 415
    assert b"Traceback" not in page.data
    api = client.post("/api/v1/openapi.json", json={"x": 1})
    assert api.status_code != 415


def test_behind_a_proxy_the_client_address_comes_from_the_forwarded_header(tmp_path):
    from flask import request

    from orgwell.access import ANONYMOUS, allow

    seen = {}
    for hops in (0, 1):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p{hops}.sqlite",
                          "BROKER_URL": "memory://", "PROXY_HOPS": hops})

        @app.get("/_address")  # a probe route for this test only
        @allow(ANONYMOUS)
        def _address():
            return request.remote_addr

        with app.test_client() as client:
            seen[hops] = client.get(
                "/_address", headers={"X-Forwarded-For": "203.0.113.7"}
            ).get_data(as_text=True)
    assert seen == {0: "127.0.0.1", 1: "203.0.113.7"}
