"""The session cookie's serializer is built once per set of keys (orgwell/cookie_sessions.py)."""
from __future__ import annotations

from orgwell.cookie_sessions import CookieSessionInterface


def test_one_serializer_per_key_set_and_a_key_change_takes_effect(app):
    interface = app.session_interface
    assert isinstance(interface, CookieSessionInterface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    signed = first.dumps({"a": 1})

    old_key = app.secret_key
    app.config["SECRET_KEY"] = "a-new-key-" + "x" * 40
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    rotated = interface.get_signing_serializer(app)
    assert rotated is not first
    assert rotated.loads(signed) == {"a": 1}  # a cookie signed with the old key still opens
    assert rotated.dumps({"a": 1}) != signed

    app.config["SECRET_KEY_FALLBACKS"] = []
    assert interface.get_signing_serializer(app).loads(rotated.dumps({"b": 2})) == {"b": 2}


def test_a_session_survives_a_request_round_trip(app, client):
    with client.session_transaction() as session:
        session["kept"] = "yes"
    with client.session_transaction() as session:
        assert session["kept"] == "yes"
