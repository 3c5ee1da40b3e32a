"""Dev outbox (placeholder)."""
from flask import Blueprint

from orgwell.access import ANONYMOUS, allow

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")


@bp.get("/")
@allow(ANONYMOUS)
def inbox():
    return "dev"
