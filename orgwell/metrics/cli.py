"""`orgwell metrics ...`: repairing rollups from the raw data."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.orgs.models import Organisation

metrics_cli = click.Group("metrics", help="Aggregates behind the dashboards.")


@metrics_cli.command("rebuild")
@click.argument("slug", required=False)
@with_appcontext
def rebuild(slug: str | None):
    """Recompute every rollup of SLUG (or of every organisation) from the raw data.

    Safe to run at any time and as often as wanted: the result is the same each time.
    """
    from orgwell.metrics.rebuild import rebuild_org

    query = select(Organisation).order_by(Organisation.id)
    if slug is not None:
        query = query.filter_by(slug=slug)
    orgs = db.session.scalars(query).all()
    if slug is not None and not orgs:
        raise click.BadParameter(f"no organisation has the slug “{slug}”.", param_hint="SLUG")
    for org in orgs:
        waves = rebuild_org(org)
        db.session.commit()
        click.echo(f"Rebuilt the rollups of {org.name} ({waves} waves).")
