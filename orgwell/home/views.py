"""Home (placeholder until the home pages land)."""
from flask import Blueprint, render_template

from orgwell.access import ANONYMOUS, allow

bp = Blueprint("home", __name__)


@bp.get("/")
@allow(ANONYMOUS)
def index():
    return render_template("home/index.html")
