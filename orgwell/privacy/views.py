"""Data and privacy pages: the owner's export and deletion, erasing a person, my data.

Views are thin: validate the form, call one service, commit, redirect or send the file.
"""
from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user, logout_user
from sqlalchemy import exists, func, select

from orgwell.access import MEMBER, OWNER, allow
from orgwell.audit.services import record
from orgwell.extensions import db
from orgwell.orgs.models import Membership
from orgwell.privacy import erasure
from orgwell.privacy.deletion import delete_organisation
from orgwell.privacy.export import (
    export_filename,
    member_export_bytes,
    organisation_export_chunks,
)
from orgwell.privacy.forms import DeleteOrganisationForm, DownloadForm, EraseForm
from orgwell.privacy.models import Erasure

bp = Blueprint("privacy", __name__, url_prefix="/o/<slug>/privacy")
LEAVERS_SHOWN = 50


@bp.get("/")
@allow(OWNER)
def index(slug):
    return _index_page(DeleteOrganisationForm(slug=g.org.slug, formdata=None))


def _index_page(delete_form: DeleteOrganisationForm):
    not_erased = ~exists().where(Erasure.membership_id == Membership.id)
    leavers = db.session.scalars(
        select(Membership)
        .where(Membership.organisation_id == g.org.id, Membership.status == "left", not_erased)
        .order_by(Membership.left_on, Membership.id)
        .limit(LEAVERS_SHOWN)
    ).all()
    erased = db.session.scalar(
        select(func.count(Erasure.id)).where(Erasure.organisation_id == g.org.id)
    )
    return render_template(
        "privacy/index.html", download_form=DownloadForm(), delete_form=delete_form,
        leavers=leavers, erased=erased, erase_after_days=erasure.erase_after_days(),
    )


@bp.post("/export")
@allow(OWNER)
def export(slug):
    if not DownloadForm().validate_on_submit():
        return redirect(url_for("privacy.index", slug=slug))
    record("organisation_exported", target=g.org, organisation_id=g.org.id)
    db.session.commit()
    return Response(
        stream_with_context(organisation_export_chunks(g.org)), mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(g.org)}"'},
    )


@bp.post("/delete")
@allow(OWNER)
def delete(slug):
    form = DeleteOrganisationForm(slug=g.org.slug)
    if not form.validate_on_submit():
        return _index_page(form)
    name, me = g.org.name, current_user.id
    ctx = delete_organisation(g.org, form.confirm.data, actor_id=me)
    db.session.commit()
    if me in ctx.ended_logins:
        logout_user()
        flash(f"{name} and all its data were deleted. You have been logged out.", "success")
        return redirect(url_for("auth.login"))
    flash(f"{name} and all its data were deleted.", "success")
    return redirect(url_for("home.index"))


@bp.route("/people/<int:membership_id>/erase", methods=["GET", "POST"])
@allow(OWNER)
def erase(slug, membership_id):
    member = g.target_membership
    problem = erasure.erasure_problem(member)
    form = EraseForm()
    if problem is None and form.validate_on_submit():
        erasure.erase_member(member, reason="request", actor_id=current_user.id)
        db.session.commit()
        flash("The person's data is erased. Their past answers and progress still count, "
              "anonymously, in your reports.", "success")
        return redirect(url_for("privacy.index", slug=slug))
    return render_template("privacy/erase.html", member=member, form=form, problem=problem)


@bp.get("/my-data")
@allow(MEMBER)
def my_data(slug):
    return render_template("privacy/my_data.html", form=DownloadForm())


@bp.post("/my-data")
@allow(MEMBER)
def download_my_data(slug):
    if not DownloadForm().validate_on_submit():
        return redirect(url_for("privacy.my_data", slug=slug))
    body = member_export_bytes(g.membership)
    record("personal_data_downloaded", target=g.membership, organisation_id=g.org.id)
    db.session.commit()
    return send_file(
        BytesIO(body), mimetype="application/json", as_attachment=True,
        download_name=f"orgwell-my-data-{g.org.slug}.json",
    )
