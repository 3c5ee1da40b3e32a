"""`orgwell surveys ...`: importing results collected outside OrgWell.

Exit status 2 for bad arguments (as click does) and for a file with problems, which are all
printed, one per line, naming the line and column; nothing is imported then.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.orgs.models import Organisation

surveys_cli = click.Group("surveys", help="Survey campaigns and results.")


@surveys_cli.command("import-results")
@click.argument("slug")
@click.option("--instrument", "instrument_key", required=True,
              help="The instrument the answers are for, e.g. cbi or cbi-work.")
@click.option("--date", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the answers were collected (YYYY-MM-DD).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_results(slug: str, instrument_key: str, on: datetime, file: Path):
    """Import FILE.csv (columns: team, item keys, optionally email) as a closed wave of SLUG."""
    from orgwell.surveys.importer import ImportProblems
    from orgwell.surveys.importer import import_results as run_import

    org = db.session.scalar(select(Organisation).filter_by(slug=slug))
    if org is None:
        raise click.BadParameter(f"no organisation has the slug “{slug}”.", param_hint="SLUG")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        _fail(file, [f"not UTF-8 text (byte {error.start + 1}); save it as UTF-8."])
    try:
        result = run_import(org, instrument_key, on.date(), text)
    except ImportProblems as problems:
        db.session.rollback()
        _fail(file, problems.problems)
    db.session.commit()
    linked = f" ({result.linked} linked to staff members)" if result.linked else ""
    click.echo(
        f"Imported {result.responses} responses{linked} as a closed wave of "
        f"{on:%Y-%m-%d} in “{result.campaign.name}” ({org.name})."
    )


def _fail(file: Path, problems: list[str]):
    for problem in problems:
        click.echo(f"{file.name}: {problem}", err=True)
    click.echo(f"{len(problems)} problem(s): nothing imported. Fix the file and run the "
               "command again.", err=True)
    click.get_current_context().exit(2)
