"""Site admin pages (placeholder until the admin pages land)."""
from flask import Blueprint, render_template

from orgwell.access import SITE_ADMIN, allow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@allow(SITE_ADMIN)
def index():
    return render_template("admin/index.html")
