"""The JSON API, version 1. Every route authenticates with a bearer token or a session."""
from flask import Blueprint
from flask_login import current_user

from orgwell.access import ANY_USER, allow
from orgwell.extensions import csrf
from orgwell.templating import user_organisations

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/me")
@allow(ANY_USER)
def me():
    """Who the token belongs to and which organisations they can open."""
    return {
        "id": current_user.id,
        "email": current_user.email,
        "name": current_user.name,
        "site_admin": current_user.is_site_admin,
        "organisations": [
            {"slug": org.slug, "name": org.name, "role": role}
            for org, role in user_organisations(current_user)
        ],
    }
