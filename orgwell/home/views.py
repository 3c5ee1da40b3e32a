"""`/` sends each caller to their home; the staff home page; public sign-up."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from orgwell.access import ANONYMOUS, MEMBER, allow
from orgwell.extensions import db
from orgwell.home import services
from orgwell.home.forms import SignupForm
from orgwell.rate_limits import per_address

bp = Blueprint("home", __name__)

# Where `/` sends each kind of landing that is a page of its own.
REDIRECTS = {
    "setup": "auth.setup",
    "login": "auth.login",
    "admin": "admin.index",
    "overview": "orgs.overview",
    "member": "home.member",
}
# The "create your organisation" page; checked at request time, so that this page shows an
# explanation instead of failing on a site where that page is not available.
CREATE_ORG_ENDPOINT = "orgs_new.create"


@bp.get("/")
@allow(ANONYMOUS)
def index():
    landing = services.landing_for(current_user)
    if landing.kind in REDIRECTS:
        slug = {"slug": landing.organisation.slug} if landing.organisation else {}
        return redirect(url_for(REDIRECTS[landing.kind], **slug))
    if landing.kind == "organisations":
        ids = [org.id for org, _ in landing.organisations]
        return render_template(
            "home/organisations.html",
            organisations=landing.organisations,
            staff_counts=services.active_staff_counts(ids),
        )
    if landing.kind == "create":
        has_page = CREATE_ORG_ENDPOINT in current_app.view_functions
        return render_template(
            "home/create.html", create_url=url_for(CREATE_ORG_ENDPOINT) if has_page else None
        )
    return render_template("home/no_access.html", ended=landing.ended)


@bp.get("/my/<slug>")
@allow(MEMBER)
def member(slug: str):
    """A member's own page in one organisation: what is waiting for them (check-ins and
    learning), their teams, and how confidentiality works."""
    from orgwell.programs.home import home_card as learning_card
    from orgwell.surveys.home import home_card as surveys_card

    return render_template(
        "home/member.html",
        organisation=g.org,
        membership=g.membership,
        min_group=services.MIN_REPORTING_GROUP,
        surveys=surveys_card(g.membership),
        learning=learning_card(g.membership),
    )


def _signup_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
@allow(ANONYMOUS)
@per_address(_signup_limit, methods=["POST"])
def signup():
    if not current_app.config["PUBLIC_SIGNUP"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignupForm()
    if form.validate_on_submit():
        services.sign_up(form.name.data, form.email.data)
        db.session.commit()
        # The same answer for a known address, so the page does not reveal who has an account.
        flash(
            f"Thank you. We sent a link to {form.email.data.strip().lower()}: open it to "
            "choose your password. It works once and expires in "
            f"{current_app.config['INVITE_VALID_DAYS']} days.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("home/signup.html", form=form)
