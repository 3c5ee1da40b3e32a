"""Flask's signed-cookie sessions, with the signing serializer built once per set of keys.

Flask builds a new URLSafeTimedSerializer to open and again to save the session cookie of
every request, and itsdangerous checks its JSON serializer by dumping an empty dict each
time: 1.5% of the web's CPU on a survey link (py-spy, bench/submissions.py). The serializer
holds no per-request state, so one per (secret key, fallback keys) serves every request and
thread; a change of keys in the config still takes effect at once.
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer
