"""/healthz (placeholder)."""
from flask import Blueprint

from orgwell.access import ANONYMOUS, allow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@allow(ANONYMOUS)
def healthz():
    return {"database": "ok"}
