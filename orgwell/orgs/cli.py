"""`orgwell orgs ...` and `orgwell staff ...`: organisations and staff imports from a shell.

Each command prints what it did, commits, and exits non-zero with a clear message on bad
input: 2 for bad arguments (as click does) and for a staff file with errors, 1 when the
person running it declines or an import fails.
"""
from __future__ import annotations

from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.auth.passwords import password_problem
from orgwell.auth.services import create_user, find_user, invite_user
from orgwell.extensions import db
from orgwell.orgs import imports
from orgwell.orgs.models import Organisation
from orgwell.orgs.services import FieldError, create_organisation

orgs_cli = click.Group("orgs", help="Organisations.")
staff_cli = click.Group("staff", help="Staff of an organisation.")


@orgs_cli.command("create")
@click.argument("name")
@click.option("--slug", default="", help="Web address part (/o/SLUG); derived from NAME if empty.")
@click.option("--owner-email", required=True, help="The owner; created if unknown.")
@click.option("--owner-name", default="", help="The owner's name, for a new user.")
@click.option("--owner-password", default=None,
              help="Password for a new owner; without it the owner is invited by email.")
@with_appcontext
def create_org(name, slug, owner_email, owner_name, owner_password):
    """Create an organisation NAME with its owner."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise click.BadParameter("give a name of 1 to 120 characters.", param_hint="NAME")
    email = _valid_email(owner_email, "--owner-email")
    owner = find_user(email)
    if owner is None:
        if owner_password is not None:
            _check_password(owner_password, email, "--owner-password")
        owner = create_user(email, owner_name or email.split("@")[0], password=owner_password)
        click.echo(f"Created user {owner.email}.")
    elif owner_password is not None:
        raise click.UsageError(
            f"{owner.email} already has an account; its password is not changed here. "
            "Leave out --owner-password."
        )
    try:
        org = create_organisation(name, slug, owner)
    except FieldError as problem:
        db.session.rollback()
        raise click.BadParameter(problem.message, param_hint="--slug") from None
    invited = not owner.has_password
    if invited:
        invite_user(owner, organisation=org)
    db.session.commit()
    click.echo(f"Created organisation “{org.name}” (/o/{org.slug}) owned by {owner.email}.")
    if invited:
        click.echo(f"An invitation to choose a password is queued for {owner.email}.")


@staff_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would happen.")
@click.option("--yes", is_flag=True, help="Create teams that do not exist without asking.")
@with_appcontext
def import_staff(slug, file: Path, dry_run: bool, yes: bool):
    """Import the staff CSV FILE into the organisation SLUG (invitations go by email)."""
    org = db.session.scalar(select(Organisation).filter_by(slug=slug))
    if org is None:
        raise click.BadParameter(f"no organisation has the slug “{slug}”.", param_hint="SLUG")
    data = file.read_bytes()
    checked = imports.check_staff_file(org, data)
    if checked.errors:
        for error in checked.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo(f"{len(checked.errors)} problem(s): nothing imported. Fix the file and "
                   "run the command again.", err=True)
        click.get_current_context().exit(2)
    click.echo(f"{file.name}: {len(checked.rows)} people, no problems.")
    if checked.new_teams:
        click.echo("Teams to create (as clinics): " + ", ".join(checked.new_teams))
    if dry_run:
        click.echo("Dry run: nothing imported.")
        return
    if checked.new_teams and not yes and not click.confirm(
        f"Create {len(checked.new_teams)} new team(s)?", default=False
    ):
        click.echo("Nothing imported.")
        click.get_current_context().exit(1)
    job, checked = imports.prepare_import(org, file.name, data)
    if job is None:  # the organisation changed since the check above
        for error in checked.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.get_current_context().exit(2)
    imports.confirm_import(job)
    db.session.commit()
    for step in imports.run_import(job.id):
        db.session.commit()
        if step.status == "running" and step.processed:
            click.echo(f"  {step.processed} of {step.total}…")
    db.session.refresh(job)
    if job.status != "done":
        click.echo(f"Import failed: {job.error}", err=True)
        click.get_current_context().exit(1)
    click.echo(f"Imported {job.total} people into {org.name}"
               + (f"; created {', '.join(job.new_teams)}." if job.new_teams else ".")
               + " Invitations are queued for everyone without a password.")


def _valid_email(value: str, hint: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as problem:
        raise click.BadParameter(f"“{value}” is not a valid email address ({problem}).",
                                 param_hint=hint) from None


def _check_password(password: str, email: str, hint: str) -> None:
    problem = password_problem(
        password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email
    )
    if problem:
        raise click.BadParameter(problem, param_hint=hint)
