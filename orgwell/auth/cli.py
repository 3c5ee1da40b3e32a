"""`orgwell users ...` and `orgwell tokens ...`: site administrators and API tokens.

Each command prints what it did, commits, and exits non-zero with a clear message on bad
input (2 for bad arguments, as click does; 1 for an unknown user or token).
"""
from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.audit.services import record
from orgwell.auth.models import ApiToken
from orgwell.auth.passwords import password_problem
from orgwell.auth.services import create_api_token, create_user, find_user, revoke_api_token
from orgwell.extensions import db

users_cli = click.Group("users", help="User accounts.")
tokens_cli = click.Group("tokens", help="Personal API tokens.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Defaults to the part of EMAIL before the @.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for (twice, hidden) when not given.")
@with_appcontext
def create_admin(email: str, name: str, password: str):
    """Create a site administrator with a password."""
    email = _valid_email(email)
    if find_user(email) is not None:
        raise click.UsageError(f"{email} already has an account.")
    problem = password_problem(
        password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email
    )
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    name = " ".join(name.split())[:120] or email.split("@")[0]
    user = create_user(email, name, password=password, site_admin=True)
    record("site_admin_created", target=user)
    db.session.commit()
    click.echo(f"Created site administrator {user.email} ({user.name}).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A label to tell tokens apart.")
@with_appcontext
def create_token(email: str, name: str):
    """Create an API token for the user EMAIL and print it (only this once)."""
    user = _user(email)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise click.BadParameter("give a name of 1 to 80 characters.", param_hint="--name")
    raw = create_api_token(user, name)
    record("api_token_created", target=user, name=name)
    db.session.commit()
    click.echo(f"Created token “{name}” for {user.email}. Copy it now; it is not shown again:")
    click.echo(raw)


@tokens_cli.command("list")
@click.argument("email")
@with_appcontext
def list_tokens(email: str):
    """List the API tokens of the user EMAIL (never the tokens themselves)."""
    user = _user(email)
    tokens = list(db.session.scalars(
        select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id)
    ))
    if not tokens:
        click.echo(f"{user.email} has no API tokens.")
        return
    click.echo(f"{'ID':>5}  {'NAME':<20} {'PREFIX':<12} {'CREATED':<17} {'LAST USED':<17} STATE")
    for token in tokens:
        click.echo(
            f"{token.id:>5}  {token.name[:20]:<20} {token.prefix:<12} "
            f"{_when(token.created_at):<17} {_when(token.last_used_at):<17} "
            f"{'revoked ' + _when(token.revoked_at) if token.revoked_at else 'active'}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@with_appcontext
def revoke_token(token_id: int):
    """Revoke the API token ID (see `orgwell tokens list`)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        click.echo(f"Error: no API token has the id {token_id}.", err=True)
        click.get_current_context().exit(1)
    if token.revoked_at is not None:
        click.echo(f"Token {token.id} (“{token.name}” of {token.user.email}) was already revoked.")
        return
    revoke_api_token(token)
    record("api_token_revoked", target=token.user, token_id=token.id)
    db.session.commit()
    click.echo(f"Revoked token {token.id} (“{token.name}” of {token.user.email}).")


def _valid_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as problem:
        raise click.BadParameter(f"“{value}” is not a valid email address ({problem}).",
                                 param_hint="EMAIL") from None


def _user(email: str):
    user = find_user(email)
    if user is None:
        click.echo(f"Error: no user has the email {email.strip()}.", err=True)
        click.get_current_context().exit(1)
    return user


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"
