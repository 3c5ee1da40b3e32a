"""Instrument pages: what an organisation can survey with, and owners adding their own.

Leaders and owners read the list and each instrument (items per scale, answers, reversed items,
cut-offs, citation); owners upload definition files and build custom pulses. URLs name an
instrument by its key, which `library.get_version` looks up among the organisation's own
instruments and the built-ins only, so another organisation's instrument is a 404 here.
Listing may store the built-in definitions on first use, hence the commits on GET.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from orgwell.access import LEADER, OWNER, allow
from orgwell.extensions import db
from orgwell.surveys.instruments import library
from orgwell.surveys.instruments.definition import DefinitionError, plain_number
from orgwell.surveys.instruments.forms import PulseForm, UploadDefinitionForm
from orgwell.surveys.instruments.library import PulseError, UnknownInstrument

bp = Blueprint("instruments", __name__, url_prefix="/o/<slug>/instruments")


@bp.get("/")
@allow(LEADER)
def index(slug):
    available = library.available_instruments(g.org)
    db.session.commit()
    return render_template(
        "surveys/instruments/index.html",
        builtins=[a for a in available if a.is_builtin],
        own=[a for a in available if not a.is_builtin],
    )


@bp.get("/<key>")
@bp.get("/<key>/versions/<int:version>")
@allow(LEADER)
def detail(slug, key, version=None):
    row, instrument = _lookup(key, version)
    db.session.commit()
    versions = [] if row.is_builtin else library.available_versions(g.org, key)
    return render_template(
        "surveys/instruments/detail.html", row=row, instrument=instrument, versions=versions,
        in_use=library.is_in_use(row), number=plain_number,
    )


@bp.get("/<key>/definition.json")
@bp.get("/<key>/versions/<int:version>/definition.json")
@allow(LEADER)
def download(slug, key, version=None):
    row, instrument = _lookup(key, version)
    db.session.commit()
    body = json.dumps(instrument.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return Response(
        body, mimetype="application/json",
        headers={"Content-Disposition":
                 f'attachment; filename="{row.key}-v{row.version}.json"'},
    )


@bp.route("/upload", methods=["GET", "POST"])
@allow(OWNER)
def upload(slug):
    form = UploadDefinitionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(library.MAX_UPLOAD_BYTES + 1)
        try:
            row = library.upload_definition(g.org, data, form.file.data.filename or "", _me())
        except DefinitionError as error:
            db.session.rollback()
            problems = error.problems
        else:
            db.session.commit()
            flash(f"“{row.name}” is saved as version {row.version}.", "success")
            return redirect(url_for(".detail", slug=slug, key=row.key, version=row.version))
    return render_template("surveys/instruments/upload.html", form=form, problems=problems,
                           max_kb=library.MAX_UPLOAD_BYTES // 1024)


@bp.route("/new-pulse", methods=["GET", "POST"])
@allow(OWNER)
def new_pulse(slug):
    return _pulse_page(PulseForm(), key=None)


@bp.route("/<key>/edit", methods=["GET", "POST"])
@allow(OWNER)
def edit_pulse(slug, key):
    row, instrument = _lookup(key, None)
    if row.source != "custom":
        abort(404)  # only pulses built here are edited here; files get a new upload
    scale = instrument.scales[0]
    form = PulseForm(data={
        "name": instrument.name,
        "statements": "\n".join(item.text for item in instrument.items),
        "answer_set": instrument.items[0].answer_set,
        "direction": scale.direction,
        "scale_name": scale.name,
        "cutoff": None if scale.cutoff is None else plain_number(scale.cutoff),
    })
    return _pulse_page(form, key=key, row=row)


def _pulse_page(form: PulseForm, key: str | None, row=None):
    if form.validate_on_submit():
        try:
            saved = library.create_custom_pulse(
                g.org, form.name.data, form.statement_lines, form.answer_set.data,
                form.scale_name.data or "",
                None if form.cutoff.data is None else float(form.cutoff.data),
                _me(), direction=form.direction.data, key=key,
            )
        except PulseError as problem:
            db.session.rollback()
            getattr(form, problem.field).errors.append(problem.message)
        else:
            db.session.commit()
            if row is not None and saved.id == row.id:
                flash("Nothing changed, so no new version was made.", "info")
            else:
                flash(f"“{saved.name}” is saved as version {saved.version}.", "success")
            return redirect(url_for(".detail", slug=g.org.slug, key=saved.key,
                                    version=saved.version))
    return render_template("surveys/instruments/pulse.html", form=form, row=row)


def _lookup(key: str, version: int | None):
    try:
        return library.get_version(g.org, key, version)
    except UnknownInstrument:
        abort(404)


def _me():
    return current_user._get_current_object()
