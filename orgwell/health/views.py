"""/healthz: one JSON answer for load balancers and monitoring."""
from __future__ import annotations

from flask import Blueprint, jsonify

from orgwell.access import ANONYMOUS, allow
from orgwell.health import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@allow(ANONYMOUS)
def healthz():
    checks = services.check_all()
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify(checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
