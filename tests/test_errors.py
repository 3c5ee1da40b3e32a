"""Error pages: friendly HTML for people, JSON under /api/, 503 when the database is gone."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from orgwell import create_app
from orgwell.access import ANONYMOUS, allow


def _raiser(error):
    @allow(ANONYMOUS)
    def view():
        raise error

    return view


def test_404_is_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "We could not find that page" in page
    assert 'href="/"' in page


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "We could not find that page", "status": 404}
    unauthorised = client.get("/api/v1/me")
    assert unauthorised.status_code == 401
    assert unauthorised.get_json()["status"] == 401


def test_405_keeps_the_allow_header(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "That action is not possible here" in response.get_data(as_text=True)


def test_expired_form_explains_what_to_do(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite",
                      "WTF_CSRF_ENABLED": True})
    response = app.test_client().post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert "Reload the page" in page


def test_rate_limit_says_wait_a_minute(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite",
                      "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "1 per minute"})
    with app.app_context():
        from orgwell.extensions import db

        db.create_all()
    client = app.test_client()
    client.post("/login", data={"email": "a@b.example", "password": "x"})
    response = client.post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts, wait a minute" in response.get_data(as_text=True)


def test_too_large_upload(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/login", data={"email": "x" * 500, "password": "y"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("could not connect to server")),
        DBAPIError("SELECT 1", {}, Exception("server closed the connection"),
                   connection_invalidated=True),
    ],
)
def test_unreachable_database_is_503_not_a_traceback(app, client, error):
    app.add_url_rule("/test-db-down", "test_db_down", _raiser(error))
    response = client.get("/test-db-down")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "OrgWell is temporarily unavailable" in page
    assert "Traceback" not in page and "SELECT" not in page
    assert response.headers["Retry-After"] == "30"


def test_unreachable_database_under_the_api_is_json(app, client):
    error = OperationalError("SELECT 1", {}, Exception("down"))
    app.add_url_rule("/api/v1/test-db-down", "test_api_db_down", _raiser(error))
    response = client.get("/api/v1/test-db-down")
    assert response.status_code == 503
    assert response.get_json() == {"error": "OrgWell is temporarily unavailable", "status": 503}


def test_a_real_missing_database_answers_503(tmp_path):
    """A database file in a folder that does not exist: SQLite cannot even connect."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite"})
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)


def test_other_database_errors_are_500_pages(app, client):
    error = DBAPIError("SELECT 1", {}, Exception("syntax error"))
    app.add_url_rule("/test-db-bug", "test_db_bug", _raiser(error))
    response = client.get("/test-db-bug")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_unexpected_exception_is_a_friendly_500(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    app.add_url_rule("/test-bug", "test_bug", _raiser(RuntimeError("boom")))
    response = client.get("/test-bug")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "boom" not in page
